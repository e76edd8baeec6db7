"""How well and how fast head points come out of density maps.

1. Recovery: synthetic crowds (the built-in generator) are rendered into
   density maps with the project's own renderer, the points are extracted
   back (``DensityPeakPoints``) and matched to the known heads; precision,
   recall and F1 at each threshold, by crowd density.
2. Speed: extraction on a 768 x 1024 map of 3000 heads against HSRNet's own
   forward pass at 768 x 1024 on the same device, in the same run
   (medians, ratio).
3. With ``--checkpoint``: F1 of a trained model on its config's test set.

Example:
    python tools/benchmark_localization.py --md docs/localization.md
    python tools/benchmark_localization.py --config \
        configs/hsrnet/hsrnet_demo.py --checkpoint \
        work_dirs/demo/iter_300.pth --md docs/localization.md
"""
import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

from hsrcount.datasets.density import render_density
from hsrcount.datasets.synthetic import draw_crowd
from hsrcount.evaluation import (LocalizationMetric, match_points,
                                 precision_recall_f1)
from hsrcount.models import DensityPeakPoints
from hsrcount.registry import DATASETS, MODELS
from hsrcount.utils import load_config, register_all_modules
from hsrcount.utils.markdown import update_markdown_section

#: (name, people per 384 x 512 image, renderer arguments).
SCENES = (
    ('sparse, fixed kernel (sigma 4)', (10, 50),
     dict(kernel='fixed', sigma=4.0)),
    ('sparse, adaptive kernels', (10, 50), dict()),
    ('medium, adaptive kernels', (100, 300), dict()),
    ('dense, adaptive kernels', (800, 2000), dict()),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--images', type=int, default=20,
                        help='synthetic images per density')
    parser.add_argument('--thresholds', type=float, nargs='+',
                        default=(4, 8), help='match distances, pixels')
    parser.add_argument('--runs', type=int, default=5,
                        help='timed runs of extraction and forward')
    parser.add_argument('--speed-config', default='configs/hsrnet/'
                        'hsrnet_shtech_a.py',
                        help='model whose forward the extraction is '
                        'compared with (random weights)')
    parser.add_argument('--config', help='config of --checkpoint')
    parser.add_argument('--checkpoint', help='a trained model to score')
    parser.add_argument('--md', help='write the sections into this file')
    return parser.parse_args(argv)


def recovery(args, extractor):
    """Precision, recall, F1 per scene and threshold on rendered maps."""
    lines = [
        f'{args.images} synthetic images of 384 x 512 per row (seeds 0 to '
        f'{args.images - 1}, people drawn uniformly in the range given), '
        'rendered with `render_density` and extracted back with '
        f'`{extractor!r}`; sums over the images.', '',
        '| scene | people per image | ' + ' | '.join(
            f'P / R / F1 at {t:g} px' for t in args.thresholds) + ' |',
        '|---|---|' + '---:|' * len(args.thresholds)
    ]
    for name, (lo, hi), render_args in SCENES:
        stats = {t: [0, 0, 0] for t in args.thresholds}
        for seed in range(args.images):
            rng = np.random.default_rng(seed)
            count = int(rng.integers(lo, hi + 1))
            _, points, _ = draw_crowd(rng, (384, 512), count)
            found = extractor(render_density(points, (384, 512),
                                             **render_args))
            for t in args.thresholds:
                stats[t][0] += match_points(found, points, t)
                stats[t][1] += len(found)
                stats[t][2] += len(points)
        cells = []
        for t in args.thresholds:
            p, r, f1 = precision_recall_f1(*stats[t])
            cells.append(f'{p:.3f} / {r:.3f} / **{f1:.3f}**')
        print(f'{name}: ' + ', '.join(cells))
        lines.append(f'| {name} | {lo}-{hi} | ' + ' | '.join(cells) + ' |')
    return lines


def median_seconds(fn, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(np.min(times))


def speed(args, extractor):
    """Extraction against the model's forward pass, same run."""
    rng = np.random.default_rng(0)
    _, points, _ = draw_crowd(rng, (768, 1024), 3000)
    density = render_density(points, (768, 1024))
    cfg = load_config(args.speed_config)
    model = MODELS.build(cfg.model).eval()
    model.point_extractor = None
    inputs = torch.rand(1, 3, 768, 1024)
    with torch.no_grad():
        model(inputs, mode='tensor')  # warm-up

        def forward():
            model(inputs, mode='tensor')

        fwd, fwd_min = median_seconds(forward, args.runs)
    extractor(density)
    ext, ext_min = median_seconds(lambda: extractor(density), args.runs)
    cpu = platform.processor() or platform.machine()
    lines = [
        f'CPU: {cpu_model()} ({os.cpu_count()} cores, torch threads '
        f'{torch.get_num_threads()}), shared with other jobs; median of '
        f'{args.runs} runs each, interleaved in one process.', '',
        '| step | median (s) | min (s) |', '|---|---:|---:|',
        f'| `DensityPeakPoints` on a 768 x 1024 map of 3000 heads | '
        f'{ext:.3f} | {ext_min:.3f} |',
        f'| {osp_name(args.speed_config)} forward, fp32, 768 x 1024 | '
        f'{fwd:.3f} | {fwd_min:.3f} |', '',
        f'Extraction takes **{100 * ext / fwd:.0f}%** of the forward pass '
        f'({cpu}).'
    ]
    print(f'extraction {ext:.3f} s, forward {fwd:.3f} s '
          f'({100 * ext / fwd:.0f}%)')
    return lines


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown CPU'


def osp_name(path):
    return os.path.splitext(os.path.basename(path))[0]


def trained_model(args):
    """F1 of a checkpoint on its config's test set."""
    from hsrcount.apis import init_model
    model = init_model(args.config, args.checkpoint)
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    metric = LocalizationMetric(thresholds=args.thresholds)
    with torch.no_grad():
        for i in range(len(dataset)):
            item = dataset[i]
            out = model.test_step(dict(inputs=[item['inputs']],
                                       data_samples=[item['data_samples']]))
            metric.process(None, [o.to_dict() for o in out])
    result = metric.evaluate(len(dataset))
    cells = ' | '.join(
        f'{result[f"precision@{t:g}"]:.3f} / {result[f"recall@{t:g}"]:.3f}'
        f' / **{result[f"F1@{t:g}"]:.3f}**' for t in args.thresholds)
    return [
        f'`{args.checkpoint}` on the {len(dataset)} test images of '
        f'`{args.config}`, points from `{model.point_extractor!r}`.', '',
        '| model | ' + ' | '.join(f'P / R / F1 at {t:g} px'
                                  for t in args.thresholds) + ' |',
        '|---|' + '---:|' * len(args.thresholds),
        f'| {osp_name(args.config)} | {cells} |'
    ]


def main(argv=None):
    args = parse_args(argv)
    if (args.config is None) != (args.checkpoint is None):
        sys.exit('--config and --checkpoint go together')
    register_all_modules()
    # Random weights drive activations into denormals, slow on x86 CPUs and
    # absent with trained weights.
    torch.set_flush_denormal(True)
    extractor = DensityPeakPoints()
    command = 'python tools/benchmark_localization.py ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    sections = [('Recovery from rendered maps', recovery(args, extractor)),
                ('Extraction speed', speed(args, extractor))]
    if args.checkpoint:
        sections.append(('A trained model', trained_model(args)))
    if args.md:
        for title, lines in sections:
            update_markdown_section(
                args.md, title,
                lines + ['', 'Command:', '', '```shell', command, '```'])
        print(f'written to {args.md}')


if __name__ == '__main__':
    main()
