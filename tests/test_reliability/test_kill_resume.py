"""SIGKILL a CPU training run at several points, resume, get the same weights.

The run is the demo config (synthetic crowds, PaperCrop + RandomFlip,
shuffling InfiniteSampler, Adam, AtomicCheckpointHook, FiniteLossHook) made
tiny: 2 images of 32 x 32, 8 iterations, a checkpoint every 2, and a small
MCNN in place of the VGG-16 HSRNet, whose 177 MB checkpoints would make 5
runs too slow for the test suite. The kill points are chosen by
``stop_switch.py`` (imported by the config in the training subprocess); the
kill itself is a real ``SIGKILL`` sent by this test. The stand-in is exact
for HSRNet too because neither model draws random numbers in a training
step (checked on the demo HSRNet below): resume replays the data pipeline's
draws, nothing else is random.
"""
import os.path as osp
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper
from reliability_helpers import DEMO_CONFIG, HERE, REPO_ROOT, tool_env

from hsrcount.apis import init_model
from hsrcount.datasets import SyntheticCrowdDataset
from hsrcount.engine import load_checkpoint_safely
from hsrcount.registry import DATASETS

MAX_ITERS = 8

CONFIG = '''
_base_ = {demo!r}
custom_imports = dict(imports=['stop_switch'], allow_failed_imports=False)
model = dict(
    backbone=dict(
        _delete_=True, type='MCNN',
        columns=(((3, 3, 3, 3), (4, 8, 4, 2)), ((5, 3, 3, 3), (4, 8, 4, 2)))),
    neck=None,
    head=dict(_delete_=True, type='PlainHead', in_channels=4, in_stride=4,
              loss_decode=dict(type='EuclideanLoss')))
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(dataset=dict(data_root={data!r}, num_images=2,
                              img_size=(32, 32))))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data!r}, num_images=1, img_size=(32, 32)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters={max_iters}, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=2, save_best=None, max_keep_ckpts=-1))
custom_hooks = [dict(type='FiniteLossHook'), dict(type='StopSwitchHook')]
randomness = dict(seed=0, deterministic=True)
'''


def start_training(config, work_dir, resume, stop=None, flag=None):
    """Start ``tools/train.py`` in the background."""
    args = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'),
            str(config), '--work-dir', str(work_dir)]
    if resume:
        args.append('--resume')
    env = tool_env(PYTHONPATH=f'{HERE}:{REPO_ROOT}')
    if stop is not None:
        env.update(HSRCOUNT_TEST_STOP=stop, HSRCOUNT_TEST_STOP_FLAG=str(flag))
    return subprocess.Popen(args, cwd=REPO_ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def kill_when_stopped(proc, flag, timeout=240):
    """SIGKILL ``proc`` once it has created ``flag``; return its output."""
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if proc.poll() is not None:
            pytest.fail('training ended before its kill point:\n' +
                        proc.stdout.read()[-3000:])
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail('training did not reach its kill point in time')
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return out


def finish(proc):
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    return out


def pointer(work_dir):
    return osp.basename((work_dir / 'last_checkpoint').read_text().strip())


def weights(path):
    return load_checkpoint_safely(path)['state_dict']


@pytest.mark.skipif(not hasattr(signal, 'SIGKILL'),
                    reason='needs POSIX SIGKILL')
@pytest.mark.slow
def test_killed_and_resumed_run_ends_with_uninterrupted_weights(tmp_path):
    data = tmp_path / 'data'
    # Generate the images once, so the concurrent runs only read them.
    SyntheticCrowdDataset(str(data), num_images=2, img_size=(32, 32))
    config = tmp_path / 'tiny_demo.py'
    config.write_text(CONFIG.format(demo=DEMO_CONFIG, data=str(data),
                                    max_iters=MAX_ITERS))
    ref_dir, work_dir = tmp_path / 'uninterrupted', tmp_path / 'killed'
    reference = start_training(config, ref_dir, resume=False)

    # 1. Killed during iteration 3 (optimizer stepped, not saved).
    flag = tmp_path / 'stopped_1'
    kill_when_stopped(
        start_training(config, work_dir, False, 'iter:3', flag), flag)
    assert pointer(work_dir) == 'iter_2.pth'

    # 2. Resumed from iteration 2; killed half way through writing iter_4.
    flag = tmp_path / 'stopped_2'
    out = kill_when_stopped(
        start_training(config, work_dir, True, 'save:4', flag), flag)
    assert 'resumed epoch: 0, iter: 2' in out
    assert len(list(work_dir.glob('iter_4.pth.*.tmp'))) == 1
    assert not (work_dir / 'iter_4.pth').exists()
    assert pointer(work_dir) == 'iter_2.pth'

    # 3. Resumed from iteration 2 again; killed with iter_6.pth in place but
    # last_checkpoint still naming iter_4.pth.
    flag = tmp_path / 'stopped_3'
    out = kill_when_stopped(
        start_training(config, work_dir, True, 'pointer:6', flag), flag)
    assert 'resumed epoch: 0, iter: 2' in out
    assert (work_dir / 'iter_6.pth').exists()
    assert pointer(work_dir) == 'iter_4.pth'

    # 4. Resumed from iteration 4, runs to the end.
    out = finish(start_training(config, work_dir, True))
    assert 'resumed epoch: 0, iter: 4' in out
    finish(reference)

    final = load_checkpoint_safely(work_dir / f'iter_{MAX_ITERS}.pth')
    assert final['meta']['iter'] == MAX_ITERS
    assert pointer(work_dir) == f'iter_{MAX_ITERS}.pth'
    expected = weights(ref_dir / f'iter_{MAX_ITERS}.pth')
    assert final['state_dict'].keys() == expected.keys()
    for name, value in expected.items():
        assert torch.equal(final['state_dict'][name], value), name
    # Training moved the weights: equal-at-init would prove nothing.
    start = weights(ref_dir / 'iter_2.pth')
    assert any(not torch.equal(start[k], expected[k]) for k in expected)


def test_demo_model_training_step_draws_no_random_numbers(tmp_path):
    """Why the stand-in MCNN is enough: resume replays the data pipeline's
    draws (MMEngine advances the dataloader by the resumed iterations), but
    nothing restores random numbers drawn by the model. The demo's HSRNet
    draws none in a training step, so its resumed runs are exact too."""
    model = init_model(DEMO_CONFIG).train()
    dataset = DATASETS.build(
        dict(model.cfg.val_dataloader.dataset, data_root=str(tmp_path),
             num_images=1, img_size=(32, 32)))
    sample = dataset[0]
    optim_wrapper = OptimWrapper(torch.optim.Adam(model.parameters(), 1e-4))
    before = (torch.get_rng_state(), np.random.get_state(), random.getstate())
    before_weights = {k: v.clone() for k, v in model.state_dict().items()}
    model.train_step(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]),
        optim_wrapper)
    assert torch.equal(torch.get_rng_state(), before[0])
    np_state = np.random.get_state()
    assert np_state[0] == before[1][0]
    assert np.array_equal(np_state[1], before[1][1])
    assert np_state[2:] == before[1][2:]
    assert random.getstate() == before[2]
    # The step did train (weights and BN statistics moved).
    assert any(not torch.equal(v, model.state_dict()[k])
               for k, v in before_weights.items())
