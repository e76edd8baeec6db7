"""Loading checkpoints without letting them run code.

Since torch 2.6 :func:`torch.load` unpickles with ``weights_only=True``: only
tensors, containers and allowlisted globals may be rebuilt. An MMEngine
checkpoint also holds the message hub (``HistoryBuffer`` objects backed by
numpy arrays, numpy scalars such as the ETA), so MMEngine 0.10.7 cannot
resume on torch >= 2.6. Passing ``weights_only=False`` would "fix" that and
let any checkpoint file run arbitrary code when loaded. Instead hsrcount
allowlists exactly the globals its checkpoints hold
(:data:`SAFE_CHECKPOINT_GLOBALS`) and loads everything else as torch does.

:func:`register_safe_checkpoint_loader` routes MMEngine's loading paths
(``Runner.resume``, ``Runner.load_checkpoint``/``load_from``,
``mmengine.runner.load_checkpoint``, ``init_cfg=dict(type='Pretrained')``)
through this allowlist:

- local paths (scheme ``''``) go to :func:`load_from_local_safely`;
- every other registered scheme (``torchvision://``, ``open-mmlab://``,
  ``http(s)://``, ``s3://``, ...) keeps its loader, wrapped so the allowlist
  is active and refusals are reported clearly;
- ``mmengine.runner.checkpoint.load_url`` is replaced by
  :func:`load_url_safely`. MMEngine binds it to ``torch.hub.
  load_state_dict_from_url``, whose ``weights_only`` defaults to ``False``:
  left alone, every downloaded checkpoint (``http(s)://``, ``torchvision://``,
  ``open-mmlab://``, ``mmcls://``) could run code. The URL loaders call this
  module-level name directly rather than through the scheme table, so the
  name itself has to be rebound.
"""
import functools
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

# ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle
# writes as ``getattr(HistoryBuffer, 'mean')`` and so on.
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')

_WEIGHTS_ONLY_REFUSAL = 'Weights only load failed'
_SAFE_MARK = '_hsrcount_allowlisted'


def _name_of(obj) -> str:
    """A short printable name for an unpickled object."""
    if isinstance(obj, type) or callable(obj):
        module = getattr(obj, '__module__', None)
        qualname = getattr(obj, '__qualname__', repr(obj))
        return f'{module}.{qualname}' if module else qualname
    return f'<{type(obj).__qualname__} object>'


def history_buffer_statistic(obj, name: str) -> Callable:
    """The only ``getattr`` a checkpoint may call.

    Allowlisting ``builtins.getattr`` itself would let a checkpoint fetch any
    attribute of any object it can build (``getattr(getattr, '__self__')`` is
    the ``builtins`` module). This stand-in is registered under that name and
    resolves just the statistics methods of :class:`HistoryBuffer`.

    Args:
        obj: The object to look ``name`` up on; must be ``HistoryBuffer``.
        name (str): One of ``'min'``, ``'max'``, ``'current'``, ``'mean'``.

    Returns:
        Callable: ``HistoryBuffer.<name>``.
    """
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    # UnpicklingError is what torch.load reports as a weights-only refusal.
    raise pickle.UnpicklingError(
        f'Unsupported call builtins.getattr({_name_of(obj)}, {name!r}): '
        'only getattr(HistoryBuffer, name) with name in '
        f'{_HISTORY_BUFFER_STATISTICS} is allowed')


#: Every global an hsrcount (MMEngine 0.10.7) checkpoint holds beyond what
#: ``torch.load(weights_only=True)`` accepts by default, found by saving a
#: Runner's checkpoint (message hub, Adam/SGD state, schedulers, EMA, best
#: checkpoint) and listing what the unpickler refuses. Names come from the
#: objects, so they match what this environment's numpy writes.
SAFE_CHECKPOINT_GLOBALS = (
    # message_hub.log_scalars values
    HistoryBuffer,
    # HistoryBuffer's pickled statistics methods
    (history_buffer_statistic, 'builtins.getattr'),
    # the arrays inside HistoryBuffer: ndarray.__reduce__ -> _reconstruct
    np.ndarray,
    np.empty(0).__reduce__()[0],  # numpy._core.multiarray._reconstruct
    # their dtypes: float64 log values, int64 counts; np.dtype(...) builds
    # them, then BUILD sets state on an instance of the dtype's own class
    np.dtype,
    type(np.dtype(np.float64)),  # numpy.dtypes.Float64DType
    type(np.dtype(np.int64)),  # numpy.dtypes.Int64DType
    # numpy scalars in runtime_info, e.g. 'eta' and 'best_score'
    np.float64(0).__reduce__()[0],  # numpy._core.multiarray.scalar
)


