"""Loading configs with ``--cfg-options`` that cannot silently miss."""
import os.path as osp
from difflib import get_close_matches

from mmengine.config import Config


class ConfigKeyError(KeyError):
    """An override that names no key of the config."""

    def __str__(self):  # KeyError would print the message quoted.
        return self.args[0]


def _child(node, key):
    if isinstance(node, (list, tuple)):
        if key.isdigit() and int(key) < len(node):
            return node[int(key)]
        return None
    return node.get(key) if isinstance(node, dict) else None


def check_cfg_options(cfg, options):
    """Reject ``--cfg-options`` keys that name nothing in the config.

    Every part of a dotted key but the last must exist. The last may be new
    only inside a dict that has a ``type`` (it becomes a keyword argument that
    the built class checks itself); anywhere else a new key would be ignored
    silently, so it is an error.

    Args:
        cfg (Config): The loaded config.
        options (dict): ``{'a.b.c': value}`` as parsed by ``DictAction``.

    Raises:
        ConfigKeyError: Naming the key, the part that is missing and close matches.
    """
    for full_key in options:
        node, parts = cfg._cfg_dict, full_key.split('.')
        for depth, part in enumerate(parts):
            child = _child(node, part)
            is_leaf = depth == len(parts) - 1
            if child is not None or (is_leaf and isinstance(node, dict)
                                     and part in node):
                node = child
                continue
            if is_leaf and isinstance(node, dict) and 'type' in node:
                break
            where = '.'.join(parts[:depth]) or 'the config'
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
