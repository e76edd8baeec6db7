"""Final MAE/MSE of a training run, and ``KEY=WORK_DIR`` run arguments."""
import json
import os.path as osp
import warnings

from projects.hsrnet_paper.analysis.work_dir import load_scalars

#: Name of the file a run may hold at its top level with its final metrics.
METRICS_FILE = 'metrics.json'
METRIC_KEYS = ('MAE', 'MSE')
SELECT_MODES = ('last', 'best')


def parse_run_specs(specs, what='--runs'):
    """Parse ``KEY=PATH`` arguments into an ordered dict.

    Args:
        specs (Sequence[str]): e.g. ``['16=work_dirs/r16', 'sc@A=wd/x']``.
            The key is everything before the first ``=``.
        what (str): The option name used in error messages.

    Returns:
        dict[str, str]: ``{key: path}`` in the given order.

    Raises:
        ValueError: If a spec has no ``=``, an empty side, or a key repeats.
    """
    runs = {}
    for spec in specs:
        key, sep, path = spec.partition('=')
        key, path = key.strip(), path.strip()
        if not sep or not key or not path:
            raise ValueError(f'{what}: expected KEY=PATH, got {spec!r}')
        if key in runs:
            raise ValueError(f'{what}: key {key!r} given twice')
        runs[key] = path
    return runs


def _read_metrics_file(path):
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}: not JSON: {err}') from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected an object with MAE and MSE')
    missing = [k for k in METRIC_KEYS if k not in data]
    if missing:
        raise ValueError(f'{path}: lacks {missing} (has {sorted(data)})')
    return {k: float(data[k]) for k in METRIC_KEYS}


def final_metrics(work_dir, select='last'):
    """The MAE and MSE a training run ended with.

    Precedence: a ``metrics.json`` (``{"MAE": .., "MSE": ..}``) at the top
    of ``work_dir`` wins, because a tool writes it deliberately as the run's
    result; otherwise the validation records of every
    ``<timestamp>/vis_data/scalars.json`` are read (oldest run first) and
    the last one holding both metrics is taken (``select='last'``), or the
    one with the lowest MAE (``select='best'``, the checkpoint
    ``save_best='MAE'`` keeps).

    Args:
        work_dir (str): A training work dir.
        select (str): ``'last'`` or ``'best'``. Defaults to ``'last'``.

    Returns:
        dict: ``MAE`` and ``MSE`` (float), ``step`` (int, or None when read
        from ``metrics.json``) and ``source`` (the file read).

    Raises:
        FileNotFoundError: If ``work_dir`` does not exist or holds neither
            file.
        ValueError: If the files hold no MAE and MSE.
    """
    if select not in SELECT_MODES:
        raise ValueError(f'select must be one of {SELECT_MODES}, got '
                         f'{select!r}')
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'{work_dir}: no such work dir')
    metrics_file = osp.join(work_dir, METRICS_FILE)
    if osp.isfile(metrics_file):
        result = _read_metrics_file(metrics_file)
        return dict(result, step=None, source=metrics_file)
    try:
        _, val = load_scalars(work_dir)
    except FileNotFoundError:
        raise FileNotFoundError(
            f'{work_dir}: neither {METRICS_FILE} nor '
            f'*/vis_data/scalars.json') from None
    records = [r for r in val if all(k in r for k in METRIC_KEYS)]
    if not records:
        raise ValueError(f'{work_dir}: no validation record with both MAE '
                         f'and MSE in */vis_data/scalars.json')
    if select == 'last':
        record = records[-1]
    else:
        record = min(records, key=lambda r: r['MAE'])
    return dict(MAE=float(record['MAE']), MSE=float(record['MSE']),
                step=record.get('step'),
                source=osp.join(work_dir, '*/vis_data/scalars.json'))


def metrics_or_none(work_dir, name, select='last'):
    """:func:`final_metrics`, or None with a warning when the run is absent.

    A run that was not trained (no work dir, no metrics) is expected in a
    partly filled ablation; a file that exists but is broken still raises.

    Args:
        work_dir (str | None): The run's work dir; None means not given.
        name (str): The run's name in the warning.
        select (str): See :func:`final_metrics`.

    Returns:
        dict | None: See :func:`final_metrics`.
    """
    if work_dir is None:
        warnings.warn(f'run {name!r}: no work dir given; left empty')
        return None
    try:
        return final_metrics(work_dir, select)
    except FileNotFoundError as err:
        warnings.warn(f'run {name!r}: {err}; left empty')
        return None
