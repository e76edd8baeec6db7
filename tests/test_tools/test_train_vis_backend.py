"""tools/train.py --vis-backend tensorboard, and a quiet init in the log."""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from hsrcount.utils.vis_backends import add_vis_backend

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
DUMP_LINE = re.compile(r'^\S+ - torch\.Size\(\[[\d, ]*\]\): $', re.M)


@pytest.mark.slow
def test_tensorboard_events_beside_scalars_json_and_one_init_line(
        tmp_path):
    pytest.importorskip('tensorboard')
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    data = tmp_path / 'data'
    work_dir = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='2', PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', DEMO, '--work-dir',
         str(work_dir), '--vis-backend', 'tensorboard', '--cfg-options',
         f'train_dataloader.dataset.dataset.data_root={data}',
         'train_dataloader.dataset.dataset.num_images=4',
         f'val_dataloader.dataset.data_root={data}',
         'val_dataloader.dataset.num_images=2', 'train_cfg.max_iters=2',
         'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
         'default_hooks.logger.interval=1'],
        cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    vis_data, = glob.glob(str(work_dir / '*' / 'vis_data'))
    events = glob.glob(osp.join(vis_data, 'events.out.tfevents.*'))
    assert len(events) == 1
    # LocalVisBackend still writes scalars.json; both hold the same loss.
    with open(osp.join(vis_data, 'scalars.json')) as f:
        rows = [json.loads(line) for line in f]
    losses = [row['loss'] for row in rows if 'loss' in row]
    accumulator = EventAccumulator(vis_data)
    accumulator.Reload()
    assert 'loss' in accumulator.Tags()['scalars']
    logged = [e.value for e in accumulator.Scalars('loss')]
    assert logged == pytest.approx(losses, rel=1e-6)
    assert 'MAE' in accumulator.Tags()['scalars']

    # The weight initialisation is one line, in the log and on the
    # terminal, instead of three per parameter in the log.
    log_file, = glob.glob(str(work_dir / '*' / '*.log'))
    with open(log_file) as f:
        log_text = f.read()
    assert not DUMP_LINE.findall(log_text)
    assert log_text.count(' parameter tensors (') == 1
    assert re.search(r'Initialized \d+ parameter tensors \([\d,]+ values\)',
                     proc.stdout)


def test_add_vis_backend_keeps_the_local_one():
    cfg = Config(dict(visualizer=dict(
        type='CrowdLocalVisualizer',
        vis_backends=[dict(type='LocalVisBackend')])))
    add_vis_backend(cfg, 'tensorboard')
    add_vis_backend(cfg, 'tensorboard')
    assert [b['type'] for b in cfg.visualizer.vis_backends] == \
        ['LocalVisBackend', 'TensorboardVisBackend']
    with pytest.raises(ValueError, match="unknown vis backend 'wandb'"):
        add_vis_backend(cfg, 'wandb')


def test_missing_tensorboard_is_a_clear_error(monkeypatch):
    # A None entry in sys.modules makes the import fail as if absent.
    monkeypatch.setitem(sys.modules, 'torch.utils.tensorboard', None)
    cfg = Config(dict(visualizer=dict(vis_backends=[])))
    with pytest.raises(ImportError, match=r'--vis-backend tensorboard needs '
                       r'the tensorboard package.*hsrcount\[tensorboard\]'):
        add_vis_backend(cfg, 'tensorboard')
    assert cfg.visualizer.vis_backends == []
