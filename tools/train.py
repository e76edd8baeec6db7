"""Train a crowd counter from a config.

Example:
    python tools/train.py configs/hsrnet/hsrnet_shtech_a.py
    python tools/train.py configs/hsrnet/hsrnet_shtech_a.py --amp --resume
    python tools/train.py configs/hsrnet/hsrnet_shtech_b.py --val-subset 20
    python tools/train.py configs/hsrnet/hsrnet_demo.py \
        --vis-backend tensorboard

The run holds ``<work_dir>/train.lock`` (rank 0 of a distributed run): a
second run in the same work dir stops with a message naming the first. The
Runner is :class:`hsrcount.engine.CrowdRunner`: ``--resume`` is strict, and
``load_from`` is strict unless the config sets ``load_from_strict = False``.
"""
import argparse
import contextlib
import os
import os.path as osp

from mmengine.config import DictAction

from hsrcount.engine import (CheckpointError, CrowdRunner, WorkDirInUseError,
                             WorkDirLock, launcher_rank)
from hsrcount.utils import register_all_modules, setup_allocator
from hsrcount.utils.config import enable_amp, load_tool_config
from hsrcount.utils.distributed import init_cpu_distributed
from hsrcount.utils.startup_log import with_startup_summary
from hsrcount.utils.subset import take_subset
from hsrcount.utils.vis_backends import VIS_BACKENDS, add_vis_backend


def parse_args():
    parser = argparse.ArgumentParser(description='Train a crowd counter')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        help='resume from CHECKPOINT, or from the latest checkpoint of the '
        'work dir when no path is given')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='bfloat16 mixed precision (AmpOptimWrapper on a GPU, '
        'CPUAmpOptimWrapper on the CPU)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels-last weights and inputs (model.channels_last=True)')
    parser.add_argument(
        '--val-subset', type=int, metavar='N',
        help='validate on N test images only: the first N, or N drawn with '
        '--val-subset-seed')
    parser.add_argument(
        '--val-subset-seed', type=int, metavar='SEED',
        help='draw the --val-subset images at random with this seed')
    parser.add_argument(
        '--vis-backend',
        choices=sorted(VIS_BACKENDS),
        help='also write the scalars (loss, lr, MAE, ...) for this viewer: '
        'tensorboard writes event files into <work_dir>/<timestamp>/'
        'vis_data/ beside scalars.json (needs pip install '
        '"hsrcount[tensorboard]")')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. train_cfg.max_iters=100; a key '
        'that names nothing in the config is an error')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_train.sh uses pytorch)')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    setup_allocator()
    args = parse_args()
    cfg = load_tool_config(args)
    if args.amp:
        enable_amp(cfg)
    if args.channels_last:
        cfg.model.channels_last = True
    if args.vis_backend:
        try:
            add_vis_backend(cfg, args.vis_backend)
        except (ImportError, ValueError) as err:
            raise SystemExit(str(err)) from err
    if args.resume == 'auto':
        pointer = osp.join(cfg.work_dir, 'last_checkpoint')
        if not osp.isfile(pointer):
            # MMEngine would log "resumed from None" and start from scratch.
            raise SystemExit(
                f'--resume: {cfg.work_dir} has no last_checkpoint to resume '
                f'from; give --resume CKPT, or drop --resume to start anew')
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    register_all_modules(init_default_scope=False)
    if args.val_subset is not None or args.val_subset_seed is not None:
        try:
            take_subset(cfg, 'val_dataloader', args.val_subset,
                        args.val_subset_seed)
        except ValueError as err:
            raise SystemExit(f'--val-subset: {err}') from err
    lock = WorkDirLock(cfg.work_dir) if launcher_rank(args.launcher) == 0 \
        else contextlib.nullcontext()
    try:
        with lock:
            init_cpu_distributed(cfg)
            runner = with_startup_summary(CrowdRunner).from_cfg(cfg)
            runner.train()
    except (CheckpointError, WorkDirInUseError) as err:
        # They name the file and the fault; a traceback adds nothing.
        raise SystemExit(f'{type(err).__name__}: {err}') from err


if __name__ == '__main__':
    main()
