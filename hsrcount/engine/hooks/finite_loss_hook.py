"""Stop training at the first non-finite loss."""
import math
from numbers import Number
from typing import Optional

import torch
from mmengine.hooks import Hook

from hsrcount.registry import HOOKS


def _as_float(value) -> Optional[float]:
    """A scalar loss value as a float; None for anything else."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach())
    if isinstance(value, Number) and not isinstance(value, bool):
        return float(value)
    return None


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`FloatingPointError` when a training loss is NaN or inf.

    It reads the log variables the model's ``train_step`` returns (the
    ``outputs`` of ``after_train_iter``) and checks every term whose name
    contains ``'loss'``, the terms MMEngine sums into the total loss. Its
    priority ``'ABOVE_NORMAL'`` runs it before ``CheckpointHook``
    (``'VERY_LOW'``) in the same iteration, so the diverged weights are never
    saved and ``last_checkpoint`` keeps naming the last good checkpoint.

    The optimizer has already stepped on the bad loss when the hook runs: the
    weights in memory are unusable, resume from the last checkpoint (with a
    lower learning rate, or after fixing the data). Under AMP with dynamic
    loss scaling an inf loss in half precision can be transient; do not use
    this hook there.

    Example:
        >>> custom_hooks = [dict(type='FiniteLossHook')]
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """Check the losses of the iteration that just ran.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): Index of the batch in the current epoch.
            data_batch (dict | tuple | list, optional): The batch.
            outputs (dict, optional): Log variables of ``train_step``,
                ``{name: scalar tensor}``.

        Raises:
            FloatingPointError: A loss term is NaN or infinite. The message
                names the 1-based iteration (as in the logs and in
                ``iter_{N}.pth``; counted across epochs) and lists every
                loss term.
        """
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
