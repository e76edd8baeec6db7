"""Crash-safe file writes.

A file written with :func:`atomic_write` is either absent, or the previous
version, or the complete new version: never a torn mix. The bytes go to
``<path>.tmp`` in the same folder, are flushed and ``fsync``-ed, and the
temporary file is then renamed over ``path`` with :func:`os.replace`, which is
atomic on POSIX and Windows when both names lie on one file system.

:class:`AtomicLocalBackend` puts the same guarantee behind MMEngine's file
backend interface, so that ``mmengine.runner.save_checkpoint`` (which calls
``backend.put``) writes checkpoints atomically.
"""
import os
import os.path as osp
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

#: Name under which :class:`AtomicLocalBackend` is registered in MMEngine's
#: (global, unscoped) file backend table; select it with
#: ``backend_args=dict(backend=ATOMIC_LOCAL_BACKEND)``.
ATOMIC_LOCAL_BACKEND = 'hsrcount_atomic_local'

TMP_SUFFIX = '.tmp'


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
    tmp_path = path + TMP_SUFFIX
    try:
        with open(tmp_path, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        # A live process cleans up after itself; a killed one leaves the
        # .tmp file, which the next write to the same path overwrites.
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_dir(dirname)


@register_backend(ATOMIC_LOCAL_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local disk backend whose writes are atomic.

    Reads, joins, listings and removals are :class:`mmengine.fileio.
    LocalBackend`'s; ``put`` and ``put_text`` go through
    :func:`atomic_write`.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Destination file.
        """
        atomic_write(obj, filepath)

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
