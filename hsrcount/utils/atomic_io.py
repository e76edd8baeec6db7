"""Crash-safe file writes, with an optional checksum beside the file.

A file written with :func:`atomic_write` is either absent, or the previous
version, or the complete new version: never a torn mix. The bytes go to a
new temporary file in the same folder, ``<name>.<8 hex digits>.tmp``,
created with ``O_CREAT | O_EXCL`` (a name that already exists, a planted
symlink included, is never opened, let alone followed), are flushed and
``fsync``-ed, and the temporary file is then renamed over ``path`` with
:func:`os.replace`, which is atomic on POSIX and Windows when both names lie
on one file system. Two writers of the same path never share a temporary
file: the last rename wins, whole.

:class:`AtomicLocalBackend` puts the same guarantee behind MMEngine's file
backend interface, so that ``mmengine.runner.save_checkpoint`` (which calls
``backend.put``) writes checkpoints atomically, each with a
``<name>.sha256`` file beside it (:func:`write_checksum`) that the safe
checkpoint loader verifies.
"""
import hashlib
import os
import os.path as osp
import re
import secrets
from pathlib import Path
from typing import BinaryIO, Optional, Tuple, Union

from mmengine.fileio import LocalBackend, register_backend

#: Name under which :class:`AtomicLocalBackend` is registered in MMEngine's
#: (global, unscoped) file backend table; select it with
#: ``backend_args=dict(backend=ATOMIC_LOCAL_BACKEND)``.
ATOMIC_LOCAL_BACKEND = 'hsrcount_atomic_local'

TMP_SUFFIX = '.tmp'
#: Suffix of the file holding a file's SHA-256, in ``sha256sum`` format.
CHECKSUM_SUFFIX = '.sha256'

_TMP_NAME = re.compile(r'^(?P<target>.+)\.[0-9a-f]{8}\.tmp$')
_CHUNK = 1 << 22


