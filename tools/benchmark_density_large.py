"""Time ground-truth rendering on huge and degenerate point sets.

A released annotation can hold a million heads, or many heads clicked at one
position; the density is rendered again on every fetch of the image. This
script times :func:`hsrcount.datasets.density.render_density` (adaptive
sigmas included) on such sets, and the geometry-adaptive sigmas against the
previous implementation (one k-d tree query per head on the raw points,
which degenerates to O(N^2) on identical points), written out below as
:func:`previous_sigmas`. Both run in this process, one after the other.

Example::

    OMP_NUM_THREADS=1 python tools/benchmark_density_large.py --write-doc
"""
import argparse
import os
import os.path as osp
import platform
import subprocess
import time

import numpy as np
import scipy
from scipy.spatial import cKDTree

from hsrcount.datasets.density import adaptive_sigmas, render_density

DOC_SECTION = '## Ground truth of a million heads'


def previous_sigmas(points, k=3, beta=0.3, fallback=4.0):
    """The adaptive sigmas as computed before (raw points in the tree)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) < 2:
        return np.full(len(points), float(fallback))
    num = min(k, len(points) - 1)
    dists, _ = cKDTree(points).query(points, k=num + 1)
    return beta * dists[:, 1:].mean(axis=1)


def timed(func, *args, repeat=1, **kwargs):
    """The output of ``func`` and its best wall time over ``repeat`` runs."""
    best = float('inf')
    for _ in range(repeat):
        start = time.perf_counter()
        out = func(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return out, best


def cpu_model():
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or platform.machine()
    for line in out.splitlines():
        if line.startswith('Model name:'):
            return line.split(':', 1)[1].strip()
    return platform.machine()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--million', type=int, default=1_000_000,
                        help='heads of the large renders')
    parser.add_argument('--previous', type=int, nargs='*',
                        default=[32768, 65536],
                        help='identical-head counts timed with both sigma '
                        'implementations')
    parser.add_argument('--repeat', type=int, default=3,
                        help='runs of each million-head step (best kept)')
    parser.add_argument('--write-doc', action='store_true',
                        help='write the results into docs/benchmarks.md')
    return parser.parse_args()


def main():
    args = parse_args()
    rows = []
    for n in args.previous:
        pts = np.full((n, 2), [100.5, 80.5])
        new, t_new = timed(adaptive_sigmas, pts)
        old, t_old = timed(previous_sigmas, pts)
        assert np.allclose(new, old)
        rows.append((f'{n} identical heads', 'adaptive sigmas',
                     f'{t_old:.2f}', f'{t_new:.3f}', f'{t_old / t_new:.0f}x'))
        print(rows[-1])
    n = args.million
    cases = [
        (f'{n} identical heads, 768 x 1024', np.full((n, 2), [100.5, 80.5]),
         (768, 1024)),
        (f'{n} heads uniform on 1536 x 2048',
         np.stack([np.random.default_rng(0).uniform(0, 2048, n),
                   np.random.default_rng(1).uniform(0, 1536, n)], axis=1),
         (1536, 2048)),
    ]
    for name, pts, shape in cases:
        _, t_sig = timed(adaptive_sigmas, pts, repeat=args.repeat)
        dens, t_all = timed(render_density, pts, shape, repeat=args.repeat)
        assert abs(float(dens.sum()) - n) < 1e-3 * n
        rows.append((name, 'adaptive sigmas', '-', f'{t_sig:.2f}', '-'))
        rows.append((name, 'whole render_density', '-', f'{t_all:.2f}', '-'))
        print(rows[-2], rows[-1], sep='\n')
    if not args.write_doc:
        return
    table = ['| points | step | before (s) | now (s) | speed-up |',
             '|---|---|---:|---:|---:|']
    table += ['| ' + ' | '.join(r) + ' |' for r in rows]
    text = '\n'.join([
        DOC_SECTION, '',
        'Geometry-adaptive ground truth (k = 3, beta = 0.3, '
        "`border='renormalize'`) of degenerate and huge point sets, timed "
        'once each (the million-head rows: best of '
        f'{args.repeat} runs). "Before" is the previous sigma computation '
        '(one k-d tree '
        'query per head on the raw points: O(N^2) when heads coincide, since '
        'the tree cannot split identical points), run in the same process; '
        'identical points now get their neighbours once per distinct '
        'position, and kernels are stamped in vectorised chunks by radius. '
        'A "whole render_density" row times the whole call, sigmas '
        'included; an "adaptive sigmas" row that step alone.', '',
        *table, '',
        f'Machine: {cpu_model()}, {os.cpu_count()} cores shared with other '
        f'jobs (load average {os.getloadavg()[0]:.1f} at the end of the '
        'run, so single times vary), Python '
        f'{platform.python_version()}, numpy {np.__version__}, scipy '
        f'{scipy.__version__}, one thread.', '',
        'Command: `OMP_NUM_THREADS=1 python tools/benchmark_density_large.py '
        '--write-doc`', ''
    ])
    path = 'docs/benchmarks.md'
    old = open(path).read() if osp.isfile(path) else '# Benchmarks\n'
    start = old.find(DOC_SECTION)
    if start < 0:
        new = old.rstrip('\n') + '\n\n' + text
    else:
        end = old.find('\n## ', start + len(DOC_SECTION))
        new = old[:start] + text + (old[end + 1:] if end >= 0 else '')
    with open(path, 'w') as f:
        f.write(new.rstrip('\n') + '\n')
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
