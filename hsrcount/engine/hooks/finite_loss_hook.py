"""Stop training at the first non-finite loss or weight, before it is saved."""
import math
from numbers import Number
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from hsrcount.registry import HOOKS
from ..model_loading import first_non_finite, walk_tensors


def _as_float(value) -> Optional[float]:
    """A scalar loss value as a float; None for anything else."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, Number) and not isinstance(value, bool):
        return float(value)
    return None


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stop training when a loss or a weight becomes NaN or infinite.

    - After every training iteration it reads the log variables the model's
      ``train_step`` returns (the ``outputs`` of ``after_train_iter``) and
      checks every term whose name contains ``'loss'``, the terms MMEngine
      sums into the total loss. A finite loss can still be followed by a
      step that overflows the weights (a learning rate far too high), so
      with ``check_weights`` it then checks every parameter and buffer of
      the model, after the optimizer step.
    - Before every checkpoint is written (``before_save_checkpoint``, which
      ``Runner.save_checkpoint`` calls for every save: interval, best,
      last) it checks the checkpoint's weights and optimizer state: a
      checkpoint with non-finite values is never written.

    Its priority ``'ABOVE_NORMAL'`` runs it before ``CheckpointHook``
    (``'VERY_LOW'``) in the same iteration, so the diverged weights are never
    saved and ``last_checkpoint`` keeps naming the last good checkpoint.

    The optimizer has already stepped when the hook runs: the weights in
    memory are unusable, resume from the last checkpoint (with a lower
    learning rate, or after fixing the data). Under AMP with dynamic loss
    scaling an inf loss in half precision can be transient; do not use
    this hook there.

    Args:
        check_weights (bool): Check the model's weights after every
            iteration, not only before saves: one sum per tensor and a
            single device synchronisation
            (:func:`hsrcount.engine.model_loading.first_non_finite`).
            Defaults to True.

    Example:
        >>> custom_hooks = [dict(type='FiniteLossHook')]
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, check_weights: bool = True):
        self.check_weights = check_weights

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check the losses, then the weights, of the iteration that ran.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): Index of the batch in the current epoch.
            data_batch (dict | tuple | list, optional): The batch.
            outputs (dict, optional): Log variables of ``train_step``,
                ``{name: scalar tensor}``.

        Raises:
            FloatingPointError: A loss term or a weight is NaN or infinite.
                The message names the 1-based iteration (as in the logs and
                in ``iter_{N}.pth``; counted across epochs) and lists every
                loss term, or names the first non-finite weight.
        """
        self._check_losses(runner, outputs)
        if self.check_weights:
            model = runner.model.module if is_model_wrapper(runner.model) \
                else runner.model
            self._raise_if_bad(runner, model.state_dict(keep_vars=False),
                               'after the optimizer step')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse to save a checkpoint with non-finite weights or state.

        Args:
            runner (Runner): The runner of the training process.
            checkpoint (dict): The checkpoint about to be written.

        Raises:
            FloatingPointError: Naming the first non-finite tensor.
        """
        self._raise_if_bad(runner, checkpoint.get('state_dict', {}),
                           'in the checkpoint about to be saved')
        found = first_non_finite(
            walk_tensors(checkpoint.get('optimizer', {}), 'optimizer'))
        if found is not None:
            self._fail(runner, found, 'optimizer state',
                       'in the checkpoint about to be saved')

    def _raise_if_bad(self, runner, state_dict: dict, when: str) -> None:
        found = first_non_finite(state_dict.items())
        if found is not None:
            self._fail(runner, found, 'weight', when)

    @staticmethod
    def _fail(runner, found: tuple, what: str, when: str) -> None:
        name, _, count, tensors = found
        others = f' (and {tensors - 1} more tensor(s))' if tensors > 1 \
            else ''
        raise FloatingPointError(
            f'iteration {runner.iter + 1}: non-finite {what} {when}: '
            f'{name} has {count} NaN/inf value(s){others}. Training '
            'stopped before saving it; the last good checkpoint is '
            'untouched. Resume from it with a lower learning rate.')

    @staticmethod
    def _check_losses(runner, outputs: Optional[dict]) -> None:
        if not outputs:
            return
        losses = {
            name: _as_float(value)
            for name, value in outputs.items() if 'loss' in name
        }
        losses = {k: v for k, v in losses.items() if v is not None}
        if all(math.isfinite(v) for v in losses.values()):
            return
        terms = ', '.join(f'{name}={value:.6g}'
                          for name, value in losses.items())
        raise FloatingPointError(
            f'iteration {runner.iter + 1}: non-finite loss: {terms}. '
            'Training stopped before saving this iteration; the last good '
            'checkpoint is untouched.')
