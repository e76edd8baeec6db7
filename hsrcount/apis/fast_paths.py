"""Opt-in speed-ups for inference: channels-last, torch.compile, TF32, AMP.

Each switch trades something (compile time, precision) for speed, so none is
on by default. They apply to a built crowd counter (e.g. from
:func:`hsrcount.apis.init_model` or ``runner.model``)::

    model = init_model(cfg, ckpt, device='cuda')
    apply_fast_paths(model, channels_last=True, tf32=True)
    keep_float32_outputs(model)  # predictions stay float32 under autocast
    with autocast_context('cuda', 'bf16'):
        result = inference_model(model, img)

Training has its own switches: ``tools/train.py --amp`` (MMEngine's
``AmpOptimWrapper`` in bfloat16) and the config key ``compile = True``
(MMEngine's Runner then compiles ``model.train_step``).
"""
import contextlib
from typing import Optional, Union

import torch
import torch.nn as nn

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}

# Sub-modules of CrowdCounter that hold all the tensor work. They are
# compiled one by one: the counter's own forward builds data samples
# (Python objects) that would break the compiled graph.
_COMPILE_PARTS = ('backbone', 'neck', 'head')


def _device_type(device):
    """``'cuda'`` for ``'cuda:1'`` or ``torch.device('cuda', 1)``."""
    return torch.device(device).type


def autocast_context(device: Union[str, torch.device],
                     dtype: Optional[str] = 'bf16'
                     ) -> contextlib.AbstractContextManager:
    """Mixed-precision context for inference on ``device``.

    Args:
        device (str | torch.device): Where the model runs, e.g. ``'cpu'``,
            ``'cuda:0'``.
        dtype (str | None): ``'bf16'``, ``'fp16'`` or None (full precision:
            a context that does nothing).

    Returns:
        contextlib.AbstractContextManager: ``torch.autocast`` for the device
        type, or a null context when ``dtype`` is None.
    """
    if dtype is None:
        return contextlib.nullcontext()
    if dtype not in AMP_DTYPES:
        raise ValueError(f'autocast_context: dtype must be one of '
                         f'{sorted(AMP_DTYPES)} or None, got {dtype!r}')
    return torch.autocast(_device_type(device), dtype=AMP_DTYPES[dtype])


def set_tf32(enabled: bool) -> dict:
    """Let (or forbid) CUDA matmuls and cuDNN convs use TF32 for float32.

    This is a process-wide setting. Note that PyTorch lets cuDNN convs use
    TF32 by default, so an honest full-precision measurement calls
    ``set_tf32(False)``. It has no effect on CPU computations.

    Args:
        enabled (bool): True for TF32, False for IEEE float32.

    Returns:
        dict: The previous settings, to pass to :func:`restore_tf32`.
    """
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    previous = dict(matmul=matmul.fp32_precision, conv=conv.fp32_precision)
    precision = 'tf32' if enabled else 'ieee'
    matmul.fp32_precision = precision
    conv.fp32_precision = precision
    return previous


def restore_tf32(previous: dict) -> None:
    """Undo :func:`set_tf32`.

    Args:
        previous (dict): What :func:`set_tf32` returned.
    """
    torch.backends.cuda.matmul.fp32_precision = previous['matmul']
    torch.backends.cudnn.conv.fp32_precision = previous['conv']


def _inputs_to_channels_last(module, args, kwargs):
    """Forward pre-hook: make the (N, C, H, W) input channels-last."""
    if args and isinstance(args[0], torch.Tensor) and args[0].dim() == 4:
        args = (args[0].contiguous(memory_format=torch.channels_last),
                ) + tuple(args[1:])
    return args, kwargs


def _to_float32(value):
    """Cast floating tensors, also inside tuples and lists, to float32."""
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        return value.float()
    if isinstance(value, (tuple, list)):
        return type(value)(_to_float32(v) for v in value)
    return value


def keep_float32_outputs(
        model: nn.Module) -> torch.utils.hooks.RemovableHandle:
    """Make the density head return float32 maps even under autocast.

    Under :func:`autocast_context` the head's convs return bf16/fp16 maps;
    predicted counts, metrics and visualisation (NumPy has no bfloat16)
    expect float32. A forward hook on ``model.head`` casts them back.

    Args:
        model (nn.Module): A :class:`CrowdCounter` (with a ``head``).

    Returns:
        torch.utils.hooks.RemovableHandle: Call ``.remove()`` to undo.
    """
    head = getattr(model, 'head', None)
    if not isinstance(head, nn.Module):
        raise TypeError(f'keep_float32_outputs: {type(model).__name__} has '
                        f'no head module')
    return head.register_forward_hook(
        lambda module, args, output: _to_float32(output))


def apply_fast_paths(model: nn.Module,
                     channels_last: bool = False,
                     compile: Union[bool, dict] = False,
                     tf32: bool = False) -> nn.Module:
    """Switch on inference speed-ups of a crowd counter, in place.

    Args:
        model (nn.Module): A :class:`CrowdCounter` (or any module; then
            ``compile`` compiles the whole module and ``channels_last``
            converts its input with a pre-hook).
        channels_last (bool): Store conv weights and the input images in
            channels-last (NHWC) memory format, which tensor-core convs on
            GPUs prefer (:meth:`CrowdCounter.set_channels_last`). The values
            do not change, only their layout.
        compile (bool | dict): ``torch.compile`` the backbone, neck and head
            (each with ``nn.Module.compile``); a dict is passed to it as
            keyword arguments, e.g. ``dict(mode='max-autotune')``. The first
            call per input shape is slow (compilation).
        tf32 (bool): Allow TF32 for float32 matmuls and convs on CUDA
            (process-wide, see :func:`set_tf32`). False leaves the current
            setting as it is.

    Returns:
        nn.Module: ``model`` itself.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f'apply_fast_paths: model must be an nn.Module, got '
                        f'{type(model).__name__}')
    if tf32:
        set_tf32(True)
    if channels_last and hasattr(model, 'set_channels_last'):
        model.set_channels_last()  # a CrowdCounter converts its own inputs
    elif channels_last:
        model.to(memory_format=torch.channels_last)
        model.register_forward_pre_hook(
            _inputs_to_channels_last, with_kwargs=True)
    if compile:
        options = compile if isinstance(compile, dict) else {}
        parts = [getattr(model, name, None) for name in _COMPILE_PARTS]
        parts = [p for p in parts if isinstance(p, nn.Module)]
        for part in parts or [model]:
            part.compile(**options)
    return model
