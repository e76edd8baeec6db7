"""The ``hsrcount`` command: the tools of the repository, installed by pip.

``hsrcount train|test|infer|export|benchmark|browse-dataset CONFIG ...``
runs ``tools/<command>.py`` with the same arguments (``hsrcount
analyze-logs WORK_DIR`` and ``hsrcount convert IN.pth OUT.safetensors``
too). CONFIG may be a file or the name of a config
that ships with the package (``hsrnet_shtech_b``, or
``hsrnet/hsrnet_shtech_b.py``). ``hsrcount demo`` trains HSRNet on the
built-in synthetic crowds and tests it, like ``make demo``.
``hsrcount configs`` lists the packaged configs.

The configs and tools ship inside the package (``hsrcount/.mim``, as
OpenMMLab's packages carry theirs); run from a checkout, the repository's
own ``configs/`` and ``tools/`` are used.
"""
import glob
import os.path as osp
import subprocess
import sys
from typing import List, Optional

#: Command -> (script under tools/, whether its first argument is a config).
TOOLS = {
    'train': ('train.py', True),
    'test': ('test.py', True),
    'infer': ('infer.py', True),
    'export': ('export.py', True),
    'convert': ('convert_checkpoint.py', False),
    'benchmark': ('benchmark.py', True),
    'analyze-logs': ('analysis_tools/analyze_logs.py', False),
    'browse-dataset': ('analysis_tools/browse_dataset.py', True),
}
PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
DEMO_CONFIG = 'hsrnet/hsrnet_demo.py'


def resource_dir(name: str) -> str:
    """Where the packaged ``configs`` or ``tools`` are.

    The repository's own folder when hsrcount runs from a checkout (an
    editable install: ``setup.py`` beside the package), otherwise
    ``hsrcount/.mim/<name>``, the copy an installed package carries.
    """
    checkout = osp.dirname(PACKAGE_DIR)
    candidates = [osp.join(PACKAGE_DIR, '.mim', name)]
    if osp.isfile(osp.join(checkout, 'setup.py')):
        candidates.insert(0, osp.join(checkout, name))
    for candidate in candidates:
        if osp.isdir(candidate):
            return candidate
    raise FileNotFoundError(f'hsrcount: no {name}/ folder in the package '
                            f'({PACKAGE_DIR}/.mim) or beside it; reinstall '
                            f'hsrcount')


def find_config(name: str) -> str:
    """A config file from a path or the name of a packaged config.

    Args:
        name (str): An existing file, or a packaged config's name with or
            without its folder and ``.py``.

    Returns:
        str: The config file.

    Raises:
        FileNotFoundError: Naming close packaged configs.
    """
    if osp.isfile(name):
        return name
    root = resource_dir('configs')
    stem = name[:-3] if name.endswith('.py') else name
    direct = osp.join(root, stem + '.py')
    if osp.isfile(direct):
        return direct
    found = [p for p in glob.glob(osp.join(root, '**', '*.py'),
                                  recursive=True)
             if '_base_' not in p and osp.basename(p)[:-3] == stem]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise FileNotFoundError(f'hsrcount: config name {name!r} is '
                                f'ambiguous: {sorted(found)}')
    from difflib import get_close_matches
    close = get_close_matches(stem, list_configs(), n=3)
    hint = f' Did you mean {", ".join(close)}?' if close else ''
    raise FileNotFoundError(f'hsrcount: {name!r} is neither a file nor a '
                            f'packaged config.{hint} See `hsrcount configs`.')


def list_configs() -> List[str]:
    """Names of the packaged configs (``folder/name`` without ``.py``)."""
    root = resource_dir('configs')
    paths = glob.glob(osp.join(root, '**', '*.py'), recursive=True)
    return sorted(osp.relpath(p, root)[:-3] for p in paths
                  if '_base_' not in p)


def run_tool(command: str, args: List[str]) -> int:
    """Run a tool of :data:`TOOLS` in a child process; return its exit
    code. A tool's first argument, its config, may be a packaged config's
    name."""
    script, takes_config = TOOLS[command]
    tool = osp.join(resource_dir('tools'), script)
    args = list(args)
    if takes_config and args and not args[0].startswith('-'):
        args[0] = find_config(args[0])
    return subprocess.call([sys.executable, tool] + args)


def demo(args: List[str]) -> int:
    """Train HSRNet on synthetic crowds, test it, say what to run next."""
    import argparse
    parser = argparse.ArgumentParser(prog='hsrcount demo',
                                     description=demo.__doc__)
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int,
                        help='train this many iterations instead of the '
                        'config\'s 300 (a quick look)')
    opts = parser.parse_args(args)
    config = find_config(DEMO_CONFIG)
    work_dir, show_dir = opts.work_dir, osp.join(opts.work_dir, 'vis')
    counts = osp.join(work_dir, 'counts.csv')
    print(f'== Training {DEMO_CONFIG} on synthetic crowds (CPU; a few '
          f'minutes on 2 cores)', flush=True)
    train_args = [config, '--work-dir', work_dir]
    if opts.iters:
        train_args += ['--cfg-options', f'train_cfg.max_iters={opts.iters}',
                       f'train_cfg.val_interval={opts.iters}',
                       f'default_hooks.checkpoint.interval={opts.iters}']
    code = run_tool('train', train_args)
    if code:
        return code
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    print(f'== Testing {ckpt}', flush=True)
    code = run_tool('test', [config, ckpt, '--work-dir', work_dir,
                             '--show-dir', show_dir, '--out', counts])
    if code:
        return code
    print(f'== Done. Pictures (image | GT density | predicted density): '
          f'{show_dir}\n   Per-image counts: {counts}\n\nNext:\n'
          f'  hsrcount infer {DEMO_CONFIG[:-3]} {ckpt} YOUR_IMAGES/ '
          f'--out-dir infer_out   # count your own images\n'
          f'  hsrcount analyze-logs {work_dir} --out curves.png'
          f'   # the loss and MAE curves\n'
          f'  hsrcount train hsrnet_scratch_shtech_b   # ShanghaiTech Part '
          f'B (see docs/dataset_prepare.md)')
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    usage = ('usage: hsrcount {' + ','.join(list(TOOLS) + ['demo',
                                                          'configs']) +
             '} [ARGS ...]\n\n' + __doc__)
    if not argv or argv[0] in ('-h', '--help'):
        print(usage)
        return 0
    command, args = argv[0], argv[1:]
    try:
        if command in TOOLS:
            return run_tool(command, args)
        if command == 'demo':
            return demo(args)
        if command == 'configs':
            print('\n'.join(list_configs()))
            return 0
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 2
    print(f'hsrcount: unknown command {command!r}\n\n{usage}',
          file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
