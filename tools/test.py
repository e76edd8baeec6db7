"""Evaluate a trained crowd counter and optionally draw its density maps.

Example:
    python tools/test.py configs/hsrnet/hsrnet_shtech_b.py CKPT \
        --show-dir vis/ --out results.json
    python tools/test.py configs/hsrnet/hsrnet_shtech_b.py CKPT \
        --amp --channels-last --compile
    python tools/test.py configs/hsrnet/hsrnet_nwpu_crowd.py CKPT \
        --format-only --cfg-options format_evaluator.0.out_file=sub.txt

``--amp``, ``--channels-last`` and ``--compile`` are applied to the model the
Runner built (``hsrcount.apis.fast_paths``) before ``runner.test()``; the
predictions stay float32, so metrics and pictures are unchanged in kind. On
the CPU channels-last, and bf16 where the CPU has native bf16, are the
default; ``--fp32`` and ``--no-channels-last`` turn them off.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.model import is_model_wrapper

from hsrcount.apis.fast_paths import apply_fast_paths, resolve_fast_paths
from hsrcount.engine import CheckpointError, CrowdRunner
from hsrcount.utils import register_all_modules, setup_allocator
from hsrcount.utils.config import load_tool_config
from hsrcount.utils.distributed import init_cpu_distributed
from hsrcount.utils.startup_log import with_startup_summary
from hsrcount.utils.subset import take_subset


def parse_args():
    parser = argparse.ArgumentParser(description='Test a crowd counter')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file (.pth, or '
                        'weights-only .safetensors)')
    parser.add_argument('--checksum', metavar='SHA256',
                        help='refuse the checkpoint unless its SHA-256 is '
                        'this; a CHECKPOINT.sha256 beside it is checked in '
                        'any case')
    parser.add_argument('--work-dir', help='where the test log goes')
    parser.add_argument(
        '--show-dir',
        help='write one picture per image (input | GT density | predicted '
        'density, with both counts) to this folder')
    parser.add_argument(
        '--show-points', action='store_true',
        help='with --show-dir, also mark the predicted head points')
    parser.add_argument(
        '--out',
        help='write per-image counts to this file: .json or .csv')
    parser.add_argument(
        '--subset', type=int, metavar='N',
        help='test on N images only: the first N, or N drawn with '
        '--subset-seed')
    parser.add_argument(
        '--subset-seed', type=int, metavar='SEED',
        help='draw the --subset images at random with this seed')
    parser.add_argument(
        '--format-only',
        action='store_true',
        help="write the benchmark's prediction file (the config's "
        'format_evaluator, e.g. the NWPU-Crowd submission) instead of '
        'computing metrics; for a split without ground truth')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys; a key that names nothing is an error')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_test.sh uses pytorch)')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_const', const=True,
                           default=None, help='bfloat16 autocast (default '
                           'on a CPU with native bf16)')
    precision.add_argument('--fp32', dest='amp', action='store_const',
                           const=False, help='float32 throughout')
    parser.add_argument('--channels-last',
                        action=argparse.BooleanOptionalAction, default=None,
                        help='channels-last memory format for the convs '
                        '(default on the CPU)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the backbone, neck and head')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out and osp.splitext(args.out)[1] not in ('.json', '.csv'):
        parser.error(f'--out must end in .json or .csv, got {args.out}')
    return args


def trigger_visualization_hook(cfg, show_dir, show_points=False):
    """Turn on the visualization hook and point it at ``show_dir``."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError(
            'the config has no default_hooks.visualization; add '
            "dict(type='CrowdVisualizationHook') to use --show-dir")
    hook.draw = True
    hook.test_out_dir = osp.abspath(show_dir)
    hook.draw_points = show_points


def speed_up(runner, args):
    """Apply the --amp/--fp32, --channels-last and --compile switches (the
    device's defaults where a switch is not given) to the model."""
    model = runner.model.module if is_model_wrapper(runner.model) \
        else runner.model
    device = next(model.parameters()).device
    try:
        apply_fast_paths(model, compile=args.compile, **resolve_fast_paths(
            device, amp=args.amp, channels_last=args.channels_last))
    except RuntimeError as err:  # --compile without a compiler
        raise SystemExit(f'--compile: {err}') from None


def main():
    setup_allocator()
    args = parse_args()
    cfg = load_tool_config(args)
    # Loaded below, strictly, whatever load_from_strict says: a partly
    # random model would be evaluated.
    cfg.load_from = None
    cfg.resume = False
    if args.show_dir:
        trigger_visualization_hook(cfg, args.show_dir, args.show_points)
    if args.format_only:
        if cfg.get('format_evaluator') is None:
            raise SystemExit(f'{args.config}: --format-only needs a '
                             f'format_evaluator in the config (the NWPU-Crowd '
                             f'and JHU-Crowd++ configs have one)')
        cfg.test_evaluator = cfg.format_evaluator
    if args.out:
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='CountDumpMetric', out_file=osp.abspath(args.out))
        ]
    register_all_modules(init_default_scope=False)
    if args.subset is not None or args.subset_seed is not None:
        try:
            take_subset(cfg, 'test_dataloader', args.subset,
                        args.subset_seed)
        except ValueError as err:
            raise SystemExit(f'--subset: {err}') from err
    init_cpu_distributed(cfg)
    runner = with_startup_summary(CrowdRunner).from_cfg(cfg)
    try:
        runner.load_checkpoint(
            args.checkpoint, map_location='cpu', strict=True,
            sha256=args.checksum)
    except (CheckpointError, ValueError) as err:
        # Unsafe, corrupt, invalid (non-finite, wrong dtype) or not fitting
        # the model: each names the file and the fault.
        raise SystemExit(f'{type(err).__name__}: {err}') from err
    speed_up(runner, args)
    metrics = runner.test()
    runner.logger.info(
        'Test metrics: ' +
        ', '.join(f'{k}: {v:.3f}' for k, v in metrics.items()))
    if args.show_dir:
        runner.logger.info(f'Density pictures written to {args.show_dir}')


if __name__ == '__main__':
    main()
