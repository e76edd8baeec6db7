"""Training throughput of a config, and how long each iteration waits for data.

Runs the config's own training loop (dataset, pipeline, data loader, model,
optimizer) through MMEngine's Runner for ``--warmup + --iters`` iterations,
without validation or checkpoints, and times the last ``--iters``:

- iteration time: from the end of one iteration to the end of the next
  (CUDA is synchronised first on a GPU);
- data time: the part of it spent waiting for the data loader's next batch
  (from the end of the previous iteration to the start of this one).

A data-time fraction near 0 means the loader keeps up; near 1 means the
model waits for data (more ``--num-workers``, a lighter pipeline...).
The CPU time (user + system, all threads) of the main process per
iteration is reported too: on a machine shared with other jobs it varies
less than the wall-clock time (with ``--num-workers 0`` it includes the
data pipeline).

Example:
    python tools/benchmark_train.py configs/hsrnet/hsrnet_demo.py \
        --iters 20 --num-workers 2 --device cpu --md docs/benchmarks.md
    python tools/benchmark_train.py configs/hsrnet/hsrnet_shtech_b.py \
        --iters 200 --num-workers 8 --pin-memory --amp \
        --cfg-options train_dataloader.dataset.dataset.data_root=DATA
"""
import argparse
import os
import os.path as osp
import platform
import sys
import tempfile
import time

from mmengine.config import DictAction
from mmengine.hooks import Hook


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Training images/s and data-loading time of a config')
    parser.add_argument('config', help='train config file')
    parser.add_argument('--iters', type=int, default=50,
                        help='timed iterations')
    parser.add_argument('--warmup', type=int, default=5,
                        help='untimed iterations first')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default=None,
                        help='default: cuda when available')
    parser.add_argument('--batch-size', type=int, default=None,
                        help='override train_dataloader.batch_size')
    parser.add_argument('--num-workers', type=int, default=None,
                        help='override train_dataloader.num_workers')
    parser.add_argument('--pin-memory', action=argparse.BooleanOptionalAction,
                        default=None, help='override pin_memory')
    parser.add_argument('--persistent-workers',
                        action=argparse.BooleanOptionalAction, default=None,
                        help='override persistent_workers')
    parser.add_argument('--amp', action='store_true',
                        help='bfloat16 autocast, as train.py --amp')
    parser.add_argument('--channels-last', action='store_true',
                        help='model.channels_last=True, as train.py '
                        '--channels-last')
    parser.add_argument('--in-memory', action='store_true',
                        help='wrap the training set in InMemoryDataset: '
                        'each image decoded once, before the timing')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. a data_root')
    parser.add_argument('--md', help='write/update a section of this '
                        'Markdown file with the result')
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.iters < 1 or args.warmup < 0:
        parser.error('--iters must be >= 1 and --warmup >= 0')
    return args


class TrainTimerHook(Hook):
    """Record per-iteration wall time and the part spent waiting for data.

    Args:
        skip (int): Iterations not recorded (warm-up).
        cuda (bool): Synchronise CUDA before reading the clock.
    """

    priority = 'VERY_LOW'

    def __init__(self, skip, cuda):
        self.skip = skip
        self.cuda = cuda
        self.records = []  # (iteration s, data s, images, CPU s)
        self._last_end = None
        self._last_cpu = None
        self._start = None

    def _now(self):
        if self.cuda:
            import torch
            torch.cuda.synchronize()
        return time.perf_counter()

    def before_train(self, runner):
        self._last_end = self._now()
        self._last_cpu = time.process_time()

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        end, cpu = self._now(), time.process_time()
        if runner.iter >= self.skip:
            self.records.append((end - self._last_end,
                                 self._start - self._last_end,
                                 len(data_batch['inputs']),
                                 cpu - self._last_cpu))
        self._last_end, self._last_cpu = end, cpu


def prepare_config(args, work_dir):
    """The config with the loader overrides, no validation, no saving."""
    from hsrcount.utils.config import enable_amp, load_config
    cfg = load_config(args.config, args.cfg_options)
    loader = cfg.train_dataloader
    for key in ('batch_size', 'num_workers', 'pin_memory',
                'persistent_workers'):
        value = getattr(args, key)
        if value is not None:
            loader[key] = value
    if loader.get('num_workers', 0) == 0 and loader.get('persistent_workers'):
        raise SystemExit('benchmark_train: persistent_workers needs '
                         'num_workers > 0 (pass --no-persistent-workers)')
    total = args.warmup + args.iters
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=total,
                         val_interval=total + 1)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=total + 1)
    cfg.default_hooks.pop('visualization', None)
    cfg.param_scheduler = []
    cfg.work_dir = work_dir
    cfg.load_from, cfg.resume = None, False
    if args.amp:
        enable_amp(cfg, args.device)
    if args.channels_last:
        cfg.model.channels_last = True
    if args.in_memory:
        loader.dataset = dict(type='InMemoryDataset', dataset=loader.dataset,
                              num_threads=2)
    return cfg


