"""Draw training loss and validation MAE curves from work directories.

Example:
    python tools/analysis_tools/analyze_logs.py work_dirs/a work_dirs/b \
        --out curves.png
"""
import argparse
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from hsrcount.evaluation.work_dir import load_scalars  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Plot loss and MAE curves')
    parser.add_argument('work_dirs', nargs='+', help='training work dirs')
    parser.add_argument('--out', default='curves.png', help='output PNG')
    parser.add_argument('--loss-key', default='loss',
                        help='training scalar to plot')
    parser.add_argument('--metric', default='MAE',
                        help='validation scalar to plot')
    return parser.parse_args()


def plot_curves(work_dirs, out, loss_key='loss', metric='MAE'):
    """Plot ``loss_key`` and ``metric`` against iterations for each run.

    Returns:
        dict: ``{work_dir: (loss points, metric points)}``, each a list of
        ``(iteration, value)`` as plotted.
    """
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(11, 4))
    plotted = {}
    for work_dir in work_dirs:
        train, val = load_scalars(work_dir)
        loss = [(r['step'], r[loss_key]) for r in train if loss_key in r]
        mae = [(r['step'], r[metric]) for r in val if metric in r]
        label = osp.basename(osp.normpath(work_dir))
        if loss:
            ax_loss.plot(*zip(*loss), label=label)
        if mae:
            ax_metric.plot(*zip(*mae), marker='o', label=label)
        plotted[work_dir] = (loss, mae)
    for ax, title in ((ax_loss, f'training {loss_key}'),
                      (ax_metric, f'validation {metric}')):
        ax.set_xlabel('iteration')
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return plotted


def main():
    args = parse_args()
    plot_curves(args.work_dirs, args.out, args.loss_key, args.metric)
    print(f'curves written to {args.out}')


if __name__ == '__main__':
    main()
