"""One training run per work dir.

Two runs writing checkpoints into one work dir overwrite each other's
``last_checkpoint`` and prune each other's checkpoints. :class:`WorkDirLock`
holds ``<work_dir>/train.lock`` for the whole run: an exclusive POSIX record
lock (``fcntl.lockf``) on the file, which holds the owner's pid, host and
start time for the message a second run gets. The kernel drops the lock when
its process dies, however it dies, so the file left by a killed run does not
block the ``--resume`` that follows. A record lock belongs to the process
alone: data-loader workers forked from it do not hold it, so a killed run's
workers, which outlive it by a few seconds, do not block the resume either
(a ``flock`` would be shared with them).

Where the file system does not support locks, the file's pid and host
decide: a lock from this host whose pid is no longer running is stale and
taken over; a lock from another host is respected.

Limit: POSIX drops a process's record lock when it closes *any* descriptor
of the file, so take one :class:`WorkDirLock` per work dir and process.
"""
import datetime
import errno
import json
import os
import os.path as osp
import socket
import sys
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE = 'train.lock'
#: Rank variables of the launchers ``tools/train.py`` accepts.
_RANK_VARIABLES = dict(
    pytorch=('RANK', ), slurm=('SLURM_PROCID', ),
    mpi=('OMPI_COMM_WORLD_RANK', 'PMI_RANK'))


class WorkDirInUseError(RuntimeError):
    """Another live process holds the work dir's lock."""


def launcher_rank(launcher: str) -> int:
    """This process's global rank, read before distributed start-up.

    Args:
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Returns:
        int: 0 without a launcher or when the launcher sets no rank.
    """
    for name in _RANK_VARIABLES.get(launcher, ()):
        if os.environ.get(name, '').isdigit():
            return int(os.environ[name])
    return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


class WorkDirLock:
    """Hold ``<work_dir>/train.lock`` while a training run writes there.

    Use it as a context manager around building and running the Runner; in
    a distributed run only rank 0 takes it (the other ranks write no
    checkpoints).

    Args:
        work_dir (str): The run's work dir; created if needed.

    Attributes:
        previous (dict | None): What the lock file said when it was taken:
            the pid, host and start of the run that held it last (a run
            that was killed leaves its entry), or None.

    Raises:
        WorkDirInUseError: From :meth:`acquire` when a live run holds it.
    """

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_FILE)
        self.previous = None
        self._fd = None

    def _read(self, fd: int) -> Optional[dict]:
        text = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip()
        if not text:
            return None
        try:
            holder = json.loads(text)
        except ValueError:
            return dict(raw=text)
        return holder if isinstance(holder, dict) else dict(raw=text)

    def _refuse(self, holder: Optional[dict]) -> None:
        holder = holder or {}
        who = (f'pid {holder.get("pid", "?")} on host '
               f'{holder.get("host", "?")}, started '
               f'{holder.get("started", "?")}')
        raise WorkDirInUseError(
            f'work dir {self.work_dir} is in use by another training run '
            f'({who}; lock file {self.path}). Two runs in one work dir '
            'overwrite each other\'s checkpoints: wait for it to end, stop '
            'it, or give this run another --work-dir.')

    def _stale(self, holder: Optional[dict]) -> bool:
        """Without a lock: whether the recorded holder is gone."""
        if not holder or 'pid' not in holder:
            return True
        if holder.get('host') != socket.gethostname():
            return False  # cannot tell; respect it
        return not _pid_alive(int(holder['pid']))

    def acquire(self) -> 'WorkDirLock':
        """Take the lock or raise :class:`WorkDirInUseError`.

        Returns:
            WorkDirLock: self.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT
                     | getattr(os, 'O_NOFOLLOW', 0), 0o644)
        try:
            holder = self._read(fd)
            locked = False
            if fcntl is not None:
                try:
                    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    locked = True
                except OSError as err:
                    if err.errno in (errno.EACCES, errno.EAGAIN):
                        self._refuse(holder)
                    if err.errno not in (errno.ENOLCK, errno.EOPNOTSUPP,
                                         errno.ENOSYS, errno.EINVAL):
                        raise
            if not locked and not self._stale(holder):
                self._refuse(holder)
            self.previous = holder
            entry = json.dumps(
                dict(pid=os.getpid(), host=socket.gethostname(),
                     started=datetime.datetime.now().isoformat(
                         timespec='seconds'),
                     argv=sys.argv)) + '\n'
            os.ftruncate(fd, 0)
            os.pwrite(fd, entry.encode(), 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the lock file and let it go (the file stays)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)  # drops the lock
            self._fd = None

    def __enter__(self) -> 'WorkDirLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