def summarise(records):
    """Images/s, mean iteration time and data-time fraction; CPU seconds
    per image and per iteration where the records have them."""
    iter_s = sum(r[0] for r in records)
    data_s = sum(r[1] for r in records)
    images = sum(r[2] for r in records)
    summary = dict(images_per_s=images / iter_s,
                   iter_ms=1e3 * iter_s / len(records),
                   data_ms=1e3 * data_s / len(records),
                   data_fraction=data_s / iter_s, images=images)
    if records and all(len(r) > 3 for r in records):
        cpu_s = sum(r[3] for r in records)
        summary.update(cpu_ms=1e3 * cpu_s / len(records),
                       cpu_s_per_image=cpu_s / images)
    return summary


def main(argv=None):
    args = parse_args(argv)
    if args.device == 'cpu':
        # MMEngine's Runner picks CUDA whenever it sees a GPU.
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    import torch
    from mmengine.runner import Runner

    from hsrcount.utils import register_all_modules, setup_allocator
    setup_allocator()
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('benchmark_train: --device cuda but no GPU')
    cuda = torch.cuda.is_available()
    if not cuda:
        # Randomly initialised layers can drive values into denormals,
        # which are very slow on x86 CPUs (in float32 far more often than
        # in bfloat16) and would not occur with trained weights.
        torch.set_flush_denormal(True)
    register_all_modules(init_default_scope=False)
    with tempfile.TemporaryDirectory() as work_dir:
        cfg = prepare_config(args, work_dir)
        runner = Runner.from_cfg(cfg)
        timer = TrainTimerHook(skip=args.warmup, cuda=cuda)
        runner.register_hook(timer)
        runner.train()
    r = summarise(timer.records)
    loader = cfg.train_dataloader
    settings = (f'batch_size={loader.get("batch_size")}, '
                f'num_workers={loader.get("num_workers", 0)}, '
                f'pin_memory={loader.get("pin_memory", False)}, '
                f'persistent_workers={loader.get("persistent_workers", False)}'
                f'{", amp bf16" if args.amp else ""}'
                f'{", channels_last" if args.channels_last else ""}'
                f'{", InMemoryDataset" if args.in_memory else ""}')
    device = torch.cuda.get_device_name() if cuda else \
        f'CPU {cpu_model()}, {torch.get_num_threads()} threads'
    name = osp.splitext(osp.basename(args.config))[0]
    print(f'{name} on {device}; {settings}')
    print(f'{len(timer.records)} timed iterations after {args.warmup} '
          f'warm-up: {r["images_per_s"]:.2f} images/s, '
          f'{r["iter_ms"]:.1f} ms/iter, waiting for data {r["data_ms"]:.1f} '
          f'ms/iter ({r["data_fraction"]:.1%}); CPU {r["cpu_ms"]:.1f} '
          f'ms/iter, {r["cpu_s_per_image"]:.3f} CPU s/image')
    if args.md:
        write_markdown(args, name, device, settings, r)


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, or the machine type."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return f'({platform.machine()})'


def write_markdown(args, name, device, settings, r):
    """Add this run as a row of the training-throughput section."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark',
        osp.join(osp.dirname(osp.abspath(__file__)), 'benchmark.py'))
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    command = benchmark.command_line(args, 'benchmark_train.py')
    lines = [
        f'Device: {device}. {settings}. {args.iters} timed iterations after '
        f'{args.warmup} warm-up.', '', '```shell', command, '```', '',
        '| config | images/s | ms/iter | data wait (ms/iter) | data wait '
        'fraction | CPU ms/iter | CPU s/image |',
        '|---|---:|---:|---:|---:|---:|---:|',
        f'| {name} | {r["images_per_s"]:.2f} | {r["iter_ms"]:.1f} | '
        f'{r["data_ms"]:.1f} | {r["data_fraction"]:.1%} | '
        f'{r["cpu_ms"]:.1f} | {r["cpu_s_per_image"]:.3f} |'
    ]
    kind = 'cuda' if 'CPU' not in device else 'cpu'
    variant = ''.join(f' {flag}' for flag, on in (
        ('amp', args.amp), ('channels-last', args.channels_last),
        ('in-memory', args.in_memory)) if on)
    benchmark.update_markdown(
        args.md, f'Training throughput {name}{variant} ({kind})', lines)


if __name__ == '__main__':
    main()
