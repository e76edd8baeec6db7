"""tools/train.py, tools/test.py and tools/dist_train.sh as a user runs them:
real subprocesses, the real Runner, synthetic crowds written to disk."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')


def run(args, **kwargs):
    env = dict(os.environ, OMP_NUM_THREADS='2', PYTHONPATH=REPO)
    proc = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def data_options(data_root, num_train=100, num_test=20):
    return [
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        f'train_dataloader.dataset.dataset.num_images={num_train}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.num_images={num_test}',
        f'test_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.num_images={num_test}',
    ]


@pytest.mark.slow
def test_demo_model_learns_to_count(tmp_path):
    """Trained as `make demo` trains it (300 iterations on synthetic
    crowds), the demo model's test MAE is below half the MAE of always
    predicting the mean training count."""
    data_root, work_dir = tmp_path / 'data', tmp_path / 'work'
    options = data_options(data_root) + [
        'train_cfg.val_interval=300', 'default_hooks.checkpoint.interval=300'
    ]
    run([sys.executable, 'tools/train.py', DEMO, '--work-dir',
         str(work_dir), '--cfg-options', *options])
    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    assert checkpoint.endswith('iter_300.pth') and osp.isfile(checkpoint)

    show_dir, out = tmp_path / 'vis', tmp_path / 'counts.json'
    proc = run([
        sys.executable, 'tools/test.py', DEMO, checkpoint, '--work-dir',
        str(work_dir), '--show-dir', str(show_dir), '--out', str(out),
        '--cfg-options', *options
    ])
    records = json.loads(out.read_text())
    with open(data_root / 'test' / 'annotations.json') as f:
        truth = {img['file']: len(img['points'])
                 for img in json.load(f)['images']}
    assert len(records) == len(truth) == 20
    for record in records:
        assert record['gt_count'] == truth[osp.basename(record['img_path'])]
    pictures = glob.glob(str(show_dir / '*.png'))
    assert len(pictures) == 20

    gt = np.array([r['gt_count'] for r in records])
    pred = np.array([r['pred_count'] for r in records])
    mae = np.abs(gt - pred).mean()
    assert f'MAE: {mae:.3f}' in proc.stdout + proc.stderr
    with open(data_root / 'train' / 'annotations.json') as f:
        train_mean = np.mean(
            [len(img['points']) for img in json.load(f)['images']])
    baseline = np.abs(gt - train_mean).mean()
    assert mae < 0.5 * baseline, (mae, baseline)


RANK_HOOK = '''
import os
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from hsrcount.registry import HOOKS


@HOOKS.register_module()
class RankMarkerHook(Hook):
    """Writes one file per rank and training iteration."""

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        name = f'rank{get_rank()}of{get_world_size()}_iter{runner.iter}'
        open(os.path.join(self.out_dir, name), 'w').close()
'''


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun on Linux')
@pytest.mark.slow
def test_dist_train_two_processes(tmp_path):
    (tmp_path / 'rank_marker.py').write_text(RANK_HOOK)
    markers = tmp_path / 'markers'
    markers.mkdir()
    config = tmp_path / 'dist_demo.py'
    config.write_text(
        f'_base_ = [{DEMO!r}]\n'
        "custom_imports = dict(imports=['rank_marker'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='FiniteLossHook'), "
        f"dict(type='RankMarkerHook', out_dir={str(markers)!r})]\n")
    work_dir = tmp_path / 'work'
    env_extra = dict(PYTHONPATH=f'{REPO}:{tmp_path}', PYTHON=sys.executable,
                     PORT='29517')
    options = data_options(tmp_path / 'data', num_train=8, num_test=2) + [
        'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'train_dataloader.batch_size=2', 'env_cfg.dist_cfg.backend=gloo'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', **env_extra)
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
         str(work_dir), '--cfg-options', *options],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert sorted(os.listdir(markers)) == sorted(
        f'rank{r}of2_iter{i}' for r in (0, 1) for i in range(4))
    assert sorted(osp.basename(p) for p in glob.glob(
        str(work_dir / '*.pth'))) == ['best_MAE_iter_4.pth', 'iter_4.pth']


def test_test_tool_refuses_a_checkpoint_of_another_model(tmp_path):
    """A checkpoint whose weights do not fit the config's model stops the
    test instead of evaluating a partly random model."""
    import torch

    from hsrcount.apis import init_model
    other = init_model(DEMO, cfg_options={'model.backbone.width_ratio': 0.25,
                                          'model.neck.in_channels': (32, 64,
                                                                     128, 128),
                                          'model.head.in_channels': (32, 64,
                                                                     128,
                                                                     128)})
    checkpoint = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, checkpoint)
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run([
        sys.executable, 'tools/test.py', DEMO, str(checkpoint), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        *data_options(tmp_path / 'data', num_train=2, num_test=2)
    ], cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode != 0
    assert f'{checkpoint}: does not fit the model' in proc.stderr
    assert 'size mismatch' in proc.stderr
    assert not (tmp_path / 'work' / 'vis').exists()
