"""Tables 5 and 6 of the paper (ablations) from the runs' work dirs.

Table 5 (architecture, ShanghaiTech Part A): one row per model, keyed by
the component the row adds. The paper prints the SF row with CF ticked as
well, which makes it identical to the next row; its text says the row
holds SF alone ("The third row and the fourth row verify their respective
significance"), so it is drawn here as Backbone + SRM + SF.

Table 6 (order of the two focuses inside the SFM): one row per SFM mode,
columns Part A and Part B; runs are keyed ``row@A`` and ``row@B``.
"""
from projects.hsrnet_paper.analysis.run_results import metrics_or_none

CHECK, CROSS, MISSING = '✓', '×', '—'

#: Table 5: ``(key, ticks of Backbone, SRM, CF, SF, SC)``.
TABLE5_COMPONENTS = ('Backbone', 'SRM', 'CF', 'SF', 'SC')
TABLE5_ROWS = (
    ('backbone', (1, 0, 0, 0, 0)),
    ('srm', (1, 1, 0, 0, 0)),
    ('cf', (1, 1, 1, 0, 0)),
    ('sf', (1, 1, 0, 1, 0)),
    ('sfm', (1, 1, 1, 1, 0)),
    ('sc', (1, 1, 1, 1, 1)),
)

#: Table 6: ``(key = ScaleFocusModule mode, label as in the paper)``.
TABLE6_ROWS = (
    ('spatial_channel', 'Spatial+Channel'),
    ('channel_spatial', 'Channel+Spatial'),
    ('parallel_average', '(Channel ⊕ Spatial) + average'),
    ('parallel_conv', '(Channel ⊕ Spatial) + Conv'),
)
TABLE6_DATASETS = (('A', 'Part A'), ('B', 'Part B'))


def _check_keys(runs, valid, table):
    unknown = [k for k in runs if k not in valid]
    if unknown:
        raise ValueError(f'Table {table}: unknown run key(s) {unknown}; '
                         f'valid keys are {list(valid)}')


def collect_table5(runs, select='last'):
    """The rows of Table 5 with the runs' MAE and MSE.

    Args:
        runs (dict[str, str]): ``{row key: work dir}``; keys from
            :data:`TABLE5_ROWS`. Rows without a run are kept, empty.
        select (str): ``'last'`` or ``'best'`` validation record.

    Returns:
        list[dict]: Per row: ``key``, ``ticks`` (tuple of 5 bools),
        ``MAE`` and ``MSE`` (float or None).

    Raises:
        ValueError: If a key names no row.
    """
    _check_keys(runs, [k for k, _ in TABLE5_ROWS], 5)
    rows = []
    for key, ticks in TABLE5_ROWS:
        m = metrics_or_none(runs.get(key), key, select)
        rows.append(dict(key=key, ticks=tuple(bool(t) for t in ticks),
                         MAE=m and m['MAE'], MSE=m and m['MSE']))
    return rows


def collect_table6(runs, select='last'):
    """The rows of Table 6 with each run's MAE and MSE per dataset.

    Args:
        runs (dict[str, str]): ``{'<row>@<A|B>': work dir}``; rows from
            :data:`TABLE6_ROWS`.
        select (str): ``'last'`` or ``'best'`` validation record.

    Returns:
        list[dict]: Per row: ``key``, ``label`` and ``A``/``B``, each a
        dict with ``MAE`` and ``MSE`` (float or None).

    Raises:
        ValueError: If a key is not ``row@A`` or ``row@B`` of a known row.
    """
    valid = [f'{k}@{d}' for k, _ in TABLE6_ROWS for d, _ in TABLE6_DATASETS]
    _check_keys(runs, valid, 6)
    rows = []
    for key, label in TABLE6_ROWS:
        row = dict(key=key, label=label)
        for dataset, _ in TABLE6_DATASETS:
            name = f'{key}@{dataset}'
            m = metrics_or_none(runs.get(name), name, select)
            row[dataset] = dict(MAE=m and m['MAE'], MSE=m and m['MSE'])
        rows.append(row)
    return rows


def _column_best(values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _cell(value, best, precision):
    if value is None:
        return MISSING
    text = f'{value:.{precision}f}'
    # Like the paper, the lowest error of a column is bold.
    return f'**{text}**' if value == best else text


def _markdown(header, body):
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join(':---:' for _ in header) + '|']
    lines += ['| ' + ' | '.join(cells) + ' |' for cells in body]
    return '\n'.join(lines) + '\n'


def table5_markdown(rows, precision=2):
    """Table 5 as Markdown: Backbone, SRM, CF, SF, SC, MAE, MSE.

    Args:
        rows (list[dict]): From :func:`collect_table5`.
        precision (int): Decimals of MAE and MSE. Defaults to 2.

    Returns:
        str: The table; a missing value is ``—``, the best of a column bold.
    """
    best = {m: _column_best([r[m] for r in rows]) for m in ('MAE', 'MSE')}
    body = [[CHECK if t else CROSS for t in r['ticks']] +
            [_cell(r[m], best[m], precision) for m in ('MAE', 'MSE')]
            for r in rows]
    return _markdown(list(TABLE5_COMPONENTS) + ['MAE', 'MSE'], body)


def table6_markdown(rows, precision=2):
    """Table 6 as Markdown: sequence, Part A MAE/MSE, Part B MAE/MSE.

    Args:
        rows (list[dict]): From :func:`collect_table6`.
        precision (int): Decimals of MAE and MSE. Defaults to 2.

    Returns:
        str: The table; a missing value is ``—``, the best of a column bold.
    """
    cols = [(d, m) for d, _ in TABLE6_DATASETS for m in ('MAE', 'MSE')]
    best = {c: _column_best([r[c[0]][c[1]] for r in rows]) for c in cols}
    names = dict(TABLE6_DATASETS)
    header = ['Sequence inside the SFM'] + [f'{names[d]} {m}'
                                            for d, m in cols]
    body = [[r['label']] +
            [_cell(r[d][m], best[(d, m)], precision) for d, m in cols]
            for r in rows]
    return _markdown(header, body)
