"""Inference speed of crowd counters: latency, throughput, FLOPs, memory.

Each config's model is built with random weights (``Pretrained`` init_cfgs
are dropped: nothing is downloaded) and timed on a random input batch in
each mode, after warm-up: with CUDA events on a GPU, ``time.perf_counter``
on the CPU; the median over ``--runs`` runs is reported. Configs given
together run in the same process, so their latencies compare directly.

FLOPs are the conv and matmul floating-point operations of one forward
pass (``torch.utils.flop_counter``; a multiply-add is 2 FLOPs; bias, ReLU
and pooling are not counted). The FLOP floor is those FLOPs divided by the
rate of a large matmul measured in the same run on the same device (bf16 on
a GPU, fp32 on the CPU): the latency no implementation can beat on that
device, and ``floor / latency`` is the fraction of it reached.

Modes are joined with ``+``: ``fp32`` (TF32 off), ``tf32``, ``bf16`` and
``fp16`` (autocast), ``channels_last`` and ``compile``, e.g.
``bf16+channels_last+compile``. A mode without a precision is fp32.

``--large-image H W`` instead counts one random H x W image by tiles
(:func:`hsrcount.apis.tiled.tiled_inference`) in a child process and
reports its time and peak resident memory (``ru_maxrss``).

Examples:
    python tools/benchmark.py configs/hsrnet/hsrnet_shtech_a.py \
        configs/csrnet/csrnet_shtech_a.py --shape 768 1024 --batch 8 \
        --device cuda --modes fp32 tf32 bf16 bf16+channels_last \
        bf16+channels_last+compile --md docs/benchmarks.md
    python tools/benchmark.py configs/hsrnet/hsrnet_shtech_a.py \
        --device cpu --large-image 6000 8000 --md docs/benchmarks.md
"""
import argparse
import json
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

