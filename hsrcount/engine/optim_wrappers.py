"""Mixed-precision training on the CPU: bfloat16 autocast, no loss scaler."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from hsrcount.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward pass runs under CPU bfloat16 autocast.

    MMEngine's ``AmpOptimWrapper`` trains only on GPUs (and NPUs...): it
    asserts one is there and always builds a CUDA ``GradScaler``. This
    wrapper is its CPU counterpart, which ``tools/train.py --amp`` selects
    on a machine without a GPU
    (:func:`hsrcount.utils.config.enable_amp`). Inside
    :meth:`optim_context` (the model's ``train_step`` runs its forward and
    loss there) convs and matmuls compute in bfloat16 on the CPU, the
    weights, their gradients and the optimizer state stay float32.

    There is no loss scaler: bfloat16 has float32's exponent range, so
    gradients do not underflow the way float16 ones do. That is also why
    float16 is refused here.

    Args:
        dtype (str | torch.dtype): ``'bfloat16'`` (the only choice).
        **kwargs: ``optimizer``, ``accumulative_counts``, ``clip_grad`` of
            ``OptimWrapper``.
    """

    valid_dtypes = ('bfloat16', )

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs):
        if dtype not in ('bfloat16', torch.bfloat16):
            raise ValueError(
                f'CPUAmpOptimWrapper: dtype must be bfloat16 (float16 needs '
                f'a loss scaler, which CPU training does not have), got '
                f'{dtype!r}')
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: nn.Module):
        """Gradient-accumulation context plus CPU bfloat16 autocast.

        Args:
            model (nn.Module): The model being trained; its parameters must
                be on the CPU.

        Raises:
            RuntimeError: If the model's parameters are on another device,
                where CPU autocast would silently do nothing.
        """
        param = next(model.parameters(), None)
        if param is not None and param.device.type != 'cpu':
            raise RuntimeError(
                f'CPUAmpOptimWrapper trains on the CPU, but the model is on '
                f'{param.device}; use AmpOptimWrapper there (tools/train.py '
                f'--amp picks it when a GPU is present)')
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=self.cast_dtype):
            yield

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the optimizer state; a loss scaler's state (saved by
        ``AmpOptimWrapper`` on a GPU) is dropped, there is none here.

        Args:
            state_dict (dict): From :meth:`state_dict` of this or another
                optimizer wrapper.
        """
        state_dict = dict(state_dict)
        state_dict.pop('loss_scaler', None)
        super().load_state_dict(state_dict)
