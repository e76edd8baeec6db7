"""Train several configs for the same small budget and compare them.

Every config gets the same iterations, batch size, training crop
(``RandomCrop`` in place of the config's crop), seed and logging; configs
whose optimizer or schedule differ are refused (unless
``--allow-different-schedules``). Each run trains in its own process with
MMEngine's Runner, from training images decoded once into memory, side by
side on one GPU (``--parallel``, the default on CUDA) or one after another;
each is validated once at the end. Written to ``--out-dir``:

- ``<run>/metrics.json`` (``MAE``, ``MSE``, timing and settings),
  ``<run>/counts.json`` (per-image counts), ``<run>/vis/*.png`` (image | GT |
  prediction), ``<run>/config.py`` (the config that ran), logs and the final
  checkpoint;
- ``metrics.json`` (all runs) and ``results.md`` (a Markdown table).

Example (see projects/hsrnet_paper/README.md for the GPU run):
    python -m projects.hsrnet_paper.tools.budget_train \
        configs/hsrnet/hsrnet_scratch_shtech_b.py \
        configs/hsrnet_ablation/hsrnet_vgg16-conv1x1-l2_1xb1-100k_shtech-b.py \
        --preset shtech_b --scratch --lr 1e-4 \
        --iters 2000 --batch 8 --crop 256 256 --out-dir work_dirs/budget_b
"""
import argparse
import dataclasses
import os
import os.path as osp
import shlex
import sys

from mmengine.config import DictAction

from projects.hsrnet_paper.experiments import (PRESETS, BudgetConfigError,
                                               BudgetSettings, fit_iterations,
                                               launch_runs, prepare_runs,
                                               save_config, write_summary)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train configs for one fixed budget and compare them')
    parser.add_argument('configs', nargs='+', help='config files')
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument('--iters', type=int,
                        help='training iterations of every run')
    budget.add_argument('--fit-seconds', type=float,
                        help='instead of --iters: first train every run '
                        'for --calib-iters side by side, then as many '
                        'iterations as the slowest run fits in this many '
                        'wall-clock seconds (calibration not included)')
    parser.add_argument('--calib-iters', type=int, default=50,
                        help='iterations of the --fit-seconds calibration')
    parser.add_argument('--batch', type=int, required=True,
                        help='training batch size of every run')
    parser.add_argument('--crop', type=int, nargs=2, required=True,
                        metavar=('H', 'W'), help='training crop size')
    parser.add_argument('--out-dir', required=True,
                        help='folder of the runs and the summary')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default=None,
                        help='default: cuda when available')
    parser.add_argument('--preset', choices=PRESETS,
                        help='data: shtech_b (Part B train -> test) or '
                        'shtech_a_val (Part A train minus --num-val images '
                        '-> those images)')
    parser.add_argument('--data-root', default='data/ShanghaiTech',
                        help='folder with part_A and part_B (for --preset)')
    parser.add_argument('--num-val', type=int, default=60,
                        help='held-out Part A images of shtech_a_val')
    parser.add_argument('--split-seed', type=int, default=0,
                        help='seed of the held-out carve')
    parser.add_argument('--lr', type=float,
                        help='learning rate of every run (default: the '
                        'configs\', which must agree)')
    parser.add_argument('--scratch', action='store_true',
                        help='VGG-16 backbones get batch norm and no '
                        'ImageNet weights (needed offline)')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (AmpOptimWrapper)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-workers', type=int, default=None,
                        help='training loader workers per run (default: 0 '
                        'on CPU; on CUDA the CPU cores shared by the runs, '
                        'at most 6)')
    parser.add_argument('--val-workers', type=int, default=None,
                        help='validation loader workers per run (default: '
                        '0 on CPU, 2 on CUDA)')
    parser.add_argument('--parallel', action=argparse.BooleanOptionalAction,
                        default=None, help='run the configs side by side '
                        '(default: on for CUDA, off for CPU)')
    parser.add_argument('--no-in-memory', dest='in_memory',
                        action='store_false',
                        help='decode the training images at every sample')
    parser.add_argument('--no-checkpoint', dest='checkpoint',
                        action='store_false',
                        help='do not save the final weights')
    parser.add_argument('--log-interval', type=int, default=None,
                        help='default: iters / 20, at least 1, at most 50')
    parser.add_argument('--num-pictures', type=int, default=3,
                        help='validation images drawn per run')
    parser.add_argument('--names', nargs='+',
                        help='run names, one per config (default: stems)')
    parser.add_argument('--allow-different-schedules', action='store_true',
                        help='accept configs whose optimizer/schedule '
                        'differ')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for every config, applied first')
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    return args