PRECISIONS = ('fp32', 'tf32', 'bf16', 'fp16')
SWITCHES = ('channels_last', 'compile')


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
    parser.add_argument('--matmul-size', type=int, default=None,
                        help='side of the square matmul that measures the '
                        'device rate (default 8192 on GPU, 2048 on CPU)')
    parser.add_argument('--large-image', type=int, nargs=2, default=None,
                        metavar=('H', 'W'),
                        help='count one random H x W image by tiles instead '
                        'and report time and peak memory')
    parser.add_argument('--tile-size', type=int, default=1024)
    parser.add_argument('--tile-overlap', type=int, default=128)
    parser.add_argument('--md', help='write/update a section of this '
                        'Markdown file with the results')
    parser.add_argument('--tiled-child', action='store_true',
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
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

    return run


def time_fn(fn, device, runs, warmup):
    """Median seconds of ``fn()`` over ``runs`` timed runs."""
    for _ in range(warmup):
        fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    run = timer(device)
    return statistics.median(run(fn) for _ in range(runs))


def matmul_rate(device, size, runs=5):
    """Measured FLOP/s of a square matmul: bf16 on GPU, fp32 on CPU.

    Returns:
        tuple[float, str]: The rate and its label.
    """
    dtype = torch.bfloat16 if device.type == 'cuda' else torch.float32
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    seconds = time_fn(lambda: a @ b, device, runs, warmup=2)
    label = f'{"bf16" if dtype == torch.bfloat16 else "fp32"} matmul ' \
        f'{size}x{size}'
    return 2 * size**3 / seconds, label


def measure(config, mode, args, device):
    """Median latency (s) of one config in one mode."""
    precision, switches = parse_mode(mode)
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


def command_line(args):
    """The command that produced ``args``, as a shell line."""
    return 'python tools/benchmark.py ' + ' '.join(
        shlex.quote(a) for a in args.argv)


def name_of(config):
    return osp.splitext(osp.basename(config))[0]


def run_latency(args, device):
    """Time every config in every mode; return Markdown lines."""
    size = args.matmul_size or (8192 if device.type == 'cuda' else 2048)
    rate, rate_label = matmul_rate(device, size)
    print(f'device: {device_name(device)}')
    print(f'{rate_label}: {rate / 1e12:.3f} TFLOP/s (measured)')
    rows, first = [], {}
    reference = name_of(args.configs[0])
    for config in args.configs:
        flops = count_flops(load_config(config).model, args.shape)
        print(f'{name_of(config)}: {flops / 1e9:.2f} GFLOPs per image at '
              f'{args.shape[0]}x{args.shape[1]}')
        for mode in args.modes:
            seconds = measure(config, mode, args, device)
            floor = flops * args.batch / rate
            first.setdefault(mode, seconds)
            rows.append((name_of(config), mode, seconds, flops, floor,
                         seconds / first[mode]))
            print(f'  {mode:<28} {seconds * 1e3:10.1f} ms/batch  '
                  f'{args.batch / seconds:8.2f} img/s  floor '
                  f'{floor * 1e3:.1f} ms ({floor / seconds:.1%} reached)  '
                  f'x{seconds / first[mode]:.2f} of {reference}')
    h, w = args.shape
    clock = 'CUDA events' if device.type == 'cuda' else 'perf_counter'
    lines = [
        f'Device: {device_name(device)}. Versions: {versions()}.', '',
        f'Input {args.batch} x 3 x {h} x {w}, random weights; median of '
        f'{args.runs} runs after {args.warmup} warm-up runs ({clock}). '
        f'FLOP floor = FLOPs / {rate_label} rate measured in the same run: '
        f'{rate / 1e12:.3f} TFLOP/s.', '', '```shell', command_line(args),
        '```', '',
        '| config | mode | latency (ms/batch) | images/s | GFLOPs/image | '
        f'floor (ms) | floor reached | latency vs {reference} |',
        '|---|---|---:|---:|---:|---:|---:|---:|'
    ]
    for name, mode, seconds, flops, floor, ratio in rows:
        lines.append(f'| {name} | {mode} | {seconds * 1e3:.1f} | '
                     f'{args.batch / seconds:.2f} | {flops / 1e9:.1f} | '
                     f'{floor * 1e3:.1f} | {floor / seconds:.1%} | '
                     f'{ratio:.2f} |')
    return f'Inference speed ({device.type})', lines


def tiled_child(args, device):
    """Runs in the child process: count one random image, print JSON."""
    from hsrcount.apis.tiled import tiled_inference
    precision, switches = parse_mode(args.modes[0])
    set_tf32(precision == 'tf32')
    model = build_model(args.configs[0], device)
    apply_fast_paths(model, channels_last='channels_last' in switches,
                     compile='compile' in switches)
    amp = precision if precision in ('bf16', 'fp16') else None
    img = np.random.default_rng(0).integers(
        0, 256, (*args.large_image, 3), dtype=np.uint8)
    start = time.perf_counter()
    with autocast_context(device, amp):
        result = tiled_inference(model, img, args.tile_size,
                                 args.tile_overlap)
    seconds = time.perf_counter() - start
    report = dict(
        seconds=seconds,
        count=result.pred_count,
        num_tiles=result.metainfo['num_tiles'],
        # Linux reports ru_maxrss in KiB.
        peak_rss_bytes=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss *
        1024)
    if device.type == 'cuda':
        report['peak_cuda_bytes'] = torch.cuda.max_memory_allocated(device)
    print('RESULT ' + json.dumps(report))


def run_large_image(args, device):
    """Count a large image by tiles in a child process per config."""
    h, w = args.large_image
    lines = [
        f'Device: {device_name(device)}. Versions: {versions()}.', '',
        f'One random {h} x {w} image counted by {args.tile_size}-pixel tiles '
        f'overlapping by {args.tile_overlap}, random weights, mode '
        f'{args.modes[0]}, in a child process whose peak resident memory '
        f'(`ru_maxrss`) is reported; one run.', '', '```shell',
        command_line(args), '```', '',
        '| config | tiles | time (s) | peak RSS (GiB) | peak CUDA memory '
        '(GiB) |', '|---|---:|---:|---:|---:|'
    ]
    for config in args.configs:
        child = [sys.executable, osp.abspath(__file__), config,
                 '--device', str(device), '--large-image', str(h), str(w),
                 '--tile-size', str(args.tile_size), '--tile-overlap',
                 str(args.tile_overlap), '--modes', args.modes[0],
                 '--tiled-child']
        proc = subprocess.run(child, capture_output=True, text=True)
        found = re.search(r'^RESULT (.+)$', proc.stdout, re.M)
        if proc.returncode or not found:
            raise SystemExit(f'benchmark: tiled run of {config} failed:\n'
                             f'{proc.stderr[-3000:]}')
        r = json.loads(found.group(1))
        cuda = f'{r["peak_cuda_bytes"] / 2**30:.2f}' \
            if 'peak_cuda_bytes' in r else 'n/a'
        print(f'{name_of(config)}: {r["num_tiles"]} tiles, '
              f'{r["seconds"]:.1f} s, peak RSS '
              f'{r["peak_rss_bytes"] / 2**30:.2f} GiB, CUDA {cuda} GiB')
        lines.append(f'| {name_of(config)} | {r["num_tiles"]} | '
                     f'{r["seconds"]:.1f} | '
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
    if args.tiled_child:
        return tiled_child(args, device)
    if args.large_image:
        title, lines = run_large_image(args, device)
    else:
        title, lines = run_latency(args, device)
    if args.md:
        update_markdown(args.md, title, lines)
        print(f'section "{title}" written to {args.md}')


if __name__ == '__main__':
    main()
