"""Evaluate a trained crowd counter and optionally draw its density maps.

Example:
    python tools/test.py configs/hsrnet/hsrnet_shtech_b.py CKPT \
        --show-dir vis/ --out results.json
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction
from mmengine.runner import Runner

from hsrcount.apis.config import load_config
from hsrcount.apis.registration import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description='Test a crowd counter')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where the test log goes')
    parser.add_argument(
        '--show-dir',
        help='write one picture per image (input | GT density | predicted '
        'density, with both counts) to this folder')
    parser.add_argument(
        '--out',
        help='write per-image counts to this file: .json or .csv')
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
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out and osp.splitext(args.out)[1] not in ('.json', '.csv'):
        parser.error(f'--out must end in .json or .csv, got {args.out}')
    return args


def trigger_visualization_hook(cfg, show_dir):
    """Turn on the visualization hook and point it at ``show_dir``."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError(
            'the config has no default_hooks.visualization; add '
            "dict(type='CrowdVisualizationHook') to use --show-dir")
    hook.draw = True
    hook.test_out_dir = osp.abspath(show_dir)


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    cfg.resume = False
    if args.show_dir:
        trigger_visualization_hook(cfg, args.show_dir)
    if args.out:
        evaluators = cfg.test_evaluator
        if isinstance(evaluators, dict):
            evaluators = [evaluators]
        cfg.test_evaluator = list(evaluators) + [
            dict(type='CountDumpMetric', out_file=osp.abspath(args.out))
        ]
    register_all_modules(init_default_scope=False)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    runner.logger.info(
        'Test metrics: ' +
        ', '.join(f'{k}: {v:.3f}' for k, v in metrics.items()))
    if args.show_dir:
        runner.logger.info(f'Density pictures written to {args.show_dir}')


if __name__ == '__main__':
    main()
