"""Print the parameter count of a model config, total and per sub-module.

Usage::

    python tools/analysis_tools/count_params.py \
        configs/hsrnet/hsrnet_shtech_a.py
    python tools/analysis_tools/count_params.py hsrnet_shtech_a --depth 2

A bare name is looked up as ``configs/**/NAME.py``.
"""
import argparse
import glob
import os.path as osp
import sys

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def resolve_config(name_or_path, config_root=osp.join(REPO_ROOT, 'configs')):
    """A config file path from a path or a bare config name.

    Args:
        name_or_path (str): A file, or a name such as ``hsrnet_shtech_a``.
        config_root (str): Where names are searched.

    Returns:
        str: The config file.

    Raises:
        FileNotFoundError: Naming what was tried.
    """
    if osp.isfile(name_or_path):
        return name_or_path
    name = osp.basename(name_or_path)
    name = name if name.endswith('.py') else name + '.py'
    hits = sorted(
        p for p in glob.glob(osp.join(config_root, '**', name),
                             recursive=True) if '_base_' not in p)
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise FileNotFoundError(f'count_params: {name_or_path!r} is not a '
                                f'file and no config {name} is under '
                                f'{config_root}')
    raise FileNotFoundError(f'count_params: {name} is ambiguous: '
                            f'{", ".join(hits)}')


def count_parameters(module, depth=1):
    """Parameter counts of a module and its sub-modules.

    Args:
        module (nn.Module): The model.
        depth (int): How many levels of named children to list.

    Returns:
        list[tuple[str, int, int]]: ``(name, total, trainable)`` rows, the
        whole model first (name ``'total'``), then children in order.
    """

    def counts(m):
        params = list(m.parameters())
        return (sum(p.numel() for p in params),
                sum(p.numel() for p in params if p.requires_grad))

    rows = [('total', *counts(module))]

    def walk(m, prefix, level):
        for name, child in m.named_children():
            full = f'{prefix}{name}'
            rows.append((full, *counts(child)))
            if level < depth:
                walk(child, full + '.', level + 1)

    walk(module, '', 1)
    return rows


def format_rows(rows):
    """The rows as an aligned text table."""
    width = max(len(name) for name, _, _ in rows)
    lines = [f'{"module":<{width}}  {"params":>12}  {"trainable":>12}']
    for name, total, trainable in rows:
        lines.append(f'{name:<{width}}  {total:>12,}  {trainable:>12,}')
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Count the parameters of a model config')
    parser.add_argument('config', help='config file or config name')
    parser.add_argument('--depth', type=int, default=1,
                        help='levels of sub-modules to list (default 1)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. model.neck.mode=none')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from hsrcount.registry import MODELS
    from hsrcount.utils.config import load_config

    cfg = load_config(resolve_config(args.config), args.cfg_options)
    if 'model' not in cfg:
        raise KeyError(f'count_params: {args.config} defines no `model`')
    init_default_scope(cfg.get('default_scope', 'hsrcount'))
    model = MODELS.build(cfg.model)
    print(f'{cfg.filename}: {cfg.model.type}')
    print(format_rows(count_parameters(model, args.depth)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
