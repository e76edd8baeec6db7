"""Inference speed-ups: channels-last, bf16 autocast, torch.compile, TF32.

On the CPU the fastest path that keeps the counts is the default
(:func:`default_fast_paths`): channels-last always, and bfloat16 autocast
where the CPU computes bf16 natively (AVX512_BF16 or AMX). Counts then stay
within 0.5 % of float32 (``tests/test_apis/test_fast_paths_real.py``).
:func:`hsrcount.apis.init_model` applies these defaults unless told
otherwise; ``tools/infer.py`` and ``tools/test.py`` take ``--fp32`` and
``--no-channels-last`` to turn them off. On a GPU nothing is on by default.

The switches apply to a built crowd counter (e.g. from
:func:`hsrcount.apis.init_model` or ``runner.model``)::

    model = init_model(cfg, ckpt, device='cuda', fast_paths=None)
    apply_fast_paths(model, channels_last=True, amp='bf16', tf32=True)
    result = inference_model(model, img)  # runs under bf16 autocast

With ``amp`` the model's forward runs under autocast and its density head
returns float32 maps, so counts, metrics and pictures work as before.

Training has its own switches: ``tools/train.py --amp`` (bfloat16 autocast:
MMEngine's ``AmpOptimWrapper`` on a GPU, ``CPUAmpOptimWrapper`` on the CPU)
and the config key ``compile = True`` (MMEngine's Runner then compiles
``model.train_step``).
"""
import contextlib
import functools
import sys
import threading
from typing import Optional, Union

import torch
import torch.nn as nn

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}

# Sub-modules of CrowdCounter that hold all the tensor work. They are
# compiled one by one: the counter's own forward builds data samples
# (Python objects) that would break the compiled graph.
_COMPILE_PARTS = ('backbone', 'neck', 'head')


#: ``/proc/cpuinfo`` flags of x86 CPUs that compute bfloat16 natively.
NATIVE_BF16_FLAGS = ('avx512_bf16', 'amx_bf16')


def _cpu_flags(cpuinfo='/proc/cpuinfo'):
    """The ``flags`` of the first CPU in ``cpuinfo`` (empty if unreadable)."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


@functools.lru_cache(maxsize=None)
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512_BF16 or AMX).

    Read from ``/proc/cpuinfo``, so only known on Linux; elsewhere False.
    Without these instructions oneDNN emulates bf16 convs, which is slower
    than float32.

    Returns:
        bool: True where bf16 autocast is the fast path on the CPU.
    """
    if not sys.platform.startswith('linux'):
        return False
    return bool(_cpu_flags() & set(NATIVE_BF16_FLAGS))


def default_fast_paths(device: Union[str, torch.device]) -> dict:
    """The inference speed-ups hsrcount uses by default on ``device``.

    On the CPU: channels-last always (oneDNN's convs run faster in NHWC,
    same values) and bf16 autocast where :func:`cpu_has_native_bf16`.
    Elsewhere (GPUs) nothing: the switches stay opt-in there.

    Args:
        device (str | torch.device): Where the model runs.

    Returns:
        dict: ``channels_last`` (bool) and ``amp`` (``'bf16'`` or None),
        keyword arguments of :func:`apply_fast_paths`.
    """
    if _device_type(device) == 'cpu':
        return dict(channels_last=True,
                    amp='bf16' if cpu_has_native_bf16() else None)
    return dict(channels_last=False, amp=None)


def resolve_fast_paths(device: Union[str, torch.device],
                       amp: Optional[bool] = None,
                       channels_last: Optional[bool] = None) -> dict:
    """The device's defaults with a tool's explicit choices on top.

    Args:
        device (str | torch.device): Where the model runs.
        amp (bool, optional): True for bf16 autocast (``--amp``), False for
            float32 (``--fp32``), None for the device's default.
        channels_last (bool, optional): True/False (``--channels-last`` /
            ``--no-channels-last``), None for the device's default.

    Returns:
        dict: ``channels_last`` and ``amp``, for :func:`apply_fast_paths`.
    """
    options = default_fast_paths(device)
    if amp is not None:
        options['amp'] = 'bf16' if amp else None
    if channels_last is not None:
        options['channels_last'] = bool(channels_last)
    return options


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


def _float32_output(module, args, output):
    """Forward hook: floating outputs cast to float32."""
    return _to_float32(output)


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
    return head.register_forward_hook(_float32_output)


