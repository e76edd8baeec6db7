"""Distributed start-up that works on machines without CUDA."""
import datetime

import torch
import torch.distributed as dist


def init_cpu_distributed(cfg):
    """Make ``--launcher pytorch`` work on a machine without CUDA.

    MMEngine 0.10.7 assumes a GPU per process: its ``init_dist`` calls
    ``torch.cuda.set_device`` whatever the backend, and its DDP wrapper gets
    ``device_ids=[LOCAL_RANK]``, which DDP refuses for a CPU model. So this
    starts the gloo process group itself (the Runner then skips
    ``init_dist``) and, unless the config sets ``model_wrapper_cfg``, wraps
    the model with ``device_ids=None``. Does nothing with CUDA or for other
    launchers.

    Args:
        cfg (Config): The run's config, with ``launcher`` set.

    Raises:
        RuntimeError: If the config asks for a backend other than gloo on a
            machine without CUDA.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if dist.is_initialized():
        return
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.pop('backend', 'gloo')
    if backend != 'gloo':
        raise RuntimeError(
            f'distributed run without CUDA needs the gloo backend, the '
            f'config has {backend!r}: add --cfg-options '
            f'env_cfg.dist_cfg.backend=gloo')
    if 'timeout' in dist_cfg:  # seconds, as MMEngine's init_dist takes it
        dist_cfg['timeout'] = datetime.timedelta(seconds=dist_cfg['timeout'])
    dist.init_process_group(backend='gloo', **dist_cfg)
