"""Weights-only checkpoints in the safetensors format: no pickle at all.

A ``.safetensors`` file is an 8-byte header length, a JSON header (names,
dtypes, shapes, offsets, and string metadata) and the raw tensor bytes.
Reading one cannot run code, whatever the file holds, so it is the format
to hand to people who should not have to trust a pickle.

hsrcount's ``.safetensors`` files hold the model's state dict only (no
optimizer, no message hub): :func:`load_safetensors` returns it as
``{'state_dict': {...}}``, the shape MMEngine and
:func:`hsrcount.engine.load_weights` expect of a checkpoint, so inference
(``init_model``, ``tools/test.py``, ``tools/infer.py``) and ``load_from``
take such a file like a ``.pth``. :func:`convert_to_safetensors` writes
them from a training checkpoint (``tools/convert_checkpoint.py``).

The file's bytes are read once; the SHA-256 (of ``<file>.sha256`` beside
it, and an expected one a caller gives) is checked on the very bytes that
are then decoded.
"""
import hashlib
import json
import os
import os.path as osp
import struct
from collections import OrderedDict
from typing import Optional, Union

import torch

from hsrcount.utils.atomic_io import (atomic_write, checksum_path,
                                      read_checksum, write_checksum)
from .errors import CorruptCheckpointError, InvalidCheckpointError

SAFETENSORS_SUFFIX = '.safetensors'
#: The dtypes ``convert_to_safetensors`` writes floating tensors in.
DTYPES = {'fp32': torch.float32, 'bf16': torch.bfloat16}
_HEX64 = frozenset('0123456789abcdef')


def is_safetensors_path(filename: Union[str, os.PathLike]) -> bool:
    """Whether ``filename`` names a safetensors file (by its suffix)."""
    return os.fspath(filename).lower().endswith(SAFETENSORS_SUFFIX)


def normalize_sha256(value: str, source: str) -> str:
    """An expected SHA-256 as 64 lowercase hex digits.

    Args:
        value (str): The digest, as given (``sha256sum``'s first field is
            accepted too: ``'<hex>  name'``).
        source (str): What it is for, named in the error.

    Raises:
        ValueError: ``value`` is not 64 hex digits.
    """
    fields = str(value).split()
    digest = fields[0].lower() if fields else ''
    if len(digest) != 64 or not set(digest) <= _HEX64:
        raise ValueError(f'{source}: expected SHA-256 {value!r} is not 64 '
                         'hex digits')
    return digest


def check_sha256(actual: str, filename: str,
                 expected: Optional[str] = None) -> bool:
    """Compare a file's SHA-256 with the one given and with its
    ``<file>.sha256``.

    Args:
        actual (str): The SHA-256 of the file's bytes.
        filename (str): The file, named in errors.
        expected (str, optional): A checksum the caller was given (e.g.
            from a model zoo entry).

    Returns:
        bool: Whether any checksum was checked.

    Raises:
        CorruptCheckpointError: A checksum differs; the message names the
            file and both digests.
    """
    checked = False
    if expected is not None:
        expected = normalize_sha256(expected, filename)
        if actual != expected:
            raise CorruptCheckpointError(
                filename, f'its SHA-256 is {actual}, but {expected} was '
                'expected: it is not the file that checksum was published '
                'for (a partial or altered download?)')
        checked = True
    try:
        recorded = read_checksum(filename)
    except ValueError as err:
        raise CorruptCheckpointError(filename, str(err)) from err
    if recorded is not None:
        if actual != recorded:
            raise CorruptCheckpointError(
                filename, f'its SHA-256 is {actual}, but '
                f'{checksum_path(filename)}, written when it was saved, '
                f'records {recorded}: its bytes changed after the save')
        checked = True
    return checked


def _describe_foreign(data: bytes) -> str:
    """What bytes that are not safetensors look like."""
    if not data:
        return 'the file is empty'
    if data.startswith(b'PK\x03\x04'):
        return ('it is a zip archive (a torch .pth checkpoint?), not '
                'safetensors; convert a .pth with tools/convert_checkpoint.py')
    if data[:1] == b'\x80':
        return 'it is a pickle, not safetensors'
    return f'it starts with bytes {data[:8]!r}'


def _what_is_wrong(data: bytes) -> str:
    """Why bytes that safetensors refused are not a safetensors file."""
    if len(data) < 9 or data[8:9] != b'{':
        return _describe_foreign(data)
    (header_len, ) = struct.unpack('<Q', data[:8])
    if 8 + header_len > len(data):
        return (f'its header alone should be {header_len} bytes, the file '
                f'has {len(data)}: truncated')
    try:
        header = json.loads(data[8:8 + header_len])
        end = max((entry['data_offsets'][1] for key, entry in header.items()
                   if key != '__metadata__'), default=0)
    except (ValueError, KeyError, TypeError, IndexError):
        return 'its header is not valid safetensors JSON'
    if 8 + header_len + end != len(data):
        return (f'its header describes {8 + header_len + end} bytes, the '
                f'file has {len(data)}: truncated or padded')
    return 'its header and data disagree'


