"""Freeze a training subprocess at a chosen point, for the test to SIGKILL.

Not a test module: the kill/resume test's config imports it in the training
subprocess (``custom_imports``) and adds :class:`StopSwitchHook`. The point is
read from the environment:

- ``HSRCOUNT_TEST_STOP=iter:N``: iteration ``N`` has run its forward,
  backward and optimizer step, and its hooks (the checkpoint save) have not
  run yet.
- ``HSRCOUNT_TEST_STOP=save:N``: half of ``iter_N.pth``'s bytes are written
  (and flushed) to its temporary file ``iter_N.pth.<8 hex>.tmp``.
- ``HSRCOUNT_TEST_STOP=pointer:N``: ``iter_N.pth`` is complete and in place,
  ``last_checkpoint`` is not rewritten yet.

There the process creates the file ``HSRCOUNT_TEST_STOP_FLAG`` and sleeps
until it is killed: the kill itself is a real ``SIGKILL`` sent by the test,
only its moment is chosen here. Without ``HSRCOUNT_TEST_STOP`` nothing
changes.
"""
import os
import time

from mmengine.hooks import Hook

from hsrcount.registry import HOOKS
from hsrcount.utils import atomic_io

_POINT, _, _ITER = os.environ.get('HSRCOUNT_TEST_STOP', '').partition(':')
_FLAG = os.environ.get('HSRCOUNT_TEST_STOP_FLAG', '')


def freeze():
    """Tell the test we are at the point, then wait for its SIGKILL."""
    with open(_FLAG, 'w') as f:
        f.write(f'{_POINT}:{_ITER}\n')
    while True:
        time.sleep(60)


class _StopWhileWriting:
    """A binary file that freezes the process at a ``write``.

    Args:
        file (BinaryIO): The open temporary file.
        keep_fraction (float): Share of the bytes written before freezing.
        when (Callable): ``when(data) -> bool``, whether this write freezes.
    """

    def __init__(self, file, keep_fraction, when):
        self._file = file
        self._keep = keep_fraction
        self._when = when

    def write(self, data):
        if not self._when(data):
            return self._file.write(data)
        self._file.write(data[:int(len(data) * self._keep)])
        self._file.flush()
        os.fsync(self._file.fileno())
        freeze()

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()


_real_open_temp = atomic_io._open_temp


def _open_temp_for_test(path):
    """``atomic_io._open_temp``, freezing on the chosen file's write."""
    tmp_path, file = _real_open_temp(path)
    name = os.path.basename(path)
    if _POINT == 'save' and name == f'iter_{_ITER}.pth':
        return tmp_path, _StopWhileWriting(file, 0.5, lambda data: True)
    if _POINT == 'pointer' and name == 'last_checkpoint':
        # The pointer's content is the path of the checkpoint it names.
        return tmp_path, _StopWhileWriting(
            file, 0.0,
            lambda data: data.endswith(f'iter_{_ITER}.pth'.encode()))
    return tmp_path, file


if _POINT in ('save', 'pointer'):
    atomic_io._open_temp = _open_temp_for_test


@HOOKS.register_module()
class StopSwitchHook(Hook):
    """Freeze after iteration ``N``'s optimizer step (``iter:N``)."""

    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if _POINT == 'iter' and runner.iter + 1 == int(_ITER):
            freeze()
