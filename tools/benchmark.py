"""Inference speed of crowd counters: latency, throughput, FLOPs, memory.

Each config's model is built with random weights (``Pretrained`` init_cfgs
are dropped: nothing is downloaded) and timed on a random input batch in
each mode, after warm-up: with CUDA events on a GPU, ``time.perf_counter``
on the CPU; the median over ``--runs`` runs is reported. Configs given
together run in the same process, so their latencies compare directly.

FLOPs are the conv and matmul floating-point operations of one forward
pass (``torch.utils.flop_counter``; a multiply-add is 2 FLOPs; bias, ReLU
and pooling are not counted). The FLOP floor of a mode is those FLOPs
divided by the best rate of large 3x3 convs (VGG's 128, 256 and 512
channels at 1/2, 1/4 and 1/8 of the input size, the batch's size) measured
in the same run, on the same device, in the mode's precision and memory
format: the model is a stack of such convs, so it cannot run faster than
its FLOPs at their best rate, and ``floor / latency`` is the fraction of
that reached. A fraction above 100 % would mean the floor is wrong; the
tool warns.

Modes are joined with ``+``: ``fp32`` (TF32 off), ``tf32``, ``bf16`` and
``fp16`` (autocast), ``channels_last``, ``compile`` and ``system_malloc``,
e.g. ``bf16+channels_last+compile``. A mode without a precision is fp32.
Every tool tunes glibc's allocator at start-up
(:func:`hsrcount.utils.setup_allocator`); a ``system_malloc`` mode runs in a
child process with ``HSRCOUNT_TUNE_MALLOC=0``, i.e. with glibc's defaults.

``--large-image H W`` instead counts one random H x W image by tiles
(:func:`hsrcount.apis.tiled.tiled_inference`) in a child process and
reports its time and peak resident memory (``ru_maxrss``).

Examples:
    python tools/benchmark.py configs/hsrnet/hsrnet_shtech_a.py \
        configs/csrnet/csrnet_shtech_a.py --shape 768 1024 --batch 8 \
        --device cuda --modes fp32 tf32 bf16 bf16+channels_last \
        bf16+channels_last+compile --md docs/benchmarks.md
    python tools/benchmark.py configs/hsrnet/hsrnet_shtech_a.py \
        --device cpu --shape 768 1024 --modes fp32+system_malloc fp32 \
        channels_last bf16+channels_last --md docs/benchmarks.md
    python tools/benchmark.py configs/hsrnet/hsrnet_shtech_a.py \
        --device cpu --large-image 6000 8000 \
        --modes fp32+system_malloc bf16+channels_last --md docs/benchmarks.md
"""
import argparse
import json
import os
import os.path as osp
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time

import mmengine
import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

import hsrcount
from hsrcount.apis.fast_paths import (apply_fast_paths, autocast_context,
                                      restore_tf32, set_tf32)
from hsrcount.registry import MODELS
from hsrcount.utils import load_config, register_all_modules, setup_allocator
from hsrcount.utils.setup_env import MALLOC_ENV

