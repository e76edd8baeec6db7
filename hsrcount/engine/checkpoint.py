"""Loading checkpoints without letting them run code.

Since torch 2.6 :func:`torch.load` unpickles with ``weights_only=True``: only
tensors, containers and allowlisted globals may be rebuilt. An MMEngine
checkpoint also holds the message hub (``HistoryBuffer`` objects backed by
numpy arrays, numpy scalars such as the ETA), so MMEngine 0.10.7 cannot
resume on torch >= 2.6. Passing ``weights_only=False`` would "fix" that and
let any checkpoint file run arbitrary code when loaded. Instead hsrcount
allowlists exactly the globals its checkpoints hold
(:data:`SAFE_CHECKPOINT_GLOBALS`) and loads everything else as torch does.

Safety never rests on torch's default: every load here passes
``weights_only=True`` and the allowlist explicitly. torch's
``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` only flips the default, which an explicit
argument overrides (torch 2.14); while it is set, each load first checks that
this torch still honours the explicit argument and refuses to load if not.

Beyond the unpickler, a load also

- restores ``HistoryBuffer``'s class-wide table of statistics methods, which
  ``HistoryBuffer.__setstate__`` lets a file rewrite, and refuses such a
  file; and checks every restored ``HistoryBuffer`` holds plain history;
- verifies a local file against its ``<file>.sha256``, when one lies beside
  it (:class:`hsrcount.engine.hooks.AtomicCheckpointHook` writes them), and
  against a SHA-256 the caller gives (``sha256=``);
- tells a damaged or foreign file (:class:`CorruptCheckpointError`) from one
  that would run code (:class:`UnsafeCheckpointError`).

:func:`register_safe_checkpoint_loader` routes MMEngine's loading paths
(``Runner.resume``, ``Runner.load_checkpoint``/``load_from``,
``mmengine.runner.load_checkpoint``, ``init_cfg=dict(type='Pretrained')``)
through this module:

- local paths (scheme ``''``) go to :func:`load_from_local_safely`; a
  ``.safetensors`` file among them is decoded without any pickle
  (:mod:`hsrcount.engine.safetensors_io`) into ``{'state_dict': ...}``;
- ``open-mmlab://``/``openmmlab://``, ``s3://``/``petrel://`` and
  ``pavi://``, whose MMEngine loaders call ``torch.load`` without
  ``weights_only``, are replaced by loaders here that resolve the same
  files and load them with :func:`load_checkpoint_safely`;
- ``http(s)://``, ``torchvision://``, ``modelzoo://`` and ``mmcls://`` keep
  MMEngine's loaders, which all end in ``mmengine.runner.checkpoint.
  load_url``. MMEngine binds that name to ``torch.hub.
  load_state_dict_from_url``, whose ``weights_only`` defaults to ``False``;
  it is rebound to :func:`load_url_safely`;
- a scheme another library registered keeps its loader, run with the
  allowlist active; hsrcount cannot see what it passes to ``torch.load``, so
  it is refused while ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is set.
"""
import contextlib
import functools
import io
import os
import os.path as osp
import pickle
import re
import zipfile
from tempfile import TemporaryDirectory
from typing import Callable, Optional, Union

import numpy as np
import torch
from mmengine.fileio import get_file_backend
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from hsrcount.utils.atomic_io import read_checksum, sha256_of_file
from .errors import (CheckpointError, CorruptCheckpointError,
                     InvalidCheckpointError, UnsafeCheckpointError)
from .safetensors_io import check_sha256, is_safetensors_path, load_safetensors

# ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle
# writes as ``getattr(HistoryBuffer, 'mean')`` and so on.
_HISTORY_BUFFER_STATISTICS = ('min', 'max', 'current', 'mean')
_HISTORY_BUFFER_ATTRS = {'max_length', '_log_history', '_count_history'}
_WEIGHTS_ONLY_REFUSAL = 'Weights only load failed'
#: Messages of torch's weights-only unpickler (and of
#: :func:`history_buffer_statistic`) that refuse a global or a call: the
#: file asked for something that could run code. Its other errors
#: ("Unsupported operand 255", ...) mean the bytes are not a valid pickle.
_REFUSALS = ('unsupported GLOBAL', 'Unsupported global',
             'Can only create new object',
             'call reduce for unrecognized function', 'Can only build Tensor',
             'Unsupported call builtins.getattr')
