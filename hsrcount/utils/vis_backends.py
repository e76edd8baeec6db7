"""Extra places a training run writes its scalars to (``--vis-backend``).

MMEngine's visualizer writes through a list of backends; the configs name
``LocalVisBackend`` (``<work_dir>/<timestamp>/vis_data/scalars.json``,
which ``tools/analysis_tools/analyze_logs.py`` reads). :func:`add_vis_backend`
adds one of MMEngine's own backends beside it.
"""
from typing import Dict

#: ``--vis-backend`` name -> (MMEngine backend type, module it needs, the
#: pip extra that installs it).
VIS_BACKENDS: Dict[str, tuple] = {
    'tensorboard': ('TensorboardVisBackend', 'torch.utils.tensorboard',
                    'tensorboard'),
}


def add_vis_backend(cfg, name: str) -> dict:
    """Add a visualization backend to a config's visualizer, keeping the
    backends it has (``LocalVisBackend`` stays).

    Args:
        cfg (Config): A training config with a ``visualizer``.
        name (str): A key of :data:`VIS_BACKENDS`, e.g. ``'tensorboard'``.

    Returns:
        dict: The backend's config as added (or as already present).

    Raises:
        ValueError: Unknown name, or the config has no visualizer.
        ImportError: The package the backend writes with is not installed;
            the message says what to install.
    """
    if name not in VIS_BACKENDS:
        raise ValueError(f'unknown vis backend {name!r}; choose from '
                         f'{sorted(VIS_BACKENDS)}')
    backend_type, module, extra = VIS_BACKENDS[name]
    try:
        __import__(module)
    except ImportError as err:
        # torch.utils.tensorboard imports the tensorboard package.
        raise ImportError(
            f'--vis-backend {name} needs the {extra} package, which is not '
            f'installed ({err}): pip install "hsrcount[{extra}]" (or pip '
            f'install {extra})') from err
    visualizer = cfg.get('visualizer')
    if not isinstance(visualizer, dict):
        raise ValueError('--vis-backend: the config has no visualizer to '
                         'add a backend to')
    backends = list(visualizer.get('vis_backends') or [])
    for backend in backends:
        if backend.get('type') == backend_type:
            return backend
    added = dict(type=backend_type)
    backends.append(added)
    visualizer['vis_backends'] = backends
    return added