def safe_global_names() -> list:
    """The qualified names :data:`SAFE_CHECKPOINT_GLOBALS` allows.

    Returns:
        list[str]: e.g. ``'mmengine.logging.history_buffer.HistoryBuffer'``.
    """
    return [
        item[1] if isinstance(item, tuple) else
        f'{item.__module__}.{item.__qualname__}'
        for item in SAFE_CHECKPOINT_GLOBALS
    ]


class UnsafeCheckpointError(RuntimeError):
    """A checkpoint needs a global outside :data:`SAFE_CHECKPOINT_GLOBALS`.

    Args:
        source (str): The file or URL that was refused.
        offending (str): The global (or call) the unpickler refused.
    """

    def __init__(self, source: str, offending: str):
        self.source = source
        self.offending = offending
        super().__init__(
            f'Refused to load checkpoint {source}: it needs {offending}, '
            'which is not in hsrcount\'s checkpoint allowlist '
            '(hsrcount.engine.checkpoint.SAFE_CHECKPOINT_GLOBALS). '
            'Unpickling it could run code chosen by whoever wrote the file. '
            'If you wrote this file yourself and know that type is plain '
            'data, allowlist exactly that type with '
            'torch.serialization.add_safe_globals([...]); never load a '
            'checkpoint with weights_only=False.')


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated, empty or not a checkpoint at all.

    Args:
        source (str): The file that could not be read.
        reason (str): What the reader reported.
    """

    def __init__(self, source: str, reason: str):
        self.source = source
        super().__init__(
            f'Checkpoint {source} is truncated or corrupt ({reason}). If it '
            'comes from an interrupted save, resume from the checkpoint '
            'named in the work dir\'s last_checkpoint file instead.')


def _is_refusal(err: BaseException) -> bool:
    return (isinstance(err, pickle.UnpicklingError)
            and str(err).startswith(_WEIGHTS_ONLY_REFUSAL))


def _offending_global(message: str) -> str:
    """Pull the refused global out of torch's weights-only error message."""
    patterns = (
        r'(builtins\.getattr\([^)]*\))',  # history_buffer_statistic
        r'GLOBAL ([\w.]+)',  # unknown GLOBAL opcode
        r"but got (<class '[^']+'>)",  # NEWOBJ / BUILD on an unlisted type
        r'unrecognized function ([^\n]+)',  # REDUCE of an unlisted callable
    )
    for pattern in patterns:
        match = re.search(pattern, message)
        if match:
            return match.group(1)
    return repr(message.strip().splitlines()[-1] if message.strip() else '')


def _corruption_reason(err: BaseException,
                       filename: Optional[str]) -> Optional[str]:
    """Why ``err`` means the bytes are damaged, or None if it does not."""
    lines = str(err).strip().splitlines()
    said = f'{type(err).__name__}: {lines[0]}' if lines else ''
    if isinstance(err, EOFError):
        return 'the data ends early' + (f'; {said}' if said else '')
    if isinstance(err, pickle.UnpicklingError) and not _is_refusal(err):
        return said
    if isinstance(err, RuntimeError) and 'PytorchStreamReader' in str(err):
        return said
    # Not a zip archive: torch fell back to its pre-1.6 reader, which fails
    # with arbitrary errors (KeyError, ValueError, ...) on foreign bytes.
    if (filename is not None and isinstance(err, Exception)
            and not zipfile.is_zipfile(filename)):
        return ('not a torch zip checkpoint, and the legacy reader failed: '
                + (said or type(err).__name__))
    return None


def _allowlist():
    return torch.serialization.safe_globals(list(SAFE_CHECKPOINT_GLOBALS))


