"""What the tool tests share: the repository paths, a subprocess runner for
the tools and a tiny counter config for fast end-to-end runs."""
import os
import os.path as osp
import subprocess

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')

# The demo's data, schedule and evaluators with a small MCNN counter, so a
# run (and a compile) takes seconds.
TINY_MCNN_CONFIG = f'''_base_ = [{DEMO!r}]
model = dict(
    _delete_=True,
    type='CrowdCounter',
    data_preprocessor=dict(
        type='CrowdDataPreprocessor', mean=(123.675, 116.28, 103.53),
        std=(58.395, 57.12, 57.375), bgr_to_rgb=True, pad_size_divisor=16),
    backbone=dict(type='MCNN'),
    neck=None,
    head=dict(type='PlainHead', in_channels=30, in_stride=4,
              density_scale=100.0, loss_decode=dict(type='EuclideanLoss')))
'''


def run(args, cwd=REPO, env=None, check=True, timeout=600):
    """Run a command with this checkout first on the import path.

    Args:
        args (list[str]): The command.
        cwd (str): Where it runs. Default: the repository root.
        env (dict, optional): Variables added to (or replacing) the
            environment.
        check (bool): Assert a zero exit code, showing the output's end.
        timeout (float): Seconds before the run is killed.

    Returns:
        subprocess.CompletedProcess: With text ``stdout`` and ``stderr``.
    """
    env = {**os.environ, 'OMP_NUM_THREADS': '2', 'PYTHONPATH': REPO,
           **(env or {})}
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc
