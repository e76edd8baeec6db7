"""Hooks that record what a budget run reports: training time, metrics."""
import time

from mmengine.hooks import Hook


class TrainClockHook(Hook):
    """Wall-clock time and images of the training iterations.

    The clock runs from ``before_train`` to the end of the last training
    iteration (CUDA synchronised at both ends), so it holds data loading,
    forward, backward and optimizer steps, and not the final validation.
    Register it with priority ``'VERY_HIGH'`` so that the last iteration's
    checkpoint and logging fall outside it.

    Args:
        cuda (bool): Synchronise CUDA before reading the clock.
    """

    def __init__(self, cuda=False):
        self.cuda = cuda
        self.start = None
        self.seconds = None
        self.images = 0
        self.iters = 0

    def _now(self):
        if self.cuda:
            import torch
            torch.cuda.synchronize()
        return time.perf_counter()

    def before_train(self, runner):
        self.start = self._now()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.images += len(data_batch['inputs'])
        self.iters += 1
        if runner.iter + 1 == runner.max_iters:
            self.seconds = self._now() - self.start


class FinalMetricsHook(Hook):
    """Keep the metrics of the last validation run."""

    def __init__(self):
        self.metrics = None

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})
