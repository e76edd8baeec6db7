"""The summary of a budget comparison: ``metrics.json`` and ``results.md``."""
import json
import os
import os.path as osp

SUMMARY_FILE = 'metrics.json'
TABLE_FILE = 'results.md'

#: Columns of the Markdown table: (header, key in a run's result).
COLUMNS = (('config', 'name'), ('MAE', 'MAE'), ('MSE', 'MSE'),
           ('iterations', 'iters'), ('batch', 'batch'), ('crop', 'crop'),
           ('train s', 'train_seconds'), ('total s', 'wall_seconds'),
           ('train images/s', 'train_images_per_s'))


def format_cell(key, value):
    """One table cell: metrics with 2 decimals, seconds and rates with 1."""
    if value is None:
        return '-'
    if key == 'crop':
        return 'x'.join(str(int(v)) for v in value)
    if key in ('MAE', 'MSE'):
        return f'{value:.2f}'
    if key in ('train_seconds', 'wall_seconds', 'train_images_per_s'):
        return f'{value:.1f}'
    return str(value)


def markdown_table(results):
    """The comparison as a Markdown table, one row per run.

    Args:
        results (list[dict]): Run results (:func:`read_run`); a failed run
            gets ``failed`` in its metric cells.

    Returns:
        list[str]: The table's lines.
    """
    lines = ['| ' + ' | '.join(h for h, _ in COLUMNS) + ' |',
             '|---|' + '---:|' * (len(COLUMNS) - 1)]
    for r in results:
        if r.get('status') == 'failed':
            cells = [r['name']] + ['failed'] * 2 + ['-'] * (len(COLUMNS) - 3)
        else:
            cells = [format_cell(k, r.get(k)) for _, k in COLUMNS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return lines


def write_summary(out_dir, settings, results, command=None, preset=None):
    """Write ``<out_dir>/metrics.json`` and ``<out_dir>/results.md``.

    Args:
        out_dir (str): The comparison's folder.
        settings (BudgetSettings): The shared settings.
        results (list[dict]): Run results, in order.
        command (str, optional): The command line, recorded in both files.
        preset (str, optional): The data preset, recorded in both files.

    Returns:
        tuple[str, str]: The two paths.
    """
    os.makedirs(out_dir, exist_ok=True)
    summary = dict(settings=settings.to_dict(), preset=preset,
                   command=command, runs=results)
    json_path = osp.join(out_dir, SUMMARY_FILE)
    with open(json_path, 'w') as f:
        json.dump(summary, f, indent=1)

    s = settings
    devices = sorted({r['device'] for r in results if r.get('device')})
    lines = ['# Budget comparison', '']
    if command:
        lines += ['```shell', command, '```', '']
    data = preset or "the configs' own datasets"
    lines += [
        f'Data preset: {data}. Every run: '
        f'{s.iters} iterations, batch {s.batch}, crop '
        f'{s.crop[0]}x{s.crop[1]}, seed {s.seed}'
        f'{", bf16 autocast" if s.amp else ""}'
        f'{", VGG-16 from scratch with batch norm" if s.scratch else ""}; '
        f'device {", ".join(devices) or s.device}. MSE is the root of the '
        'mean squared count error (eq. 11); "train s" is the wall-clock time '
        'of the training iterations, "total s" that of the whole run '
        '(building, decoding, training, validation).', ''
    ]
    lines += markdown_table(results)
    failed = [r for r in results if r.get('status') == 'failed']
    if failed:
        lines += [''] + [f'- {r["name"]} failed: {r["error"]}'
                         for r in failed]
    md_path = osp.join(out_dir, TABLE_FILE)
    with open(md_path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return json_path, md_path
