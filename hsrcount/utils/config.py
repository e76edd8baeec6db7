"""Loading configs with ``--cfg-options`` that cannot silently miss."""
import inspect
import os.path as osp
from difflib import get_close_matches

import torch
from mmengine.config import Config
from mmengine.runner import set_random_seed
from torch.utils.data import DataLoader


class ConfigKeyError(KeyError):
    """An override that names no key of the config."""

    def __str__(self):  # KeyError would print the message quoted.
        return self.args[0]


# Top-level keys MMEngine's Runner reads that configs often leave out.
RUNNER_KEYS = ('compile', 'find_unused_parameters', 'custom_imports',
               'auto_scale_lr', 'experiment_name', 'model_wrapper_cfg',
               'work_dir', 'load_from', 'resume', 'randomness', 'env_cfg',
               'log_level', 'cfg', 'load_from_strict')


def _child(node, key):
    if isinstance(node, (list, tuple)):
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
        return None
    return node.get(key) if isinstance(node, dict) else None


def _keyword_names(func):
    return set(inspect.signature(func).parameters)


def _may_add(parts, depth, node):
    """Whether a new key ``parts[depth]`` may be added to ``node``: inside a
    typed dict (its class checks its keyword arguments), a top-level Runner
    key, or a keyword argument of ``DataLoader`` in a dataloader dict or of
    ``set_random_seed`` in ``randomness``."""
    if not isinstance(node, dict):
        return False
    if 'type' in node:
        return True
    key = parts[depth]
    if depth == 0:
        return key in RUNNER_KEYS
    if depth == 1 and parts[0].endswith('_dataloader'):
        return key in _keyword_names(DataLoader)
    if depth == 1 and parts[0] == 'randomness':
        return key in _keyword_names(set_random_seed)
    return False


def check_cfg_options(cfg, options):
    """Reject ``--cfg-options`` keys that name nothing in the config.

    Every part of a dotted key but the last must exist and must not be None.
    The last may be new only where something checks it (see
    :func:`_may_add`): inside a dict with a ``type`` (a keyword argument of
    the built class), a top-level key the Runner reads (:data:`RUNNER_KEYS`),
    or a keyword argument of a dataloader or of ``randomness``. Anywhere else
    a new key would be ignored silently, so it is an error.

    Args:
        cfg (Config): The loaded config.
        options (dict): ``{'a.b.c': value}`` as parsed by ``DictAction``.

    Raises:
        ConfigKeyError: Naming the key, the part that is missing and close
            matches.
    """
    for full_key in options:
        node, parts = cfg._cfg_dict, full_key.split('.')
        for depth, part in enumerate(parts):
            child = _child(node, part)
            is_leaf = depth == len(parts) - 1
            where = '.'.join(parts[:depth]) or 'the config'
            if child is not None or (is_leaf and isinstance(node, dict)
                                     and part in node):
                node = child
                continue
            if is_leaf and _may_add(parts, depth, node):
                break
            if isinstance(node, dict) and part in node:
                raise ConfigKeyError(
                    f'--cfg-options {full_key}: '
                    f'{".".join(parts[:depth + 1])} is None in this config, '
                    f'so there is nothing to set inside it; set the whole '
                    f'{part} instead.')
            known = list(node.keys()) if isinstance(node, dict) else []
            close = get_close_matches(part, known, n=3)
            hint = f' Did you mean {", ".join(close)}?' if close else ''
            raise ConfigKeyError(
                f'--cfg-options {full_key}: {where} has no key {part!r}.'
                f'{hint}')


def load_config(path, cfg_options=None):
    """Read a config file and apply ``--cfg-options`` strictly.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): Overrides, ``{'a.b': value}``.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(path)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def load_tool_config(args):
    """The config of a tool run: overrides, launcher and work dir applied.

    Args:
        args (argparse.Namespace): With ``config``, ``cfg_options``,
            ``launcher`` and ``work_dir`` (None for the config's own, or
            ``work_dirs/<config name>``).

    Returns:
        Config: The merged config.
    """
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


#: Optimizer wrappers ``--amp`` may replace: the plain one and the AMP ones.
AMP_WRAPPERS = ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper')


def enable_amp(cfg, device=None):
    """Train in bfloat16 mixed precision (``--amp``), on a GPU or the CPU.

    On a GPU the optimizer wrapper becomes MMEngine's ``AmpOptimWrapper``
    in bfloat16; on the CPU, where that one refuses to run, hsrcount's
    :class:`~hsrcount.engine.optim_wrappers.CPUAmpOptimWrapper` (bfloat16
    autocast, no loss scaler). The weights, gradients and optimizer state
    stay float32 either way.

    Args:
        cfg (Config): A training config whose ``optim_wrapper`` is a plain
            ``OptimWrapper`` (or already one of :data:`AMP_WRAPPERS`).
        device (str, optional): Where training runs; default CUDA when it
            is available, else CPU.

    Raises:
        ValueError: If the config uses another optimizer wrapper.
    """
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in AMP_WRAPPERS:
        raise ValueError(f'--amp needs optim_wrapper.type=OptimWrapper, the '
                         f'config has {wrapper}')
    if str(device).startswith('cpu'):
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        cfg.optim_wrapper.pop('use_fsdp', None)
        cfg.optim_wrapper.dtype = 'bfloat16'
    else:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('dtype', 'bfloat16')
