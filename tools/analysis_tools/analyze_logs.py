"""Draw training loss and validation MAE curves from work directories.

MMEngine writes one ``<timestamp>/vis_data/scalars.json`` per run into a
work dir (running ``make demo`` twice leaves two). By default the latest run
of each work dir is drawn; ``--all-runs`` draws every run as its own line.

Example:
    python tools/analysis_tools/analyze_logs.py work_dirs/a work_dirs/b \
        --out curves.png
    python tools/analysis_tools/analyze_logs.py work_dirs/demo --all-runs
"""
import argparse
import glob
import json
import os.path as osp

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Plot loss and MAE curves')
    parser.add_argument('work_dirs', nargs='+', help='training work dirs')
    parser.add_argument('--out', default='curves.png', help='output PNG')
    parser.add_argument('--loss-key', default='loss',
                        help='training scalar to plot')
    parser.add_argument('--metric', default='MAE',
                        help='validation scalar to plot')
    parser.add_argument('--all-runs', action='store_true',
                        help='draw every run of a work dir, not only the '
                        'latest')
    return parser.parse_args(argv)


def run_scalar_files(work_dir):
    """The ``<timestamp>/vis_data/scalars.json`` files of a work dir.

    Returns:
        list[str]: Oldest run first (timestamps sort in time order).

    Raises:
        FileNotFoundError: If the work dir holds none.
    """
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'{work_dir}: no */vis_data/scalars.json (is it a training work '
            f'dir with a LocalVisBackend?)')
    return files


def read_scalars(path):
    """Training and validation records of one run's ``scalars.json``.

    Returns:
        tuple[list[dict], list[dict]]: Training records (they hold ``lr``
        or ``loss``) and validation records, each with its ``step``.
    """
    train, val = [], []
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(
                    f'{path}:{line_no}: not JSON: {err}') from None
            (train if 'lr' in record or 'loss' in record else
             val).append(record)
    return train, val


def plot_curves(work_dirs, out, loss_key='loss', metric='MAE',
                all_runs=False):
    """Plot ``loss_key`` and ``metric`` against iterations, a line per run.

    Args:
        work_dirs (Sequence[str]): Training work dirs.
        out (str): The PNG to write.
        loss_key (str): Training scalar. Defaults to 'loss'.
        metric (str): Validation scalar. Defaults to 'MAE'.
        all_runs (bool): Every run of each work dir instead of its latest.

    Returns:
        dict: ``{label: (loss points, metric points)}``, each a list of
        ``(iteration, value)`` as plotted; the label is the work dir's
        name, followed by the run's timestamp with ``all_runs``.
    """
    fig = Figure(figsize=(11, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax_loss, ax_metric = fig.subplots(1, 2)
    plotted = {}
    for work_dir in work_dirs:
        files = run_scalar_files(work_dir)
        for path in files if all_runs else files[-1:]:
            train, val = read_scalars(path)
            loss = [(r['step'], r[loss_key]) for r in train if loss_key in r]
            mae = [(r['step'], r[metric]) for r in val if metric in r]
            label = osp.basename(osp.normpath(work_dir))
            if all_runs:
                label += ' ' + osp.basename(osp.dirname(osp.dirname(path)))
            if loss:
                ax_loss.plot(*zip(*loss), label=label)
            if mae:
                ax_metric.plot(*zip(*mae), marker='o', label=label)
            plotted[label] = (loss, mae)
    for ax, title in ((ax_loss, f'training {loss_key}'),
                      (ax_metric, f'validation {metric}')):
        ax.set_xlabel('iteration')
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    return plotted


def main(argv=None):
    args = parse_args(argv)
    plot_curves(args.work_dirs, args.out, args.loss_key, args.metric,
                args.all_runs)
    print(f'curves written to {args.out}')


if __name__ == '__main__':
    main()
