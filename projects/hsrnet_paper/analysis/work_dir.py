"""Read what MMEngine's Runner leaves in a work directory."""
import glob
import json
import os.path as osp


def load_scalars(work_dir):
    """Read every run's ``vis_data/scalars.json`` under ``work_dir``.

    MMEngine writes one ``<timestamp>/vis_data/scalars.json`` per run (a
    resumed run adds a new timestamp); they are read oldest first. Training
    lines hold the loss terms and ``lr``; validation lines hold the metrics.

    Args:
        work_dir (str): A training work dir.

    Returns:
        tuple[list[dict], list[dict]]: Training records and validation
        records, each with a ``step`` (the iteration).

    Raises:
        FileNotFoundError: If the work dir holds no scalars file.
    """
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(
            f'{work_dir}: no */vis_data/scalars.json (is it a training work '
            f'dir with a LocalVisBackend?)')
    train, val = [], []
    for path in files:
        with open(path) as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{path}:{line_no}: not JSON: {err}')
                (train if 'lr' in record or 'loss' in record else
                 val).append(record)
    return train, val
