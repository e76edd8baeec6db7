"""Train and evaluate the runs of a budget comparison, one process each.

Every run is a child process (``spawn``), so that runs can share one GPU side
by side, a failing run does not take the others down, and no MMEngine
global (message hub, visualizer, default scope) leaks from one run into the
next. Each child builds the real MMEngine Runner from the run's prepared
config, trains it for the budget, validates once at the end and writes
``<run_dir>/metrics.json``.
"""
import json
import math
import multiprocessing
import os
import os.path as osp
import time
import traceback

from hsrcount.utils import atomic_write

#: Files of a run folder.
CONFIG_FILE = 'config.py'
METRICS_FILE = 'metrics.json'
COUNTS_FILE = 'counts.json'
ERROR_FILE = 'error.txt'
PICTURES_DIR = 'vis'


def train_and_evaluate(run_dir, name, settings):
    """Train one prepared run and write its metrics (in this process).

    Args:
        run_dir (str): Holds ``config.py`` (see :func:`save_config`).
        name (str): The run name.
        settings (dict): :meth:`BudgetSettings.to_dict`.

    Returns:
        dict: What ``<run_dir>/metrics.json`` holds.
    """
    wall_start = time.perf_counter()
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    from hsrcount.engine.hooks import CrowdVisualizationHook
    from hsrcount.utils import register_all_modules
    from .hooks import FinalMetricsHook, TrainClockHook

    if settings['device'] == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError(f'{name}: device cuda requested but no GPU')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(run_dir, CONFIG_FILE))
    runner = Runner.from_cfg(cfg)
    cuda = settings['device'] == 'cuda'
    clock, final = TrainClockHook(cuda=cuda), FinalMetricsHook()
    runner.register_hook(clock, 'VERY_HIGH')
    runner.register_hook(final)
    runner.train()
    pictures = [h for h in runner.hooks
                if isinstance(h, CrowdVisualizationHook)]
    pictures = pictures[0].val_files if pictures else []
    train_dataset = runner.train_dataloader.dataset

    metrics = final.metrics or {}
    missing = [k for k in ('MAE', 'MSE') if k not in metrics]
    if missing:
        raise RuntimeError(f'{name}: the final validation reported no '
                           f'{missing} (got {sorted(metrics)})')
    with open(osp.join(run_dir, COUNTS_FILE)) as f:
        num_val = len(json.load(f))
    result = dict(
        name=name,
        MAE=float(metrics['MAE']),
        MSE=float(metrics['MSE']),
        iters=clock.iters,
        batch=int(cfg.train_dataloader.batch_size),
        crop=list(settings['crop']),
        train_images=clock.images,
        train_seconds=clock.seconds,
        train_images_per_s=clock.images / clock.seconds,
        wall_seconds=time.perf_counter() - wall_start,
        num_val_images=num_val,
        images_cached=getattr(train_dataset, 'num_cached', 0),
        device=(torch.cuda.get_device_name() if cuda else 'cpu'),
        pictures=[osp.relpath(p, run_dir) for p in pictures],
        settings=settings)
    for key, value in metrics.items():
        if key not in result and isinstance(value, (int, float)):
            result[key] = float(value)
    atomic_write(json.dumps(result, indent=1),
                 osp.join(run_dir, METRICS_FILE))
    return result


def _child(run_dir, name, settings, threads):
    """Entry point of a run's process: train, or leave ``error.txt``."""
    try:
        if threads:
            import torch
            torch.set_num_threads(threads)
        train_and_evaluate(run_dir, name, settings)
    except BaseException:
        with open(osp.join(run_dir, ERROR_FILE), 'w') as f:
            f.write(traceback.format_exc())
        raise


def save_config(cfg, run_dir):
    """Write a prepared config to ``<run_dir>/config.py``."""
    os.makedirs(run_dir, exist_ok=True)
    for stale in (METRICS_FILE, ERROR_FILE, COUNTS_FILE):
        if osp.exists(osp.join(run_dir, stale)):
            os.remove(osp.join(run_dir, stale))
    cfg.dump(osp.join(run_dir, CONFIG_FILE))


def read_run(run_dir, name, exitcode=None):
    """What a finished child left: its metrics, or its error.

    Args:
        run_dir (str): The run's folder.
        name (str): The run name.
        exitcode (int, optional): The child's exit code, named in the error
            when it left no report.

    Returns:
        dict: The metrics of :func:`train_and_evaluate`, or ``name``,
        ``status='failed'`` and ``error`` (the traceback's last line).
    """
    path = osp.join(run_dir, METRICS_FILE)
    if osp.isfile(path):
        with open(path) as f:
            result = json.load(f)
        if all(math.isfinite(result[k]) for k in ('MAE', 'MSE')):
            return dict(result, status='ok')
        return dict(result, status='failed', error='MAE or MSE not finite')
    error = 'the process ended without metrics or an error report'
    if exitcode is not None:
        error += f' (exit code {exitcode})'
    err_path = osp.join(run_dir, ERROR_FILE)
    if osp.isfile(err_path):
        with open(err_path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        error = lines[-1] if lines else error
    return dict(name=name, status='failed', error=error)


def launch_runs(runs, settings, parallel, threads_per_run=None):
    """Run prepared runs in child processes and collect their results.

    Args:
        runs (list[tuple[str, str]]): ``(name, run_dir)`` with a saved
            config in each run dir.
        settings (BudgetSettings): The shared settings.
        parallel (bool): Start all runs at once (side by side on one GPU)
            instead of one after another.
        threads_per_run (int, optional): ``torch.set_num_threads`` in each
            child.

    Returns:
        list[dict]: :func:`read_run` per run, in order.
    """
    env_cuda = os.environ.get('CUDA_VISIBLE_DEVICES')
    if settings.device == 'cpu':
        # Children inherit it: MMEngine's Runner takes any GPU it sees.
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    ctx = multiprocessing.get_context('spawn')
    try:
        procs = []
        for name, run_dir in runs:
            proc = ctx.Process(
                target=_child, name=f'budget-{name}',
                args=(run_dir, name, settings.to_dict(), threads_per_run))
            proc.start()
            if not parallel:
                proc.join()
            procs.append(proc)
        for proc in procs:
            proc.join()
    finally:
        if settings.device == 'cpu':
            if env_cuda is None:
                os.environ.pop('CUDA_VISIBLE_DEVICES', None)
            else:
                os.environ['CUDA_VISIBLE_DEVICES'] = env_cuda
    return [read_run(run_dir, name, proc.exitcode)
            for (name, run_dir), proc in zip(runs, procs)]