def load_checkpoint_safely(filename: Union[str, os.PathLike],
                           map_location='cpu'):
    """Load a checkpoint file with ``weights_only=True`` and the allowlist.

    Args:
        filename (str | PathLike): Local checkpoint file; ``~`` is expanded.
        map_location: Same as :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        dict: The checkpoint (or whatever plain data the file holds).

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: The file needs a global outside
            :data:`SAFE_CHECKPOINT_GLOBALS`; nothing of it was executed.
        CorruptCheckpointError: The file is empty, truncated or not a
            checkpoint.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist or '
                                'is not a file.')
    try:
        with _allowlist():
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except Exception as err:
        if _is_refusal(err):
            raise UnsafeCheckpointError(filename,
                                        _offending_global(str(err))) from err
        reason = _corruption_reason(err, filename)
        if reason is not None:
            raise CorruptCheckpointError(filename, reason) from err
        raise


def load_from_local_safely(filename: str, map_location=None):
    """MMEngine ``CheckpointLoader`` loader for local paths (scheme ``''``).

    Args:
        filename (str): Local checkpoint path.
        map_location: Same as :func:`torch.load`. Defaults to None.

    Returns:
        dict: The checkpoint.
    """
    return load_checkpoint_safely(filename, map_location=map_location)


def load_url_safely(url: str,
                    model_dir: Optional[str] = None,
                    map_location=None,
                    progress: bool = True,
                    check_hash: bool = False,
                    file_name: Optional[str] = None):
    """``torch.hub.load_state_dict_from_url`` with ``weights_only=True``.

    Downloads ``url`` into ``model_dir`` (torch hub's cache by default) unless
    the file is already there, then unpickles it with the allowlist.

    Args:
        url (str): URL of the checkpoint.
        model_dir (str, optional): Download folder. Defaults to None.
        map_location: Same as :func:`torch.load`. Defaults to None.
        progress (bool): Show a download progress bar. Defaults to True.
        check_hash (bool): Check the hash prefix in the file name.
            Defaults to False.
        file_name (str, optional): Name of the downloaded file.
            Defaults to None (the URL's basename).

    Returns:
        dict: The checkpoint.

    Raises:
        UnsafeCheckpointError: The file needs a global outside
            :data:`SAFE_CHECKPOINT_GLOBALS`.
    """
    try:
        with _allowlist():
            return torch.hub.load_state_dict_from_url(
                url,
                model_dir=model_dir,
                map_location=map_location,
                progress=progress,
                check_hash=check_hash,
                file_name=file_name,
                weights_only=True)
    except pickle.UnpicklingError as err:
        if _is_refusal(err):
            raise UnsafeCheckpointError(url,
                                        _offending_global(str(err))) from err
        raise


def allowlisted_loader(loader: Callable) -> Callable:
    """Wrap a ``CheckpointLoader`` scheme loader with the allowlist.

    The wrapper keeps ``loader``'s name, which MMEngine prints as the
    backend name ("Loads checkpoint by <name[10:]> backend").

    Args:
        loader (Callable): ``loader(filename, map_location, ...)``.

    Returns:
        Callable: The same loader, run inside
        ``torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS)`` and
        raising :class:`UnsafeCheckpointError` on a refusal.
    """
    if getattr(loader, _SAFE_MARK, False):
        return loader

    @functools.wraps(loader)
    def safe_loader(filename, map_location=None, *args, **kwargs):
        try:
            with _allowlist():
                return loader(filename, map_location, *args, **kwargs)
        except UnsafeCheckpointError:
            raise
        except pickle.UnpicklingError as err:
            if _is_refusal(err):
                raise UnsafeCheckpointError(
                    filename, _offending_global(str(err))) from err
            raise

    setattr(safe_loader, _SAFE_MARK, True)
    return safe_loader


setattr(load_from_local_safely, _SAFE_MARK, True)


def register_safe_checkpoint_loader() -> None:
    """Make every MMEngine checkpoint loading path use the allowlist.

    Idempotent. Schemes registered with ``CheckpointLoader`` after this call
    are not wrapped; call it again after registering one.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safely, force=True)
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if not getattr(loader, _SAFE_MARK, False):
            CheckpointLoader.register_scheme(
                prefixes=prefix, loader=allowlisted_loader(loader), force=True)
    mmengine_checkpoint.load_url = load_url_safely
