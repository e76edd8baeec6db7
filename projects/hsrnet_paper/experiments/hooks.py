"""Hooks that record what a budget run reports: time, metrics, pictures."""
import os
import os.path as osp
import time

import cv2
import numpy as np
from mmengine.hooks import Hook

from hsrcount.visualization.density_figure import draw_data_sample


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


class DensityPicturesHook(Hook):
    """Draw image | GT density | prediction of the first validation images.

    Pictures go to ``<out_dir>/<image stem>.png`` through
    :func:`draw_data_sample`. The image is taken from the batch (the
    ``(3, H, W)`` uint8 BGR input), so no file is read again.

    Args:
        out_dir (str): Folder of the pictures.
        num_pictures (int): How many validation images to draw.
        panel_width (int): Width of each panel in pixels. Defaults to 320.
    """

    def __init__(self, out_dir, num_pictures=3, panel_width=320):
        self.out_dir = out_dir
        self.num_pictures = num_pictures
        self.panel_width = panel_width
        self.written = []

    def before_val_epoch(self, runner):
        self.written = []

    def after_val_iter(self, runner, batch_idx, data_batch=None,
                       outputs=None):
        for img, sample in zip(data_batch['inputs'], outputs or []):
            if len(self.written) >= self.num_pictures:
                return
            rgb = img.detach().cpu().numpy().transpose(1, 2, 0)[..., ::-1]
            figure = draw_data_sample(
                np.ascontiguousarray(rgb), sample,
                panel_width=self.panel_width)
            os.makedirs(self.out_dir, exist_ok=True)
            stem = osp.splitext(osp.basename(sample.img_path))[0]
            path = osp.join(self.out_dir, f'{stem}.png')
            if not cv2.imwrite(path, figure[..., ::-1]):
                raise OSError(f'could not write {path}')
            self.written.append(path)
