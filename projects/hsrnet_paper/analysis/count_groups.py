"""Figure 6 of the paper: mean counts of models on density-level groups.

The test set is split into groups by GT count: images are sorted by GT
count (ties by image path, so the split is deterministic) and cut into
``n`` consecutive groups of equal size; when ``n`` does not divide the
number of images the first ``len % n`` groups hold one image more
(``numpy.array_split``). Group 1 is the sparsest.
"""
import os
import os.path as osp
from collections import OrderedDict

import matplotlib
import numpy as np

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from hsrcount.evaluation.metrics.count_dump import read_counts  # noqa: E402

#: Two GT counts of one image from two files may differ by this much.
GT_TOLERANCE = 1e-3


def load_model_counts(files):
    """Read each model's ``--out`` file and check they cover the same images.

    Args:
        files (dict[str, str]): ``{model name: counts file}`` (.json/.csv,
            as written by ``tools/test.py --out``).

    Returns:
        tuple: ``gt`` (dict img_path -> GT count) and ``preds``
        (OrderedDict model -> dict img_path -> predicted count).

    Raises:
        ValueError: If a file lists an image twice, the files list different
            images, or they disagree on an image's GT count.
    """
    if not files:
        raise ValueError('no model counts file given')
    gt, preds, first = None, OrderedDict(), None
    for name, path in files.items():
        records = read_counts(path)
        counts = {}
        for r in records:
            if r['img_path'] in counts:
                raise ValueError(f'{path}: image {r["img_path"]} is listed '
                                 f'twice')
            counts[r['img_path']] = (r['gt_count'], r['pred_count'])
        if gt is None:
            gt, first = {k: v[0] for k, v in counts.items()}, path
        else:
            only_here = sorted(set(counts) - set(gt))
            only_first = sorted(set(gt) - set(counts))
            if only_here or only_first:
                raise ValueError(
                    f'{path} and {first} list different images: '
                    f'{len(only_here)} only in {path} (e.g. '
                    f'{only_here[:3]}), {len(only_first)} only in {first} '
                    f'(e.g. {only_first[:3]})')
            for img, (g, _) in counts.items():
                if abs(g - gt[img]) > GT_TOLERANCE:
                    raise ValueError(f'{path} and {first} disagree on the GT '
                                     f'count of {img}: {g} vs {gt[img]}')
        preds[name] = {k: v[1] for k, v in counts.items()}
    if not gt:
        raise ValueError(f'{first}: no images')
    return gt, preds


def group_by_count(gt, preds, num_groups=5):
    """Split images into groups by GT count and average each group.

    Args:
        gt (dict[str, float]): GT count per image.
        preds (dict[str, dict[str, float]]): Per model, count per image.
        num_groups (int): Number of groups. Defaults to 5.

    Returns:
        list[dict]: Per group, sparsest first: ``images`` (paths),
        ``gt_min``, ``gt_max``, ``gt_mean`` and ``pred_mean`` (dict model ->
        mean estimate), ``mae`` (dict model -> MAE inside the group).

    Raises:
        ValueError: If there are fewer images than groups.
    """
    if num_groups < 1:
        raise ValueError(f'num_groups must be >= 1, got {num_groups}')
    if len(gt) < num_groups:
        raise ValueError(f'{len(gt)} images cannot fill {num_groups} groups')
    order = sorted(gt, key=lambda img: (gt[img], img))
    groups = []
    for images in np.array_split(np.array(order, dtype=object), num_groups):
        images = list(images)
        g = np.array([gt[i] for i in images])
        group = dict(images=images, gt_min=float(g.min()),
                     gt_max=float(g.max()), gt_mean=float(g.mean()),
                     pred_mean={}, mae={})
        for name, counts in preds.items():
            p = np.array([counts[i] for i in images])
            group['pred_mean'][name] = float(p.mean())
            group['mae'][name] = float(np.abs(p - g).mean())
        groups.append(group)
    return groups


def groups_markdown(groups, precision=1):
    """The numbers of :func:`group_by_count` as a Markdown table.

    Args:
        groups (list[dict]): From :func:`group_by_count`.
        precision (int): Decimals. Defaults to 1.

    Returns:
        str: One row per group: images, GT range, mean GT, and per model
        the mean estimate and the group's MAE.
    """
    models = list(groups[0]['pred_mean'])
    header = ['Group', 'Images', 'GT range', 'Mean GT']
    for name in models:
        header += [f'{name} mean', f'{name} MAE']
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---:' for _ in header) + '|']
    f = f'{{:.{precision}f}}'
    for i, g in enumerate(groups, 1):
        cells = [str(i), str(len(g['images'])),
                 f'{f.format(g["gt_min"])}–{f.format(g["gt_max"])}',
                 f.format(g['gt_mean'])]
        for name in models:
            cells += [f.format(g['pred_mean'][name]),
                      f.format(g['mae'][name])]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def plot_count_groups(groups, out_file, title=None):
    """Grouped bars: mean GT and each model's mean estimate per group.

    Args:
        groups (list[dict]): From :func:`group_by_count`.
        out_file (str): Path of the PNG.
        title (str, optional): Figure title.

    Returns:
        OrderedDict[str, list[float]]: Bar heights per series (``'GT'``
        first, then the models), read back from the drawn bars.
    """
    series = OrderedDict(GT=[g['gt_mean'] for g in groups])
    for name in groups[0]['pred_mean']:
        series[name] = [g['pred_mean'][name] for g in groups]
    x = np.arange(len(groups))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(groups), 3.8))
    drawn = OrderedDict()
    for k, (name, heights) in enumerate(series.items()):
        bars = ax.bar(x + (k - (len(series) - 1) / 2) * width, heights,
                      width, label=name)
        drawn[name] = [float(b.get_height()) for b in bars]
    ax.set_xticks(x)
    ax.set_xticklabels([f'{i + 1}\n({g["gt_min"]:.0f}–{g["gt_max"]:.0f})'
                        for i, g in enumerate(groups)])
    ax.set_xlabel('density level (GT count range)')
    ax.set_ylabel('average count')
    ax.grid(axis='y', alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return drawn