def _fsync_dir(dirname: str) -> None:
    """Make a rename inside ``dirname`` durable (POSIX only).

    Windows cannot open a folder as a file; there the rename itself is the
    best available guarantee.
    """
    if os.name != 'posix':
        return
    fd = os.open(dirname, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_temp(path: str) -> Tuple[str, BinaryIO]:
    """Create a new, empty temporary file beside ``path``.

    Args:
        path (str): The absolute destination path.

    Returns:
        tuple[str, BinaryIO]: The temporary file's path and the file, open
        for binary writing.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(
        os, 'O_NOFOLLOW', 0) | getattr(os, 'O_BINARY', 0)
    while True:
        tmp_path = f'{path}.{secrets.token_hex(4)}{TMP_SUFFIX}'
        try:
            fd = os.open(tmp_path, flags, 0o666)  # the umask applies
        except FileExistsError:
            continue  # never reuse a name: it may be someone's symlink
        return tmp_path, open(fd, 'wb')


def temp_target(name: str) -> Optional[str]:
    """The file a temporary file of :func:`atomic_write` was meant for.

    Args:
        name (str): A file name, e.g. ``'iter_4.pth.3fa9c2d1.tmp'``.

    Returns:
        str | None: e.g. ``'iter_4.pth'``, or None if ``name`` is not such
        a temporary file.
    """
    match = _TMP_NAME.match(name)
    return match.group('target') if match else None


def atomic_write(data: Union[bytes, str],
                 path: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
    """Write ``data`` to ``path`` so a crash never leaves a partial file.

    Args:
        data (bytes | str): The whole content; ``str`` is encoded with
            ``encoding``.
        path (str | Path): Destination file. Its folder is created if needed.
        encoding (str): Encoding of ``data`` when it is a ``str``.
            Defaults to 'utf-8'.
    """
    path = osp.abspath(os.fspath(path))
    if isinstance(data, str):
        data = data.encode(encoding)
    dirname = osp.dirname(path)
    os.makedirs(dirname, exist_ok=True)
    tmp_path, f = _open_temp(path)
    try:
        with f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        # A live process cleans up after itself; a killed one leaves the
        # temporary file (remove_stale_temps clears a work dir of them).
        if osp.lexists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_dir(dirname)


def remove_stale_temps(dirname: Union[str, Path]) -> list:
    """Delete temporary files that killed :func:`atomic_write` calls left.

    Call it only while no other process writes into ``dirname`` (training
    holds the work-dir lock when :class:`AtomicCheckpointHook` calls it).

    Args:
        dirname (str | Path): The folder to clean (not its sub-folders).

    Returns:
        list[str]: The names removed.
    """
    removed = []
    for name in sorted(os.listdir(dirname)):
        if temp_target(name) is not None:
            # os.remove deletes a symlink itself, never its target.
            os.remove(osp.join(dirname, name))
            removed.append(name)
    return removed


def checksum_path(path: Union[str, Path]) -> str:
    """The checksum file of ``path``: ``<path>.sha256``."""
    return os.fspath(path) + CHECKSUM_SUFFIX


def sha256_of_file(path: Union[str, Path]) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksum(data: bytes, path: Union[str, Path]) -> str:
    """Write ``<path>.sha256`` for the bytes ``data`` that ``path`` holds.

    The format is ``sha256sum``'s (``<hex>  <file name>``), so
    ``sha256sum -c iter_4.pth.sha256`` checks the file from its folder.

    Args:
        data (bytes): The content of ``path``.
        path (str | Path): The file the checksum describes.

    Returns:
        str: The checksum file's path.
    """
    digest = hashlib.sha256(data).hexdigest()
    target = checksum_path(osp.abspath(os.fspath(path)))
    atomic_write(f'{digest}  {osp.basename(os.fspath(path))}\n', target)
    return target


def read_checksum(path: Union[str, Path]) -> Optional[str]:
    """The SHA-256 recorded for ``path``, or None without a checksum file.

    Args:
        path (str | Path): The file whose ``<path>.sha256`` is read.

    Returns:
        str | None: 64 lowercase hex digits.

    Raises:
        ValueError: The checksum file exists but holds no SHA-256.
    """
    target = checksum_path(path)
    if not osp.isfile(target):
        return None
    with open(target, encoding='utf-8', errors='replace') as f:
        text = f.read(4096)
    fields = text.split()
    if not fields or not re.fullmatch(r'[0-9a-fA-F]{64}', fields[0]):
        raise ValueError(f'{target}: not a SHA-256 checksum file '
                         f'(expected "<64 hex digits>  <file name>")')
    return fields[0].lower()


@register_backend(ATOMIC_LOCAL_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local disk backend whose writes are atomic and checksummed.

    Reads, joins and listings are :class:`mmengine.fileio.LocalBackend`'s.
    ``put`` removes the file's old ``<name>.sha256``, writes the file with
    :func:`atomic_write`, then writes its new ``<name>.sha256``: a kill
    between the steps leaves a file without a checksum file (loaded
    unverified), never a checksum file that describes other bytes.
    ``remove`` deletes the checksum file with the file; ``put_text`` writes
    atomically, without a checksum file.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically, then its checksum.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Destination file.
        """
        old = checksum_path(filepath)
        if osp.lexists(old):
            os.remove(old)
        atomic_write(obj, filepath)
        write_checksum(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text ``obj`` to ``filepath`` atomically.

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Destination file.
            encoding (str): Encoding of the file. Defaults to 'utf-8'.
        """
        atomic_write(obj, filepath, encoding=encoding)

    def remove(self, filepath: Union[str, Path]) -> None:
        """Remove ``filepath`` and its checksum file, if any.

        Args:
            filepath (str | Path): The file to remove.
        """
        super().remove(filepath)
        old = checksum_path(filepath)
        if osp.lexists(old):
            os.remove(old)