def decode_safetensors(data: bytes, filename: str) -> 'OrderedDict':
    """Decode safetensors bytes into CPU tensors.

    Args:
        data (bytes): The whole file.
        filename (str): The file, named in errors.

    Returns:
        OrderedDict[str, Tensor]: In the order of the file's header.

    Raises:
        CorruptCheckpointError: Truncated, damaged or not safetensors.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load
    try:
        tensors = load(data)
    except SafetensorError as err:
        raise CorruptCheckpointError(
            filename, f'not a valid safetensors file ({err}); '
            f'{_what_is_wrong(data)}') from err
    return OrderedDict(tensors)


def safetensors_metadata(data: bytes) -> dict:
    """The ``__metadata__`` strings of safetensors bytes (``{}`` if none)."""
    (header_len, ) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + header_len])
    return dict(header.get('__metadata__') or {})


def _to_location(tensors: dict, map_location, filename: str) -> dict:
    if map_location is None:
        return tensors
    if isinstance(map_location, (str, torch.device)):
        device = torch.device(map_location)
        if device.type == 'cpu':
            return tensors
        return OrderedDict((k, v.to(device)) for k, v in tensors.items())
    raise TypeError(f'{filename}: a safetensors checkpoint takes '
                    f'map_location as a device name or torch.device, got '
                    f'{type(map_location).__name__}')


def load_safetensors(filename: Union[str, os.PathLike],
                     map_location='cpu',
                     sha256: Optional[str] = None) -> dict:
    """Load a ``.safetensors`` file as a weights-only checkpoint.

    Args:
        filename (str | PathLike): The file; ``~`` is expanded.
        map_location (str | torch.device | None): Device for the tensors.
            Defaults to 'cpu'.
        sha256 (str, optional): The SHA-256 the file must have. The
            ``<file>.sha256`` beside it is checked too, when present.

    Returns:
        dict: ``{'state_dict': OrderedDict[str, Tensor], 'meta':
        {'safetensors_metadata': {...}}}``; no training state, so it loads
        with ``load_from``, not ``resume``.

    Raises:
        FileNotFoundError: ``filename`` is not a file.
        CorruptCheckpointError: Truncated, damaged, not safetensors, or
            its SHA-256 differs from ``sha256`` or ``<file>.sha256``.
    """
    filename = osp.expanduser(os.fspath(filename))
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist or '
                                'is not a file.')
    with open(filename, 'rb') as f:
        data = f.read()
    check_sha256(hashlib.sha256(data).hexdigest(), filename, sha256)
    tensors = decode_safetensors(data, filename)
    # 'meta' without 'iter' or 'message_hub': a resume refuses it and says
    # to use load_from.
    return dict(state_dict=_to_location(tensors, map_location, filename),
                meta=dict(safetensors_metadata=safetensors_metadata(data)))


def weights_of(checkpoint: dict, source: str) -> 'OrderedDict':
    """The model weights of a training checkpoint, nothing else.

    Args:
        checkpoint (dict): ``{'state_dict': ...}`` or a flat dict of tensors.
        source (str): The checkpoint, named in errors.

    Returns:
        OrderedDict[str, Tensor]: The state dict (``_extra_state`` entries,
        which are not tensors, are refused).

    Raises:
        InvalidCheckpointError: Not a dict of tensors.
    """
    from .model_loading import state_dict_of
    state = state_dict_of(checkpoint, source)
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise InvalidCheckpointError(
                source, f'{key!r} is a {type(value).__name__}; safetensors '
                'holds tensors only')
    return OrderedDict(state)


def convert_to_safetensors(checkpoint: dict,
                           out: Union[str, os.PathLike],
                           dtype: str = 'fp32',
                           source: str = '',
                           metadata: Optional[dict] = None) -> str:
    """Write a checkpoint's weights as ``.safetensors`` with its SHA-256.

    Floating tensors are cast to ``dtype``; integer tensors (batch-norm
    counters) are kept as they are. Every tensor is copied into its own
    contiguous storage, as safetensors requires. The file is written
    atomically, then ``<out>.sha256`` beside it (``sha256sum`` format).

    Args:
        checkpoint (dict): A loaded checkpoint (see :func:`weights_of`).
        out (str | PathLike): The ``.safetensors`` file to write.
        dtype (str): ``'fp32'`` or ``'bf16'`` (half the size; predictions
            differ slightly, see docs/model_zoo.md). Defaults to 'fp32'.
        source (str): The checkpoint's name, stored in the metadata and
            named in errors.
        metadata (dict, optional): More ``str -> str`` metadata.

    Returns:
        str: The SHA-256 of the written file.
    """
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got '
                         f'{dtype!r}')
    out = os.fspath(out)
    if not is_safetensors_path(out):
        raise ValueError(f'{out}: the output must end in '
                         f'{SAFETENSORS_SUFFIX}')
    from safetensors.torch import save
    state = weights_of(checkpoint, source or out)
    target = DTYPES[dtype]
    tensors = OrderedDict(
        (key, (value.detach().to('cpu', target) if value.is_floating_point()
               else value.detach().to('cpu')).contiguous().clone())
        for key, value in state.items())
    meta = dict(format='pt', dtype=dtype, content='model state_dict')
    if source:
        meta['source'] = osp.basename(source)
    meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
    data = save(tensors, metadata=meta)
    old = checksum_path(out)
    if osp.lexists(old):
        # A kill between the two writes must not leave a checksum of
        # other bytes beside the new file.
        os.remove(old)
    atomic_write(data, out)
    write_checksum(data, out)
    return hashlib.sha256(data).hexdigest()