class _AutocastForward:
    """Forward pre- and post-hooks that run a module under autocast.

    The pre-hook enters ``torch.autocast`` on the device of the input (or
    of the module's first parameter), the post-hook (registered with
    ``always_call``, so also after an exception) leaves it. A stack per
    thread makes nested and concurrent calls safe. A module in training
    mode runs as it would without the hooks: this is an inference switch
    (training has ``tools/train.py --amp``).
    """

    def __init__(self, dtype):
        self.dtype = AMP_DTYPES[dtype]
        self._local = threading.local()

    def __getstate__(self):
        # The per-thread stacks are neither copied nor pickled: a copied
        # model (deepcopy, pickle) starts with none open.
        return dict(dtype=self.dtype)

    def __setstate__(self, state):
        self.dtype = state['dtype']
        self._local = threading.local()

    def _stack(self):
        if not hasattr(self._local, 'stack'):
            self._local.stack = []
        return self._local.stack

    def enter(self, module, args):
        if module.training:
            self._stack().append(contextlib.nullcontext())
            return
        if args and isinstance(args[0], torch.Tensor):
            device = args[0].device.type
        else:
            param = next(module.parameters(), None)
            device = param.device.type if param is not None else 'cpu'
        context = torch.autocast(device, dtype=self.dtype)
        context.__enter__()
        self._stack().append(context)

    def exit(self, module, args, output):
        stack = self._stack()
        if stack:
            stack.pop().__exit__(None, None, None)


def _set_autocast(model, amp):
    """Run ``model``'s forward under autocast (``amp`` None: stop)."""
    for handle in getattr(model, '_fast_paths_amp_handles', ()):
        handle.remove()
    handles = []
    if amp is not None:
        hooks = _AutocastForward(amp)
        handles = [
            model.register_forward_pre_hook(hooks.enter),
            model.register_forward_hook(hooks.exit, always_call=True)
        ]
        head = getattr(model, 'head', None)
        target = head if isinstance(head, nn.Module) else model
        handles.append(target.register_forward_hook(_float32_output))
    model._fast_paths_amp_handles = handles
    model.fast_paths_amp = amp


def _runs_on_cpu(model: nn.Module) -> bool:
    param = next(model.parameters(), None)
    return param is None or param.device.type == 'cpu'


def check_cpu_compiler() -> None:
    """Refuse ``torch.compile`` on the CPU early where it cannot work.

    Inductor compiles CPU kernels with a C++ compiler; without one the first
    forward call fails deep inside it with a long traceback. This asks
    inductor for its compiler up front.

    Raises:
        RuntimeError: No working C++ compiler, saying how to get one.
    """
    try:
        from torch._inductor.cpp_builder import get_cpp_compiler
        from torch._inductor.exc import InvalidCxxCompiler
    except ImportError:  # a torch whose private layout moved: let it try
        return
    try:
        get_cpp_compiler()
    except InvalidCxxCompiler as err:
        raise RuntimeError(
            'compile on the CPU needs a C++ compiler for torch.compile '
            f'(inductor), and none works here ({err}). Install one (e.g. '
            'g++) or point the CXX environment variable at it, or run '
            'without --compile.') from None


def apply_fast_paths(model: nn.Module,
                     channels_last: bool = False,
                     compile: Union[bool, dict] = False,
                     tf32: bool = False,
                     amp: Optional[str] = None) -> nn.Module:
    """Switch on inference speed-ups of a crowd counter, in place.

    :func:`default_fast_paths` gives the arguments hsrcount uses by default
    on a device.

    Args:
        model (nn.Module): A :class:`CrowdCounter` (or any module; then
            ``compile`` compiles the whole module and ``channels_last``
            converts its input with a pre-hook).
        channels_last (bool): Store conv weights and the input images in
            channels-last (NHWC) memory format, which tensor-core convs on
            GPUs and oneDNN's convs on CPUs prefer
            (:meth:`CrowdCounter.set_channels_last`). The values do not
            change, only their layout.
        compile (bool | dict): ``torch.compile`` the backbone, neck and head
            (each with ``nn.Module.compile``); a dict is passed to it as
            keyword arguments, e.g. ``dict(mode='max-autotune')``. The first
            call per input shape is slow (compilation).
        tf32 (bool): Allow TF32 for float32 matmuls and convs on CUDA
            (process-wide, see :func:`set_tf32`). False leaves the current
            setting as it is.
        amp (str, optional): ``'bf16'`` or ``'fp16'``: every forward call
            of ``model`` (``test_step``, :func:`inference_model`,
            :func:`tiled_inference`, ``runner.test()``) runs under autocast
            on the input's device, and the head's (or, without a head, the
            model's) outputs are cast back to float32; in training mode
            the model runs in full precision. A second call
            replaces the first; None leaves the model in full precision
            (and removes an earlier ``amp``).

    Returns:
        nn.Module: ``model`` itself.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f'apply_fast_paths: model must be an nn.Module, got '
                        f'{type(model).__name__}')
    if amp is not None and amp not in AMP_DTYPES:
        raise ValueError(f'apply_fast_paths: amp must be one of '
                         f'{sorted(AMP_DTYPES)} or None, got {amp!r}')
    if amp is not None or hasattr(model, '_fast_paths_amp_handles'):
        _set_autocast(model, amp)
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
        if _runs_on_cpu(model) and options.get('backend',
                                               'inductor') == 'inductor':
            check_cpu_compiler()
        parts = [getattr(model, name, None) for name in _COMPILE_PARTS]
        parts = [p for p in parts if isinstance(p, nn.Module)]
        for part in parts or [model]:
            part.compile(**options)
    return model