PRECISIONS = ('fp32', 'tf32', 'bf16', 'fp16')
SWITCHES = ('channels_last', 'compile', 'system_malloc')
#: The floor convs: (channels, input downscale) at the benchmark's shape.
FLOOR_CONVS = ((128, 2), (256, 4), (512, 8))
#: Clocks for CPU timings (``--clock``): wall time, or the CPU time (user +
#: system, all threads) of this process, which a machine shared with other
#: jobs disturbs less.
CPU_CLOCKS = {'wall': time.perf_counter, 'cpu': time.process_time}
_cpu_clock = CPU_CLOCKS['wall']


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Inference latency, throughput and FLOPs of configs')
    parser.add_argument('configs', nargs='+', help='config files')
    parser.add_argument('--shape', type=int, nargs=2, default=(768, 1024),
                        metavar=('H', 'W'), help='input height and width')
    parser.add_argument('--batch', type=int, default=1, help='batch size')
    parser.add_argument('--device', default='cuda' if
                        torch.cuda.is_available() else 'cpu')
    parser.add_argument(
        '--modes', nargs='+', default=['fp32'],
        help=f'modes: {"/".join(PRECISIONS + SWITCHES)} joined with +')
    parser.add_argument('--runs', type=int, default=50,
                        help='timed runs per config and mode')
    parser.add_argument('--warmup', type=int, default=10,
                        help='untimed runs first')
    parser.add_argument('--large-image', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='count one random H x W image by tiles instead '
                        'and report time and peak memory')
    parser.add_argument(
        '--clock', choices=sorted(CPU_CLOCKS), default='wall',
        help='CPU timings: wall-clock time, or the process\'s CPU time '
        '(user + system, all threads; steadier on a shared machine)')
    parser.add_argument('--tile-size', type=int, default=1024)
    parser.add_argument('--tile-overlap', type=int, default=128)
    parser.add_argument('--md', help='write/update a section of this '
                        'Markdown file with the results')
    parser.add_argument('--tiled-child', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--latency-child', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    for mode in args.modes:
        parse_mode(mode)
    if args.batch < 1 or args.runs < 1 or args.warmup < 0:
        parser.error('--batch and --runs must be >= 1, --warmup >= 0')
    return args


def parse_mode(mode):
    """Split ``'bf16+channels_last'`` into (precision, set of switches)."""
    parts = mode.split('+')
    unknown = [p for p in parts if p not in PRECISIONS + SWITCHES]
    precisions = [p for p in parts if p in PRECISIONS]
    if unknown or len(precisions) > 1 or len(set(parts)) != len(parts):
        raise SystemExit(f'benchmark: bad mode {mode!r}: use at most one of '
                         f'{PRECISIONS} and any of {SWITCHES}, joined by +')
    return (precisions[0] if precisions else 'fp32'), set(parts) - set(
        precisions)


def build_model(config, device):
    """The config's model with PyTorch's default random weights, in eval
    mode (``init_weights`` is not called: it would only log)."""
    cfg = load_config(config) if isinstance(config, str) else config
    model_cfg = cfg.model.copy()
    return MODELS.build(model_cfg).to(device).eval()


def count_flops(model_cfg, shape):
    """FLOPs of one forward pass of a batch of one image.

    Counted on the ``meta`` device: no memory, no compute.

    Args:
        model_cfg (dict): The model config (random weights are fine).
        shape (tuple[int, int]): Input (H, W).

    Returns:
        int: Conv and matmul FLOPs (a multiply-add counts 2).
    """
    model_cfg = model_cfg.copy()
    with torch.device('meta'):
        model = MODELS.build(model_cfg).eval()
        x = torch.empty(1, 3, *shape)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    return counter.get_total_flops()


def timer(device):
    """A function timing ``fn()`` in seconds on ``device``."""
    if device.type == 'cuda':

        def run(fn):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize(device)
            return start.elapsed_time(end) / 1000
    else:

        def run(fn):
            start = _cpu_clock()
            fn()
            return _cpu_clock() - start

    return run


def time_fn(fn, device, runs, warmup):
    """Median seconds of ``fn()`` over ``runs`` timed runs."""
    for _ in range(warmup):
        fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    run = timer(device)
    return statistics.median(run(fn) for _ in range(runs))


def floor_conv_shapes(shape, batch):
    """The floor convs at input size ``shape``: (N, C, H, W) each."""
    h, w = shape
    return [(batch, c, max(1, h // s), max(1, w // s))
            for c, s in FLOOR_CONVS]


def conv_rate(mode, shape, batch, device, runs=3):
    """The best FLOP/s of the floor convs in a mode's precision and layout.

    Each 3x3 conv (C -> C, stride 1, padding 1, no bias: 2 * 9 * C^2 FLOPs
    per output pixel) runs under the mode's autocast and TF32 setting, its
    weight and input channels-last when the mode is.

    Args:
        mode (str): A benchmark mode, e.g. ``'bf16+channels_last'``.
        shape (tuple[int, int]): The benchmark's input (H, W).
        batch (int): The benchmark's batch size.
        device (torch.device): Where to run.
        runs (int): Timed runs per conv (the median is taken).

    Returns:
        tuple[float, str]: The best rate and the conv that reached it.
    """
    precision, switches = parse_mode(mode)
    amp = precision if precision in ('bf16', 'fp16') else None
    layout = torch.channels_last if 'channels_last' in switches \
        else torch.contiguous_format
    previous_tf32 = set_tf32(precision == 'tf32')
    best = (0.0, '')
    try:
        for n, c, h, w in floor_conv_shapes(shape, batch):
            conv = torch.nn.Conv2d(c, c, 3, padding=1, bias=False).to(
                device, memory_format=layout)
            x = torch.randn(n, c, h, w, device=device).contiguous(
                memory_format=layout)

            @torch.no_grad()
            def run(conv=conv, x=x):
                with autocast_context(device, amp):
                    conv(x)

            seconds = time_fn(run, device, runs, warmup=1)
            rate = 2 * 9 * c * c * n * h * w / seconds
            if rate > best[0]:
                best = (rate, f'{c}->{c} at {h}x{w}')
    finally:
        restore_tf32(previous_tf32)
    return best


def measure(config, mode, args, device):
    """Median latency (s) of one config in one mode.

    A ``system_malloc`` mode is measured in a child process (see
    :func:`measure_in_child`)."""
    precision, switches = parse_mode(mode)
    if 'system_malloc' in switches and not args.latency_child:
        return measure_in_child(config, mode, args, device)[0]
    previous_tf32 = set_tf32(precision == 'tf32')
    try:
        model = build_model(config, device)
        apply_fast_paths(model, channels_last='channels_last' in switches,
                         compile='compile' in switches)
        amp = precision if precision in ('bf16', 'fp16') else None
        x = torch.randn(args.batch, 3, *args.shape, device=device)

        @torch.no_grad()
        def forward():
            with autocast_context(device, amp):
                model(x)

        return time_fn(forward, device, args.runs, args.warmup)
    finally:
        restore_tf32(previous_tf32)


def child_command(args, config, mode, device, flag):
    """Re-run this tool on one config and mode in a child process."""
    command = [sys.executable, osp.abspath(__file__), config, '--device',
               str(device), '--modes', mode, '--batch', str(args.batch),
               '--runs', str(args.runs), '--warmup', str(args.warmup),
               '--shape', *map(str, args.shape), '--clock', args.clock,
               flag]
    if args.large_image:
        command += ['--large-image', *map(str, args.large_image),
                    '--tile-size', str(args.tile_size), '--tile-overlap',
                    str(args.tile_overlap)]
    return command


def run_child(command, mode, what):
    """Run a child, with glibc's allocator defaults for a
    ``system_malloc`` mode; return the JSON it printed after ``RESULT``."""
    env = dict(os.environ)
    if 'system_malloc' in parse_mode(mode)[1]:
        env[MALLOC_ENV] = '0'
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    found = re.search(r'^RESULT (.+)$', proc.stdout, re.M)
    if proc.returncode or not found:
        raise SystemExit(f'benchmark: {what} failed:\n{proc.stderr[-3000:]}')
    return json.loads(found.group(1))


def measure_in_child(config, mode, args, device):
    """Latency and floor-conv rate of one mode, in a fresh process.

    Returns:
        tuple[float, float, str]: Seconds, conv rate and the floor conv.
    """
    r = run_child(child_command(args, config, mode, device,
                                '--latency-child'), mode,
                  f'{mode} run of {config}')
    return r['seconds'], r['rate'], r['conv']


def latency_child(args, device):
    """Runs in the child process: one config, one mode; print JSON."""
    mode = args.modes[0]
    rate, conv = conv_rate(mode, args.shape, args.batch, device)
    seconds = measure(args.configs[0], mode, args, device)
    print('RESULT ' + json.dumps(dict(seconds=seconds, rate=rate,
                                      conv=conv)))


def device_name(device):
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    name = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            found = re.search(r'model name\s*:\s*(.+)', f.read())
        name = found.group(1).strip() if found else name
    except OSError:
        pass
    return f'CPU {name}, {torch.get_num_threads()} threads'


def versions():
    return (f'torch {torch.__version__}, mmengine {mmengine.__version__}, '
            f'hsrcount {hsrcount.__version__}, python '
            f'{platform.python_version()}')


#: Environment variables that change the timings, shown with the command.
TIMING_ENV = ('OMP_NUM_THREADS', MALLOC_ENV, 'LD_PRELOAD')


def command_line(args, tool='benchmark.py'):
    """The command that produced ``args``, as a shell line, with the
    environment variables of :data:`TIMING_ENV` that were set."""
    env = [f'{k}={shlex.quote(os.environ[k])}' for k in TIMING_ENV
           if os.environ.get(k)]
    return ' '.join(env + [f'python tools/{tool}'] +
                    [shlex.quote(a) for a in args.argv])


def name_of(config):
    return osp.splitext(osp.basename(config))[0]


def run_latency(args, device):
    """Time every config in every mode; return Markdown lines."""
    print(f'device: {device_name(device)}')
    rows, first, rates = [], {}, {}
    reference, baseline = name_of(args.configs[0]), args.modes[0]
    for config in args.configs:
        flops = count_flops(load_config(config).model, args.shape)
        print(f'{name_of(config)}: {flops / 1e9:.2f} GFLOPs per image at '
              f'{args.shape[0]}x{args.shape[1]}')
        for mode in args.modes:
            if 'system_malloc' in parse_mode(mode)[1]:
                seconds, *rates[mode] = measure_in_child(
                    config, mode, args, device)
            else:
                if mode not in rates:
                    rates[mode] = conv_rate(mode, args.shape, args.batch,
                                            device)
                seconds = measure(config, mode, args, device)
            rate, conv = rates[mode]
            floor = flops * args.batch / rate
            first.setdefault(mode, seconds)
            speedup = [r[2] for r in rows
                       if r[0] == name_of(config) and r[1] == baseline]
            speedup = speedup[0] / seconds if speedup else 1.0
            rows.append((name_of(config), mode, seconds, flops, rate, conv,
                         floor, seconds / first[mode], speedup))
            print(f'  {mode:<34} {seconds * 1e3:10.1f} ms/batch  '
                  f'{args.batch / seconds:8.2f} img/s  x{speedup:.2f} of '
                  f'{baseline}  floor {floor * 1e3:.1f} ms at '
                  f'{rate / 1e12:.3f} TFLOP/s ({conv}): '
                  f'{floor / seconds:.1%} reached  '
                  f'x{seconds / first[mode]:.2f} of {reference}')
            if floor > seconds:
                print(f'  warning: {mode} beat its floor; the floor convs '
                      f'are not the fastest this device runs')
    h, w = args.shape
    clock = 'CUDA events' if device.type == 'cuda' else \
        'perf_counter' if args.clock == 'wall' else \
        'process CPU time, user + system, all threads'
    lines = [
        f'Device: {device_name(device)}. Versions: {versions()}.', '',
        f'Input {args.batch} x 3 x {h} x {w}, random weights; median of '
        f'{args.runs} runs after {args.warmup} warm-up runs ({clock}). '
        f'Floor = FLOPs / the best rate of 3x3 convs (128, 256 and 512 '
        f'channels at 1/2, 1/4 and 1/8 of the input) in the same '
        f'precision and memory format, measured in the same run.', '',
        '```shell', command_line(args), '```', '',
        f'| config | mode | latency (ms/batch) | images/s | speed-up vs '
        f'{baseline} | GFLOPs/image | conv rate (TFLOP/s) | floor (ms) | '
        f'floor reached | latency vs {reference} |',
        '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'
    ]
    for name, mode, seconds, flops, rate, _, floor, ratio, speedup in rows:
        lines.append(f'| {name} | {mode} | {seconds * 1e3:.1f} | '
                     f'{args.batch / seconds:.2f} | {speedup:.2f} | '
                     f'{flops / 1e9:.1f} | {rate / 1e12:.3f} | '
                     f'{floor * 1e3:.1f} | {floor / seconds:.1%} | '
                     f'{ratio:.2f} |')
    return f'Inference speed ({device.type})', lines


def tiled_child(args, device):
    """Runs in the child process: count one random image, print JSON."""
    from hsrcount.apis.tiled import tiled_inference
    precision, switches = parse_mode(args.modes[0])
    set_tf32(precision == 'tf32')
    model = build_model(args.configs[0], device)
    amp = precision if precision in ('bf16', 'fp16') else None
    apply_fast_paths(model, channels_last='channels_last' in switches,
                     compile='compile' in switches, amp=amp)
    img = np.random.default_rng(0).integers(
        0, 256, (*args.large_image, 3), dtype=np.uint8)
    start, cpu_start = time.perf_counter(), time.process_time()
    result = tiled_inference(model, img, args.tile_size, args.tile_overlap)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    report = dict(
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        count=result.pred_count,
        num_tiles=result.metainfo['num_tiles'],
        # Linux reports ru_maxrss in KiB.
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss *
        1024)
    if device.type == 'cuda':
        report['peak_cuda_bytes'] = torch.cuda.max_memory_allocated(device)
    print('RESULT ' + json.dumps(report))


def run_large_image(args, device):
    """Count a large image by tiles in a child process per config and
    mode."""
    h, w = args.large_image
    lines = [
        f'Device: {device_name(device)}. Versions: {versions()}.', '',
        f'One random {h} x {w} image counted by {args.tile_size}-pixel tiles '
        f'overlapping by {args.tile_overlap}, random weights, in a child '
        f'process per mode whose peak resident memory (`ru_maxrss`) is '
        f'reported; one run each.', '', '```shell', command_line(args),
        '```', '',
        '| config | mode | tiles | time (s) | CPU time (s) | count | '
        'peak RSS (GiB) | peak CUDA memory (GiB) |',
        '|---|---|---:|---:|---:|---:|---:|---:|'
    ]
    for config in args.configs:
        for mode in args.modes:
            r = run_child(child_command(args, config, mode, device,
                                        '--tiled-child'), mode,
                          f'tiled run of {config} in {mode}')
            cuda = f'{r["peak_cuda_bytes"] / 2**30:.2f}' \
                if 'peak_cuda_bytes' in r else 'n/a'
            print(f'{name_of(config)} {mode}: {r["num_tiles"]} tiles, '
                  f'{r["seconds"]:.1f} s ({r["cpu_seconds"]:.1f} s CPU), '
                  f'count {r["count"]:.1f}, peak RSS '
                  f'{r["peak_rss_bytes"] / 2**30:.2f} GiB, CUDA {cuda} GiB')
            lines.append(f'| {name_of(config)} | {mode} | {r["num_tiles"]} '
                         f'| {r["seconds"]:.1f} | {r["cpu_seconds"]:.1f} | '
                         f'{r["count"]:.1f} | '
                         f'{r["peak_rss_bytes"] / 2**30:.2f} | {cuda} |')
    return f'Large image by tiles ({device.type})', lines


def update_markdown(path, title, lines):
    """Replace (or append) the section ``title`` of a Markdown file.

    The section is delimited by HTML comments naming it, so other sections
    (written by hand or by other tools) are kept.
    """
    key = re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')
    start, end = f'<!-- benchmark:{key} -->', f'<!-- /benchmark:{key} -->'
    block = '\n'.join([start, f'## {title}', ''] + lines + [end])
    text = open(path).read() if osp.isfile(path) else '# Benchmarks\n'
    pattern = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip('\n') + '\n\n' + block + '\n'
    with open(path, 'w') as f:
        f.write(text)


def main(argv=None):
    setup_allocator()
    args = parse_args(argv)
    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise SystemExit('benchmark: --device cuda but no GPU is available')
    register_all_modules()
    if device.type == 'cpu':
        # Random weights drive activations into denormals, which are very
        # slow on x86 CPUs and would not occur with trained weights.
        torch.set_flush_denormal(True)
    global _cpu_clock
    _cpu_clock = CPU_CLOCKS[args.clock]
    if args.tiled_child:
        return tiled_child(args, device)
    if args.latency_child:
        return latency_child(args, device)
    if args.large_image:
        title, lines = run_large_image(args, device)
    else:
        title, lines = run_latency(args, device)
    if args.md:
        update_markdown(args.md, title, lines)
        print(f'section "{title}" written to {args.md}')


if __name__ == '__main__':
    main()