_SAFE_MARK = '_hsrcount_allowlisted'
_FORCE_NO_WEIGHTS_ONLY = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
_TRUE_VALUES = ('1', 'y', 'yes', 'true')  # as torch.load reads them
#: Readable names of file types someone may pass by mistake.
_MAGIC = ((b'\xff\xd8\xff', 'a JPEG image'), (b'\x89PNG', 'a PNG image'),
          (b'GIF8', 'a GIF image'), (b'BM', 'a BMP image'),
          (b'%PDF', 'a PDF document'), (b'\x1f\x8b', 'a gzip file'))
#: RuntimeError messages of torch's zip reader about damaged archives.
_ZIP_READER_FAULTS = ('PytorchStreamReader', 'inline_container',
                      'record size', 'file in archive', 'central directory',
                      'zip archive')


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



def _is_refusal(err: BaseException) -> bool:
    """Whether ``err`` is the unpickler refusing a global or a call."""
    message = str(err)
    return (isinstance(err, pickle.UnpicklingError)
            and message.startswith(_WEIGHTS_ONLY_REFUSAL)
            and any(refusal in message for refusal in _REFUSALS))


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


def _unpickler_fault(message: str) -> str:
    """The weights-only unpickler's own words, without torch's preamble."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines[1:]:
        if not line.startswith(('Please file an issue', 'Check the doc')):
            return line.replace('WeightsUnpickler error:', '').strip() or \
                line
    return lines[0] if lines else ''


def _file_kind(filename: str) -> str:
    """What a file that is not a torch checkpoint looks like it is."""
    with open(filename, 'rb') as f:
        head = f.read(16)
    if not head:
        return 'the file is empty'
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return f'it is {kind}, not a torch checkpoint'
    if head[8:9] == b'{' and head[9:10] == b'"':
        return ('it is a safetensors file, not a torch pickle: name it '
                '.safetensors to load it as one')
    if head.startswith(b'PK\x03\x04'):
        return ('a zip archive without its directory: a torch checkpoint cut '
                'short, or another damaged zip')
    if head.lstrip()[:1] in (b'{', b'['):
        return 'it is JSON or other text, not a torch checkpoint'
    if head[:1] == b'\x80':
        return 'a legacy (non-zip) torch file or another pickle'
    return f'it is not a torch checkpoint (it starts with bytes {head[:8]!r})'


def _corruption_reason(err: BaseException,
                       filename: Optional[str]) -> Optional[str]:
    """Why ``err`` means the bytes are damaged, or None if it does not."""
    lines = str(err).strip().splitlines()
    said = f'{type(err).__name__}: {lines[0]}' if lines else ''
    if isinstance(err, pickle.UnpicklingError) and not _is_refusal(err):
        if str(err).startswith(_WEIGHTS_ONLY_REFUSAL):
            said = f'UnpicklingError: {_unpickler_fault(str(err))}'
    if filename is not None and osp.isfile(filename):
        if zipfile.is_zipfile(filename):
            kind = 'a zip archive that torch cannot read as a checkpoint'
        else:
            kind = _file_kind(filename)
    else:
        kind = None
    if isinstance(err, EOFError):
        fault = 'the data ends early' + (f'; {said}' if said else '')
    elif isinstance(err, pickle.UnpicklingError) and not _is_refusal(err):
        fault = said
    elif isinstance(err, RuntimeError) and any(
            fault in str(err) for fault in _ZIP_READER_FAULTS):
        fault = said
    elif (kind is not None and not kind.startswith('a zip')
          and isinstance(err, Exception)):
        # Not a zip archive: torch fell back to its pre-1.6 reader, which
        # fails with arbitrary errors (KeyError, ValueError, ...) on foreign
        # bytes.
        fault = 'the legacy reader failed: ' + (said or type(err).__name__)
    else:
        return None
    return f'{kind}; {fault}' if kind else fault


def _allowlist():
    return torch.serialization.safe_globals(list(SAFE_CHECKPOINT_GLOBALS))


def _weights_only_forced_off() -> bool:
    return os.environ.get(_FORCE_NO_WEIGHTS_ONLY,
                          '0').lower() in _TRUE_VALUES


class _WeightsOnlyProbe:
    """Harmless object a weights-only load must refuse to rebuild."""


def _check_weights_only_is_honoured(source: str) -> None:
    """Refuse to load while torch ignores an explicit ``weights_only=True``.

    torch 2.14 lets ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` change only the
    default; should a torch let it override the explicit argument, every
    load here would unpickle freely. While the variable is set, a probe
    object that a weights-only load must refuse is loaded first.

    Raises:
        UnsafeCheckpointError: The probe loaded: weights-only loading is
            off whatever hsrcount passes.
    """
    if not _weights_only_forced_off():
        return
    buffer = io.BytesIO()
    torch.save(_WeightsOnlyProbe(), buffer)
    buffer.seek(0)
    try:
        torch.load(buffer, weights_only=True)
    except pickle.UnpicklingError:
        return
    raise UnsafeCheckpointError(
        source, _FORCE_NO_WEIGHTS_ONLY,
        f'{_FORCE_NO_WEIGHTS_ONLY} is set and this torch '
        f'({torch.__version__}) then ignores an explicit weights_only=True, '
        'so any checkpoint could run code while it loads. Unset '
        f'{_FORCE_NO_WEIGHTS_ONLY}.')


@contextlib.contextmanager
def _class_state_kept(source: str):
    """Undo, and refuse, a load that rewrites HistoryBuffer's class table.

    ``HistoryBuffer.__setstate__`` updates the class-wide
    ``_statistics_methods`` with whatever the file's buffers hold, e.g.
    ``{'mean': 7}``: every ``HistoryBuffer`` of the process, and the next
    checkpoint, would carry it.
    """
    HistoryBuffer()  # registers the default methods
    table = HistoryBuffer._statistics_methods
    before = dict(table)
    try:
        yield
    finally:
        changed = sorted(
            key for key in set(before) | set(table)
            if key not in before or key not in table
            or table[key] is not before[key])
        if changed:
            table.clear()
            table.update(before)
    if changed:
        raise UnsafeCheckpointError(
            source, 'HistoryBuffer._statistics_methods',
            'a HistoryBuffer in it rewrites the statistics methods that '
            f'all HistoryBuffers share ({", ".join(map(repr, changed))}); '
            'a checkpoint may not change class-wide state. Nothing was '
            'changed.')


def _bad_history_buffer(buffer: HistoryBuffer) -> Optional[str]:
    """What is wrong with a restored HistoryBuffer, or None."""
    attrs = vars(buffer)
    if set(attrs) != _HISTORY_BUFFER_ATTRS:
        return (f'attributes {sorted(attrs)}, expected '
                f'{sorted(_HISTORY_BUFFER_ATTRS)}')
    max_length = attrs['max_length']
    if not isinstance(max_length, int) or isinstance(max_length, bool) \
            or max_length < 1:
        return f'max_length={max_length!r}, expected a positive int'
    logs, counts = attrs['_log_history'], attrs['_count_history']
    for name, array in (('log', logs), ('count', counts)):
        if not isinstance(array, np.ndarray) or array.ndim != 1 or \
                array.dtype.kind not in 'iuf':
            return f'its {name} history is not a 1-D numeric array'
    if len(logs) != len(counts) or len(logs) > max_length:
        return (f'{len(logs)} values and {len(counts)} counts for '
                f'max_length={max_length}')
    return None


def _check_history_buffers(obj, source: str) -> None:
    """Every HistoryBuffer in ``obj`` holds plain history.

    Raises:
        InvalidCheckpointError: Naming the buffer's place in the checkpoint.
    """
    stack = [(obj, '')]
    while stack:
        node, where = stack.pop()
        if isinstance(node, HistoryBuffer):
            fault = _bad_history_buffer(node)
            if fault is not None:
                raise InvalidCheckpointError(
                    source, f'the HistoryBuffer at {where or "top level"} '
                    f'is malformed: {fault}')
        elif isinstance(node, dict):
            stack.extend((value, f'{where}[{key!r}]')
                         for key, value in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend((value, f'{where}[{index}]')
                         for index, value in enumerate(node))


def _guarded(source: str, load: Callable, filename: Optional[str] = None):
    """Run ``load()`` with every guard of this module.

    Args:
        source (str): The file or URL, named in errors.
        load (Callable): Loads and returns the checkpoint; it must call
            ``torch.load`` with ``weights_only=True``.
        filename (str, optional): The local file, to describe its bytes
            when they are not a checkpoint.

    Returns:
        The checkpoint.
    """
    _check_weights_only_is_honoured(source)
    try:
        with _allowlist(), _class_state_kept(source):
            checkpoint = load()
    except CheckpointError:
        raise
    except Exception as err:
        if _is_refusal(err):
            raise UnsafeCheckpointError(source,
                                        _offending_global(str(err))) from err
        reason = _corruption_reason(err, filename)
        if reason is not None:
            raise CorruptCheckpointError(source, reason) from err
        raise
    _check_history_buffers(checkpoint, source)
    return checkpoint


def _torch_load(f, map_location):
    return torch.load(f, map_location=map_location, weights_only=True)


def verify_checksum(filename: Union[str, os.PathLike],
                    expected: Optional[str] = None) -> bool:
    """Check a file against an expected SHA-256 and its ``<file>.sha256``.

    Args:
        filename (str | PathLike): The checkpoint file.
        expected (str, optional): The SHA-256 it must have (64 hex digits),
            e.g. from a model zoo entry. Defaults to None (only the
            ``<file>.sha256`` beside it, if any, is checked).

    Returns:
        bool: True if a checksum was given or found and matches; False if
        there is none.

    Raises:
        CorruptCheckpointError: The bytes differ from a recorded or given
            SHA-256, or the checksum file is unreadable; the message names
            the file (and the checksum file).
        ValueError: ``expected`` is not 64 hex digits.
    """
    filename = osp.expanduser(os.fspath(filename))
    try:
        recorded = read_checksum(filename)
    except ValueError as err:
        raise CorruptCheckpointError(filename, str(err)) from err
    if recorded is None and expected is None:
        return False
    return check_sha256(sha256_of_file(filename), filename, expected)


def load_checkpoint_safely(filename: Union[str, os.PathLike],
                           map_location='cpu',
                           sha256: Optional[str] = None):
    """Load a checkpoint file without letting it run code.

    A ``.safetensors`` file is decoded without pickle
    (:func:`hsrcount.engine.safetensors_io.load_safetensors`) and comes back
    as ``{'state_dict': ..., 'meta': ...}``; any other file is unpickled
    with ``weights_only=True`` and the allowlist.

    Args:
        filename (str | PathLike): Local checkpoint file; ``~`` is expanded.
        map_location: Same as :func:`torch.load` (a device for
            ``.safetensors``). Defaults to 'cpu'.
        sha256 (str, optional): The SHA-256 the file must have; the
            ``<file>.sha256`` beside it is checked too, when present.

    Returns:
        dict: The checkpoint (or whatever plain data the file holds).

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        UnsafeCheckpointError: The file needs a global outside
            :data:`SAFE_CHECKPOINT_GLOBALS`, or would change class-wide
            state; nothing of it was executed.
        CorruptCheckpointError: The file is empty, truncated, not a
            checkpoint, or differs from ``sha256`` or its ``<file>.sha256``.
        InvalidCheckpointError: A ``HistoryBuffer`` in it is malformed.
    """
    filename = osp.expanduser(os.fspath(filename))
    if is_safetensors_path(filename):
        return load_safetensors(filename, map_location, sha256=sha256)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist or '
                                'is not a file.')
    verify_checksum(filename, sha256)
    return _guarded(
        filename, lambda: _torch_load(filename, map_location), filename)


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
    return _guarded(
        url, lambda: torch.hub.load_state_dict_from_url(
            url,
            model_dir=model_dir,
            map_location=map_location,
            progress=progress,
            check_hash=check_hash,
            file_name=file_name,
            weights_only=True))


def load_from_openmmlab_safely(filename: str, map_location=None):
    """``open-mmlab://NAME`` / ``openmmlab://NAME``, loaded safely.

    Resolves ``NAME`` as MMEngine does (its model list, updated by
    ``$MMENGINE_HOME/open_mmlab.json``; deprecated names renamed): a URL is
    downloaded through :func:`load_url_safely`, a relative path is read
    from ``MMENGINE_HOME`` with :func:`load_checkpoint_safely`.

    Args:
        filename (str): ``open-mmlab://NAME`` or ``openmmlab://NAME``.
        map_location: Same as :func:`torch.load`. Defaults to None.

    Returns:
        dict: The checkpoint.
    """
    prefix = 'open-mmlab://' if filename.startswith('open-mmlab://') \
        else 'openmmlab://'
    name = filename[len(prefix):]
    deprecated = mmengine_checkpoint.get_deprecated_model_names()
    if name in deprecated:
        print_log(f'{prefix}{name} is deprecated in favor of '
                  f'{prefix}{deprecated[name]}', logger='current')
        name = deprecated[name]
    urls = mmengine_checkpoint.get_external_models()
    if name not in urls:
        raise FileNotFoundError(
            f'{filename}: no model {name!r} in MMEngine\'s open-mmlab model '
            'list or in $MMENGINE_HOME/open_mmlab.json')
    url = urls[name]
    if url.startswith(('http://', 'https://')):
        return mmengine_checkpoint.load_from_http(
            url, map_location=map_location)
    return load_checkpoint_safely(
        osp.join(mmengine_checkpoint._get_mmengine_home(), url),
        map_location=map_location)


def load_from_ceph_safely(filename: str, map_location=None,
                          backend: str = 'petrel'):
    """``s3://`` / ``petrel://`` checkpoints, loaded safely.

    Args:
        filename (str): The object's URI.
        map_location: Same as :func:`torch.load`. Defaults to None.
        backend (str): MMEngine file backend. Defaults to 'petrel'.

    Returns:
        dict: The checkpoint.
    """
    file_backend = get_file_backend(
        filename, backend_args={'backend': backend})
    data = file_backend.get(filename)
    return _guarded(filename,
                    lambda: _torch_load(io.BytesIO(data), map_location))


def load_from_pavi_safely(filename: str, map_location=None):
    """``pavi://`` checkpoints, downloaded then loaded safely.

    Args:
        filename (str): ``pavi://MODEL_PATH``.
        map_location: Same as :func:`torch.load`. Defaults to None.

    Returns:
        dict: The checkpoint.
    """
    try:
        from pavi import modelcloud
    except ImportError as err:
        raise ImportError('Please install pavi to load checkpoint from '
                          'modelcloud.') from err
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as tmp_dir:
        downloaded = osp.join(tmp_dir, model.name)
        model.download(downloaded)
        return _guarded(filename,
                        lambda: _torch_load(downloaded, map_location),
                        downloaded)


def allowlisted_loader(loader: Callable, trusted: bool = False) -> Callable:
    """Wrap a ``CheckpointLoader`` scheme loader with the guards.

    The wrapper keeps ``loader``'s name, which MMEngine prints as the
    backend name ("Loads checkpoint by <name[10:]> backend").

    Args:
        loader (Callable): ``loader(filename, map_location, ...)``.
        trusted (bool): ``loader`` is known to load with
            ``weights_only=True`` (MMEngine's URL loaders, through
            :func:`load_url_safely`). An untrusted loader is refused while
            ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` is set. Defaults to False.

    Returns:
        Callable: The same loader, run inside
        ``torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS)`` and
        raising :class:`UnsafeCheckpointError` on a refusal.
    """
    if getattr(loader, _SAFE_MARK, False):
        return loader

    @functools.wraps(loader)
    def safe_loader(filename, map_location=None, *args, **kwargs):
        if not trusted and _weights_only_forced_off():
            raise UnsafeCheckpointError(
                filename, _FORCE_NO_WEIGHTS_ONLY,
                f'its scheme\'s loader, {loader.__module__}.'
                f'{loader.__qualname__}, is not hsrcount\'s and may call '
                'torch.load without weights_only, which '
                f'{_FORCE_NO_WEIGHTS_ONLY} turns into a load that can run '
                f'code. Unset {_FORCE_NO_WEIGHTS_ONLY}.')
        return _guarded(
            filename, lambda: loader(filename, map_location, *args, **kwargs))

    setattr(safe_loader, _SAFE_MARK, True)
    return safe_loader


for _loader in (load_from_local_safely, load_from_openmmlab_safely,
                load_from_ceph_safely, load_from_pavi_safely):
    setattr(_loader, _SAFE_MARK, True)

#: MMEngine's loaders that call ``torch.load`` without ``weights_only``, and
#: their replacements.
_REPLACEMENTS = {
    mmengine_checkpoint.load_from_local: load_from_local_safely,
    mmengine_checkpoint.load_from_openmmlab: load_from_openmmlab_safely,
    mmengine_checkpoint.load_from_ceph: load_from_ceph_safely,
    mmengine_checkpoint.load_from_pavi: load_from_pavi_safely,
}
#: MMEngine's loaders that end in ``load_url`` (:func:`load_url_safely`).
_VIA_LOAD_URL = (mmengine_checkpoint.load_from_http,
                 mmengine_checkpoint.load_from_torchvision,
                 mmengine_checkpoint.load_from_mmcls)


def register_safe_checkpoint_loader() -> None:
    """Make every MMEngine checkpoint loading path use the guards.

    Idempotent. Schemes registered with ``CheckpointLoader`` after this call
    are not wrapped; call it again after registering one.
    """
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safely, force=True)
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        if getattr(loader, _SAFE_MARK, False):
            continue
        if loader in _REPLACEMENTS:
            safe = _REPLACEMENTS[loader]
        else:
            safe = allowlisted_loader(loader, trusted=loader in _VIA_LOAD_URL)
        CheckpointLoader.register_scheme(
            prefixes=prefix, loader=safe, force=True)
    mmengine_checkpoint.load_url = load_url_safely
