"""Shared helpers of the reliability tests: tool subprocesses, tiny configs.

Not a test module (no tests here); the test files of this folder import it.
"""
import os
import os.path as osp
import subprocess
import sys

import torch

HERE = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(HERE))
DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'hsrnet', 'hsrnet_demo.py')

#: ``--cfg-options`` that shrink the demo config to 2 training images of
#: 32 x 32 (16 x 16 crops), 2 iterations, one 32 x 32 test image and no
#: worker processes; ``data_root`` is added by :func:`tiny_demo_options`.
TINY_DEMO_OPTIONS = (
    'train_dataloader.dataset.dataset.num_images=2',
    'train_dataloader.dataset.dataset.img_size=(32,32)',
    'train_dataloader.batch_size=2',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.num_images=1',
    'val_dataloader.dataset.img_size=(32,32)',
    'val_dataloader.num_workers=0',
    'val_dataloader.persistent_workers=False',
    'test_dataloader.dataset.num_images=1',
    'test_dataloader.dataset.img_size=(32,32)',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'train_cfg.max_iters=2',
)


def tiny_demo_options(data_root):
    """The demo config's ``--cfg-options`` for a tiny run in ``data_root``.

    Args:
        data_root (str | Path): Where the synthetic images are generated.

    Returns:
        list[str]: ``key=value`` strings.
    """
    # The training set is wrapped in PatchRepeatDataset.
    return list(TINY_DEMO_OPTIONS) + [
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
    ]


def tool_env(**extra):
    """Environment of a tool subprocess: one thread, hsrcount importable."""
    env = dict(os.environ)
    env['OMP_NUM_THREADS'] = '1'
    env['MKL_NUM_THREADS'] = '1'
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
    env.update(extra)
    return env


def run_tool(tool, *args, timeout=300, **env):
    """Run ``tools/<tool>`` with this Python; return the finished process.

    Args:
        tool (str): e.g. ``'train.py'``.
        *args (str): Its command line.
        timeout (float): Seconds before the test fails.
        **env (str): Extra environment variables.

    Returns:
        subprocess.CompletedProcess: With text ``stdout`` and ``stderr``.
    """
    return subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', tool), *map(str, args)],
        cwd=REPO_ROOT,
        env=tool_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout)


def save_demo_checkpoint(path):
    """Save the demo model's freshly initialised weights as a checkpoint.

    Args:
        path (str | Path): The ``.pth`` file to write.

    Returns:
        nn.Module: The model whose weights were saved.
    """
    from hsrcount.apis import init_model
    model = init_model(DEMO_CONFIG, fast_paths=None)  # plain layout
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model
