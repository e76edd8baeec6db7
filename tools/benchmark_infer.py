"""Seconds per image of ``tools/infer.py`` as a user runs it, in variants.

Each variant is a set of flags and environment variables for
``tools/infer.py``; the default variants compare its default flags with
every CPU speed-up turned off (``--fp32 --no-channels-last`` and
``HSRCOUNT_TUNE_MALLOC=0``: float32, contiguous layout, glibc's allocator
as it comes, which is what ``tools/infer.py`` did before these became the
CPU defaults). The variants run in turn, ``--repeats`` times, each as a
child process on one image and on all ``--images``; the time per image is
the difference divided by the number of extra images, so start-up (imports,
building the model, reading the checkpoint) is left out. Wall-clock and CPU
(user + system) seconds are both reported; on a shared machine the CPU
seconds vary less.

Without ``--checkpoint`` the config's model is saved with random weights
(``Pretrained`` init_cfgs dropped: nothing is downloaded) to a temporary
checkpoint.

Example:
    OMP_NUM_THREADS=2 python tools/benchmark_infer.py \
        configs/hsrnet/hsrnet_shtech_a.py \
        --images data/ShanghaiTech/part_B/test_data/images/IMG_1.jpg \
        data/ShanghaiTech/part_B/test_data/images/IMG_2.jpg \
        data/ShanghaiTech/part_B/test_data/images/IMG_3.jpg \
        --md docs/benchmarks.md
"""
import argparse
import os
import os.path as osp
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

#: name -> (infer.py flags, environment variables).
VARIANTS = {
    'default': ([], {}),
    'all off': (['--fp32', '--no-channels-last'],
                {'HSRCOUNT_TUNE_MALLOC': '0'}),
    'fp32, channels-last, allocator': (['--fp32'], {}),
    'bf16 + channels-last, glibc allocator': ([], {
        'HSRCOUNT_TUNE_MALLOC': '0'}),
}
INFER = osp.join(osp.dirname(osp.abspath(__file__)), 'infer.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Seconds per image of tools/infer.py in variants')
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='default: random weights')
    parser.add_argument('--images', nargs='+', required=True,
                        help='at least two image files')
    parser.add_argument('--variants', nargs='+', default=['all off',
                                                          'default'],
                        choices=sorted(VARIANTS))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--md', help='write/update a section of this '
                        'Markdown file with the result')
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if len(args.images) < 2:
        parser.error('--images needs at least two files')
    missing = [p for p in args.images if not osp.isfile(p)]
    if missing:
        parser.error(f'no such image file: {", ".join(missing)}')
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    return args


def random_checkpoint(config, path):
    """Save the config's model with random weights to ``path``."""
    import torch

    from hsrcount.apis import init_model
    from hsrcount.utils import load_config
    cfg = load_config(config)
    cfg.model.backbone.pop('init_cfg', None)
    model = init_model(cfg, fast_paths=None)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def run_infer(config, checkpoint, images, variant, out_dir):
    """Run ``tools/infer.py`` once; return (wall s, CPU s)."""
    flags, env = VARIANTS[variant]
    input_dir = osp.join(out_dir, 'in')
    shutil.rmtree(input_dir, ignore_errors=True)
    os.makedirs(input_dir)
    for i, path in enumerate(images):
        os.symlink(osp.abspath(path),
                   osp.join(input_dir, f'{i:03d}_{osp.basename(path)}'))
    command = [sys.executable, INFER, config, checkpoint, input_dir,
               '--out-dir', osp.join(out_dir, 'out'), '--no-overlay',
               *flags]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True,
                          env=dict(os.environ, **env))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f'benchmark_infer: {variant} failed:\n'
                         f'{proc.stderr[-3000:]}')
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                               before.ru_stime)
    return wall, cpu


def per_image(config, checkpoint, images, variant, out_dir):
    """Wall and CPU seconds per image, start-up left out."""
    one = run_infer(config, checkpoint, images[:1], variant, out_dir)
    every = run_infer(config, checkpoint, images, variant, out_dir)
    extra = len(images) - 1
    return ((every[0] - one[0]) / extra, (every[1] - one[1]) / extra)


def main(argv=None):
    from hsrcount.utils import setup_allocator
    setup_allocator()
    args = parse_args(argv)
    results = {v: [] for v in args.variants}
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = args.checkpoint
        if checkpoint is None:
            checkpoint = osp.join(tmp, 'random.pth')
            random_checkpoint(args.config, checkpoint)
        for repeat in range(args.repeats):
            for variant in args.variants:
                wall, cpu = per_image(args.config, checkpoint, args.images,
                                      variant, tmp)
                results[variant].append((wall, cpu))
                print(f'repeat {repeat + 1}: {variant}: {wall:.2f} s/image '
                      f'wall, {cpu:.2f} s/image CPU', flush=True)
    base = args.variants[0]
    rows = []
    for variant in args.variants:
        wall = statistics.median(r[0] for r in results[variant])
        cpu = statistics.median(r[1] for r in results[variant])
        ratios = [b[0] / r[0] for b, r in zip(results[base],
                                              results[variant])]
        rows.append((variant, wall, cpu, statistics.median(ratios)))
        print(f'{variant}: median {wall:.2f} s/image wall, {cpu:.2f} '
              f's/image CPU, x{rows[-1][3]:.2f} faster than {base} '
              f'(median of per-repeat ratios)')
    if args.md:
        write_markdown(args, rows, base)


def write_markdown(args, rows, base):
    import importlib.util

    import torch
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark',
        osp.join(osp.dirname(osp.abspath(__file__)), 'benchmark.py'))
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    command = benchmark.command_line(args, 'benchmark_infer.py')
    threads = os.environ.get('OMP_NUM_THREADS', str(torch.get_num_threads()))
    described = []
    for variant, *_ in rows:
        flags, env = VARIANTS[variant]
        words = flags + [f'{k}={v}' for k, v in env.items()]
        described.append(f'**{variant}** = '
                         f'`{" ".join(words) or "no flags"}`')
    lines = [
        f'Device: {benchmark.device_name(torch.device("cpu"))}, '
        f'OMP_NUM_THREADS={threads}. Versions: {benchmark.versions()}.', '',
        f'`tools/infer.py` with `--no-overlay` on '
        f'{", ".join(osp.basename(p) for p in args.images)}: seconds per '
        f'image with start-up left out; the variants ran in turn, '
        f'{args.repeats} times; medians. Variants: '
        f'{"; ".join(described)}.', '',
        '```shell', command, '```', '',
        f'| variant | s/image (wall) | s/image (CPU) | speed-up vs {base} |',
        '|---|---:|---:|---:|'
    ]
    for variant, wall, cpu, ratio in rows:
        lines.append(f'| {variant} | {wall:.2f} | {cpu:.2f} | {ratio:.2f} |')
    benchmark.update_markdown(args.md, 'tools/infer.py per image (cpu)',
                              lines)


if __name__ == '__main__':
    main()
