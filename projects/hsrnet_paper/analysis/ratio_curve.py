"""Figure 4 of the paper: MAE and MSE against the channel-focus ratio r."""
import math
from collections import OrderedDict

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from projects.hsrnet_paper.analysis.run_results import \
    metrics_or_none  # noqa: E402


def parse_ratio_key(key):
    """Split a run key ``'r'`` or ``'r@series'`` into ``(r, series)``.

    Args:
        key (str): e.g. ``'64'`` or ``'64@Part A'``.

    Returns:
        tuple[int, str | None]: The ratio (a positive integer) and the
        series name (None when absent).

    Raises:
        ValueError: If the ratio is not a positive integer.
    """
    ratio, _, series = key.partition('@')
    try:
        r = int(ratio)
    except ValueError:
        r = 0
    if r < 1:
        raise ValueError(f'run key {key!r}: the ratio r must be a positive '
                         f'integer (optionally followed by @series)')
    return r, series or None


def collect_ratio_points(runs, select='last'):
    """Read each run's final MAE and MSE, grouped into series by r.

    Args:
        runs (dict[str, str]): ``{'r' or 'r@series': work dir}``. Runs
            without a series form one unnamed series.
        select (str): ``'last'`` or ``'best'`` validation record.

    Returns:
        OrderedDict[str | None, list[tuple]]: Per series, ``(r, MAE, MSE)``
        sorted by r. A run without results is left out with a warning.

    Raises:
        ValueError: If a key is malformed or an (r, series) repeats, or no
            run has results.
    """
    series = OrderedDict()
    for key, work_dir in runs.items():
        r, name = parse_ratio_key(key)
        points = series.setdefault(name, [])
        if any(p[0] == r for p in points):
            raise ValueError(f'ratio {r} given twice for series {name!r}')
        m = metrics_or_none(work_dir, key, select)
        if m is not None:
            points.append((r, m['MAE'], m['MSE']))
    for name in list(series):
        series[name].sort()
        if not series[name]:
            del series[name]
    if not series:
        raise ValueError('no run has results: nothing to plot')
    return series


def plot_ratio_curves(series, out_file, title=None):
    """Draw MAE and MSE (two panels) against r on a log2 axis.

    Args:
        series (dict): From :func:`collect_ratio_points`.
        out_file (str): Path of the PNG.
        title (str, optional): Figure title.

    Returns:
        dict: Per series (key as in ``series``), ``x`` (the ratios), ``MAE``
        and ``MSE`` (lists of the plotted y values).
    """
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    drawn = {}
    ratios = sorted({p[0] for pts in series.values() for p in pts})
    for name, points in series.items():
        x = [p[0] for p in points]
        drawn[name] = dict(x=x)
        for ax, metric, values in zip(axes, ('MAE', 'MSE'),
                                      ([p[1] for p in points],
                                       [p[2] for p in points])):
            line, = ax.plot(x, values, marker='o', label=name or metric)
            # Report what the axes hold, not what was meant to be drawn.
            drawn[name][metric] = [float(v) for v in line.get_ydata()]
    for ax, metric in zip(axes, ('MAE', 'MSE')):
        ax.set_xscale('log', base=2)
        ax.set_xticks(ratios)
        ax.set_xticklabels([str(r) for r in ratios])
        ax.set_xlabel('channel-focus ratio r')
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if any(name is not None for name in series):
            ax.legend()
    if len(ratios) == 1:
        # A single point gives matplotlib no range for a log axis.
        for ax in axes:
            ax.set_xlim(ratios[0] / math.sqrt(2), ratios[0] * math.sqrt(2))
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return drawn
