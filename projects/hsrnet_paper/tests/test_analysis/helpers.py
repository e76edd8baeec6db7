"""Fake work dirs and counts files for the analysis tests."""
import json
import os


def write_work_dir(work_dir, val_records, timestamp='20260101_000000',
                   train_records=({'loss': 1.0, 'lr': 1e-4, 'step': 10}, )):
    """Write ``<work_dir>/<timestamp>/vis_data/scalars.json`` as MMEngine.

    Args:
        work_dir (Path): The work dir (created).
        val_records (Sequence[dict]): Validation lines, e.g.
            ``{'MAE': 3.0, 'MSE': 4.0, 'step': 100}``.
        timestamp (str): Name of the run folder.
        train_records (Sequence[dict]): Training lines.

    Returns:
        str: The work dir.
    """
    vis = work_dir / timestamp / 'vis_data'
    vis.mkdir(parents=True, exist_ok=True)
    with open(vis / 'scalars.json', 'a') as f:
        for record in list(train_records) + list(val_records):
            f.write(json.dumps(record) + '\n')
    return str(work_dir)


def write_metrics_json(work_dir, mae, mse):
    os.makedirs(work_dir, exist_ok=True)
    with open(work_dir / 'metrics.json', 'w') as f:
        json.dump({'MAE': mae, 'MSE': mse}, f)
    return str(work_dir)


def load_tool(name):
    """The module ``projects/hsrnet_paper/tools/<name>.py``."""
    import importlib
    return importlib.import_module(f'projects.hsrnet_paper.tools.{name}')
