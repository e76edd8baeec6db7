"""A CheckpointHook whose saves survive the process being killed mid-write.

MMEngine 0.10.7's ``CheckpointHook`` can lose the last good checkpoint:

1. ``mmengine.runner.save_checkpoint`` writes ``iter_N.pth`` in place with
   ``open(path, 'wb')``: a kill mid-write leaves a truncated file.
2. The ``last_checkpoint`` pointer is rewritten in place the same way.
3. With ``max_keep_ckpts``, the oldest checkpoint is deleted *before* the new
   one is written: with ``max_keep_ckpts=1`` a kill mid-write leaves no
   loadable checkpoint at all.

:class:`AtomicCheckpointHook` fixes all three without patching MMEngine:
checkpoints are written through :class:`hsrcount.utils.AtomicLocalBackend`
(passed to ``runner.save_checkpoint`` as ``backend_args``, which MMEngine
hands to its file backend's ``put``), the pointer is written with
:func:`hsrcount.utils.atomic_write` only after the checkpoint is complete, and
outdated checkpoints are removed only after that. Each checkpoint gets a
``<name>.sha256`` beside it, written after the checkpoint and before the
pointer, which the safe loader verifies.
"""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from hsrcount.registry import HOOKS
from hsrcount.utils import ATOMIC_LOCAL_BACKEND, atomic_write
from hsrcount.utils.atomic_io import remove_stale_temps

LAST_CHECKPOINT_FILE = 'last_checkpoint'


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """Save checkpoints atomically; never lose the last complete one.

    Takes the arguments of :class:`mmengine.hooks.CheckpointHook` except
    ``backend_args`` and ``file_client_args``: it writes to local disk only.

    After a kill at any moment of a save, the work dir holds the previous
    checkpoints unchanged and ``last_checkpoint`` names a complete file, so
    ``resume=True`` picks up from it. Each checkpoint file is written to a
    new temporary file (``<name>.<8 hex>.tmp``, created exclusively, so a
    planted symlink is never followed) and renamed into place; then its
    SHA-256 goes to ``<name>.sha256``; then ``last_checkpoint`` is
    rewritten; then outdated checkpoints (with their ``.sha256``) are
    removed. Temporary files a killed run left are removed when training
    starts (the work-dir lock of ``tools/train.py`` makes sure no other run
    is writing them).

    Best-metric checkpoints (``save_best``) are written atomically too, but
    their replacement follows MMEngine: the previous ``best_*.pth`` is removed
    before the new one is written.

    Example:
        >>> default_hooks = dict(
        ...     checkpoint=dict(type='AtomicCheckpointHook', interval=1000,
        ...                     by_epoch=False, max_keep_ckpts=3))
    """

    def __init__(self, *args, backend_args=None, file_client_args=None,
                 **kwargs):
        if backend_args is not None or file_client_args is not None:
            raise ValueError(
                'AtomicCheckpointHook writes local files only and takes no '
                f'backend_args/file_client_args (got backend_args='
                f'{backend_args!r}, file_client_args={file_client_args!r}); '
                'use mmengine\'s CheckpointHook for remote storage.')
        out_dir = kwargs.get('out_dir')
        if out_dir is not None and '://' in str(out_dir):
            raise ValueError(
                f'AtomicCheckpointHook writes local files only, but out_dir='
                f'{out_dir!r} is a URI; use mmengine\'s CheckpointHook for '
                'remote storage.')
        super().__init__(
            *args, backend_args=dict(backend=ATOMIC_LOCAL_BACKEND), **kwargs)

    def before_train(self, runner) -> None:
        """Set up as MMEngine does, then remove stale temporary files."""
        super().before_train(runner)
        if not is_main_process():
            return
        for folder in {runner.work_dir, self.out_dir}:
            if osp.isdir(folder):
                for name in remove_stale_temps(folder):
                    runner.logger.info(
                        f'Removed {osp.join(folder, name)}, left by an '
                        'interrupted save')

    def _save_checkpoint_with_step(self, runner, step, meta):
        """Save ``step``'s checkpoint, then the pointer, then prune.

        Same bookkeeping as MMEngine's (``last_ckpt`` and ``keep_ckpt_ids``
        in the message hub, so a resumed run prunes the same files), but the
        steps run in the order that keeps a complete checkpoint on disk.
        """
        outdated = []
        if self.max_keep_ckpts > 0:
            kept = list(self.keep_ckpt_ids)
            # _save_best_checkpoint may save the same step a second time.
            if not kept or kept[-1] != step:
                kept.append(step)
            outdated = kept[:-self.max_keep_ckpts]
            kept = kept[-self.max_keep_ckpts:]
            self.keep_ckpt_ids.clear()
            self.keep_ckpt_ids.extend(kept)
            # Recorded before saving so the checkpoint lists what will remain.
            runner.message_hub.update_info('keep_ckpt_ids', kept)

        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)

        runner.save_checkpoint(
            self.out_dir,
            ckpt_filename,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)

        if not is_main_process():
            return
        atomic_write(self.last_ckpt,
                     osp.join(runner.work_dir, LAST_CHECKPOINT_FILE))
        for old_step in outdated:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(old_step))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