def settings_from_args(args, cuda_available):
    """The shared :class:`BudgetSettings` of the command line."""
    device = args.device or ('cuda' if cuda_available else 'cpu')
    if device == 'cuda' and not cuda_available:
        raise SystemExit('budget_train: --device cuda but no GPU is visible')
    n = len(args.configs)
    parallel = (device == 'cuda') if args.parallel is None else args.parallel
    workers = args.num_workers
    if workers is None:
        cores = os.cpu_count() or 1
        share = cores // n if parallel else cores
        workers = 0 if device == 'cpu' else max(1, min(6, share - 1))
    val_workers = args.val_workers
    if val_workers is None:
        val_workers = 0 if device == 'cpu' else 2
    iters = args.iters or args.calib_iters
    log_interval = args.log_interval or max(1, min(50, iters // 20))
    settings = BudgetSettings(
        iters=iters, batch=args.batch, crop=tuple(args.crop),
        device=device, num_workers=workers, val_workers=val_workers,
        seed=args.seed, lr=args.lr, amp=args.amp, scratch=args.scratch,
        in_memory=args.in_memory, log_interval=log_interval,
        checkpoint=args.checkpoint, num_pictures=args.num_pictures)
    return settings, parallel


def main(argv=None):
    args = parse_args(argv)
    import torch
    cuda_available = args.device != 'cpu' and torch.cuda.is_available()
    try:
        settings, parallel = settings_from_args(args, cuda_available)
    except ValueError as err:
        raise SystemExit(f'budget_train: {err}') from None
    from hsrcount.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    if args.fit_seconds is not None:
        calibration = dataclasses.replace(settings, checkpoint=False,
                                          num_pictures=0)
        results = run_comparison(args, calibration, parallel,
                                 osp.join(args.out_dir, 'calibration'))
        try:
            iters = fit_iterations(results, args.fit_seconds, settings.batch)
        except ValueError as err:
            raise SystemExit(f'budget_train: {err}') from None
        print(f'budget_train: {iters} iterations fit in '
              f'{args.fit_seconds:.0f} s', flush=True)
        settings = dataclasses.replace(
            settings, iters=iters,
            log_interval=args.log_interval or max(1, min(50, iters // 20)))
    results = run_comparison(args, settings, parallel, args.out_dir)
    command = 'python -m projects.hsrnet_paper.tools.budget_train ' + ' '.join(
        shlex.quote(a) for a in args.argv)
    json_path, md_path = write_summary(args.out_dir, settings, results,
                                       command=command, preset=args.preset)
    with open(md_path) as f:
        print(f.read())
    print(f'budget_train: wrote {json_path} and {md_path}')
    failed = [r['name'] for r in results if r['status'] != 'ok']
    if failed:
        raise SystemExit(f'budget_train: run(s) failed: {failed}; see their '
                         'error.txt and logs')


def run_comparison(args, settings, parallel, out_dir):
    """Prepare, save and launch the runs of one budget; their results."""
    try:
        runs = prepare_runs(
            args.configs, settings, out_dir,
            cfg_options=args.cfg_options, preset=args.preset,
            data_root=args.data_root, num_val=args.num_val,
            split_seed=args.split_seed,
            allow_different_schedules=args.allow_different_schedules,
            names=args.names)
    except (BudgetConfigError, KeyError, ValueError) as err:
        raise SystemExit(f'budget_train: {err}') from None
    run_dirs = []
    for name, cfg in runs:
        save_config(cfg, cfg.work_dir)
        run_dirs.append((name, cfg.work_dir))
    threads = None
    if settings.device == 'cpu' and parallel:
        threads = max(1, (os.cpu_count() or 1) // len(runs))
    print(f'budget_train: {len(runs)} run(s), '
          f'{"side by side" if parallel else "one after another"} on '
          f'{settings.device}: {settings.iters} iterations, batch '
          f'{settings.batch}, crop {settings.crop[0]}x{settings.crop[1]}',
          flush=True)
    return launch_runs(run_dirs, settings, parallel, threads)


if __name__ == '__main__':
    main()
