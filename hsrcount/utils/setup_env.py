"""Set-up every tool (and any script that builds a Runner) calls first."""
import ctypes
import datetime
import os
import sys

from mmengine import DefaultScope

#: Set to ``0`` to leave glibc's allocator as it is (see
#: :func:`setup_allocator`).
MALLOC_ENV = 'HSRCOUNT_TUNE_MALLOC'

# mallopt(3) parameters, from glibc's malloc.h.
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
#: Freed memory at the top of the heap that glibc keeps instead of giving
#: it back to the kernel: more than the largest activation of a counter.
TRIM_THRESHOLD = 1 << 30

_allocator_tuned = False


def _is_glibc():
    try:
        return os.confstr('CS_GNU_LIBC_VERSION').startswith('glibc')
    except (ValueError, OSError, AttributeError):
        return False


def setup_allocator(enable=None) -> bool:
    """Keep freed memory for reuse instead of returning it to the kernel.

    glibc serves every allocation above its mmap threshold (at most 32 MiB;
    a VGG activation of a 768 x 1024 image is 200 MiB) with fresh pages
    from ``mmap`` and unmaps them on ``free``. A forward pass then
    page-faults on every page of every large activation, each time: a
    third of CPU inference time goes to the kernel. This calls
    ``mallopt(M_MMAP_MAX, 0)`` (no mmap'd chunks: large blocks come from
    the heap and are reused) and ``mallopt(M_TRIM_THRESHOLD, 1 GiB)`` (the
    heap's free top is not handed back while under 1 GiB). The numbers
    computed are the same; the peak resident memory can be somewhat higher
    (see docs/benchmarks.md).

    The setting is process-wide and applies to allocations made after it,
    so it can run after ``import torch``; data loader workers forked later
    inherit it. It does nothing outside Linux with glibc (there, or with
    jemalloc or tcmalloc preloaded, glibc's malloc is not the one in use)
    and when the environment variable :data:`MALLOC_ENV` is ``0``. Every
    tool (``train``, ``test``, ``infer``, ``benchmark*``) calls it first.

    Args:
        enable (bool, optional): Force it on or off; default: on unless
            ``HSRCOUNT_TUNE_MALLOC=0``.

    Returns:
        bool: Whether the setting is in force.
    """
    global _allocator_tuned
    if enable is None:
        enable = os.environ.get(MALLOC_ENV, '1').strip() != '0'
    if not enable:
        return _allocator_tuned
    if _allocator_tuned:
        return True
    if not sys.platform.startswith('linux') or not _is_glibc():
        return False
    try:
        libc = ctypes.CDLL('libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success.
    _allocator_tuned = bool(mallopt(M_MMAP_MAX, 0)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _allocator_tuned


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register all hsrcount modules and make checkpoint loading safe.

    Two things happen here, deliberately and only here (importing hsrcount
    changes nothing outside it):

    1. Every hsrcount module is imported, so everything a config can name
       is registered before a Runner starts. (Registry ``locations`` would
       import them lazily at the first build.)
    2. MMEngine's checkpoint loaders are rewired through hsrcount's safe
       loader (:func:`hsrcount.engine.register_safe_checkpoint_loader`):
       ``weights_only=True`` with an allowlist of exactly what a checkpoint
       holds, so that resuming works on torch >= 2.6 and no checkpoint can
       run code. See ``docs/reliability.md``.

    ``tools/*.py`` and :func:`hsrcount.apis.init_model` call it; call it
    yourself before ``Runner.from_cfg`` in your own scripts.

    Args:
        init_default_scope (bool): Whether to set the default scope to
            'hsrcount'. Defaults to True.
    """
    import hsrcount.datasets  # noqa: F401
    import hsrcount.datasets.transforms  # noqa: F401
    import hsrcount.engine  # noqa: F401
    import hsrcount.evaluation  # noqa: F401
    import hsrcount.models  # noqa: F401
    import hsrcount.visualization  # noqa: F401
    from hsrcount.engine import register_safe_checkpoint_loader

    register_safe_checkpoint_loader()
    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('hsrcount', scope_name='hsrcount')
    elif current.scope_name != 'hsrcount':
        # A different scope is active (another OpenMMLab library); make a
        # uniquely named instance so both can coexist.
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'hsrcount-{stamp}', scope_name='hsrcount')
