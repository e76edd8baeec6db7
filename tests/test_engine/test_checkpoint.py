"""Safe checkpoint loading, atomic checkpoint saving, non-finite loss guard.

Everything runs a real MMEngine Runner on a toy model (a 2 -> 1 linear layer)
and a toy dataset, so the checkpoints hold what real ones hold: message hub
with HistoryBuffers, Adam state, scheduler state.
"""
import hashlib
import os
import os.path as osp
import pickle
import signal
import subprocess
import sys
import textwrap
import uuid

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import (CheckpointLoader, _load_checkpoint,
                                        load_checkpoint)
from torch.utils.data import Dataset

from hsrcount.engine import checkpoint as safe_ckpt
from hsrcount.engine.checkpoint import (SAFE_CHECKPOINT_GLOBALS,
                                        CorruptCheckpointError,
                                        UnsafeCheckpointError,
                                        load_checkpoint_safely,
                                        register_safe_checkpoint_loader,
                                        safe_global_names)
from hsrcount.engine.hooks import AtomicCheckpointHook, FiniteLossHook
from hsrcount.registry import HOOKS

TEST_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(TEST_DIR))


class ToyModel(BaseModel):
    """y = w . x + b with two loss terms, so messages can list both."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.linear(torch.stack(inputs))
        if mode == 'loss':
            err = out - torch.stack(targets)
            return dict(loss_mse=(err**2).mean(), loss_l1=err.abs().mean())
        return out


class ToyDataset(Dataset):
    """8 samples x = (i, i), y = i; sample ``nan_at`` gets a NaN target."""

    metainfo = dict(classes=('person', ))

    def __init__(self, nan_at=None):
        self.nan_at = nan_at

    def __len__(self):
        return 8

    def __getitem__(self, i):
        target = float('nan') if i == self.nan_at else float(i) / 8
        return dict(
            inputs=torch.full((2, ), float(i) / 8),
            targets=torch.tensor([target]))


class RecordHook(Hook):
    """Records the weights/optimizer state training starts from and the
    iterations it runs."""

    priority = 'LOWEST'

    def __init__(self):
        self.iters = []
        self.start_state = None
        self.start_adam_steps = None

    def before_train(self, runner):
        self.start_state = {
            k: v.clone()
            for k, v in runner.model.state_dict().items()
        }
        self.start_adam_steps = [
            float(s['step'])
            for s in runner.optim_wrapper.optimizer.state.values()
        ]

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.iters.append(runner.iter)


def make_runner(work_dir,
                max_iters=4,
                interval=2,
                max_keep_ckpts=-1,
                nan_at=None,
                load_from=None,
                resume=False,
                custom_hooks=()):
    """A Runner training ToyModel with AtomicCheckpointHook."""
    return Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        experiment_name=f'ckpt_test_{uuid.uuid4().hex[:8]}',
        train_dataloader=dict(
            dataset=ToyDataset(nan_at=nan_at),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=0.01)),
        param_scheduler=dict(
            type='MultiStepLR', milestones=[1], by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(
                type='AtomicCheckpointHook',
                interval=interval,
                by_epoch=False,
                max_keep_ckpts=max_keep_ckpts),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(custom_hooks),
        load_from=load_from,
        resume=resume,
        randomness=dict(seed=0),
        log_level='WARNING',
        default_scope='hsrcount')


def read_pointer(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Work dir of a 4-iteration run saving every 2 iterations."""
    register_safe_checkpoint_loader()
    work_dir = tmp_path_factory.mktemp('trained')
    make_runner(work_dir).train()
    return work_dir


@pytest.fixture
def evil_checkpoint(tmp_path):
    """A checkpoint whose unpickling would create MARKER via os.system."""
    marker = tmp_path / 'MARKER'

    class RunsCommand:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    path = tmp_path / 'evil.pth'
    torch.save(
        dict(
            meta=dict(iter=4),
            state_dict=ToyModel().state_dict(),
            payload=RunsCommand()), path)
    return path, marker


# --- (a) safe loading ---------------------------------------------------


def test_stock_weights_only_load_refuses_a_runner_checkpoint(trained):
    # The reason this module exists: torch >= 2.6 refuses MMEngine's
    # checkpoints unless their globals are allowlisted.
    with pytest.raises(pickle.UnpicklingError, match='Weights only'):
        torch.load(trained / 'iter_4.pth', weights_only=True)


def test_load_checkpoint_safely_loads_a_runner_checkpoint(trained):
    ckpt = load_checkpoint_safely(trained / 'iter_4.pth')
    assert ckpt['meta']['iter'] == 4
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    # Loaded statistics methods are HistoryBuffer's own.
    assert buffer.mean(1) == pytest.approx(buffer.current())
    assert set(ckpt['state_dict']) == {'linear.weight', 'linear.bias'}


@pytest.mark.parametrize('name', safe_global_names())
def test_every_allowlisted_global_is_needed(trained, monkeypatch, name):
    """Drop one entry: a real checkpoint is refused for exactly that one."""
    kept = tuple(item for item, item_name in zip(SAFE_CHECKPOINT_GLOBALS,
                                                 safe_global_names())
                 if item_name != name)
    monkeypatch.setattr(safe_ckpt, 'SAFE_CHECKPOINT_GLOBALS', kept)
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_safely(trained / 'iter_4.pth')
    # torch prints builtins as bare names ('getattr').
    assert name.split('.')[-1] in info.value.offending


def test_load_checkpoint_safely_refuses_code(evil_checkpoint):
    path, marker = evil_checkpoint
    with pytest.raises(UnsafeCheckpointError) as info:
        load_checkpoint_safely(path)
    assert f'{os.system.__module__}.system' == info.value.offending
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):

    class FetchesAttribute:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, 'register_statistics'))

    path = tmp_path / 'gadget.pth'
    torch.save(dict(x=FetchesAttribute()), path)
    with pytest.raises(UnsafeCheckpointError, match='register_statistics'):
        load_checkpoint_safely(path)


@pytest.mark.parametrize('entry', ['load_checkpoint', 'load_from', 'resume'])
def test_mmengine_entry_points_refuse_code(evil_checkpoint, tmp_path, entry):
    register_safe_checkpoint_loader()
    path, marker = evil_checkpoint
    with pytest.raises(UnsafeCheckpointError, match='evil.pth'):
        if entry == 'load_checkpoint':
            load_checkpoint(ToyModel(), str(path))
        else:
            make_runner(
                tmp_path / 'work', load_from=str(path),
                resume=entry == 'resume').train()
    assert not marker.exists()


@pytest.mark.parametrize('cut', ['empty', 'half'])
def test_corrupt_checkpoint_is_named(trained, tmp_path, cut):
    register_safe_checkpoint_loader()
    data = (trained / 'iter_4.pth').read_bytes()
    path = tmp_path / 'broken.pth'
    path.write_bytes(b'' if cut == 'empty' else data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError, match='broken.pth'):
        load_checkpoint_safely(path)
    with pytest.raises(CorruptCheckpointError, match='broken.pth'):
        load_checkpoint(ToyModel(), str(path))


def test_missing_checkpoint_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_checkpoint_safely(tmp_path / 'nowhere.pth')


def test_registration_is_idempotent_and_keeps_other_schemes():
    original = CheckpointLoader._get_checkpoint_loader('torchvision://vgg16')
    register_safe_checkpoint_loader()
    register_safe_checkpoint_loader()
    assert (CheckpointLoader._get_checkpoint_loader('/a/b.pth') is
            safe_ckpt.load_from_local_safely)
    loader = CheckpointLoader._get_checkpoint_loader('torchvision://vgg16')
    # Wrapped once, around mmengine's own torchvision loader.
    inner = getattr(original, '__wrapped__', original)
    assert loader.__wrapped__ is inner
    assert not hasattr(loader.__wrapped__, '__wrapped__')
    assert mmengine_checkpoint.load_url is safe_ckpt.load_url_safely


def test_url_schemes_load_weights_and_refuse_code(tmp_path, monkeypatch,
                                                  evil_checkpoint):
    """torchvision:// -> load_from_http -> load_url, served from the hub
    cache so nothing is downloaded."""
    register_safe_checkpoint_loader()
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    urls = {
        'vgg16': 'https://download.invalid/vgg16-0000.pth',
        'evil': 'https://download.invalid/evil-0000.pth'
    }
    monkeypatch.setattr(mmengine_checkpoint, 'get_torchvision_models',
                        lambda: urls)
    cache = tmp_path / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    weights = {'features.0.weight': torch.randn(4, 3, 3, 3)}
    torch.save(weights, cache / 'vgg16-0000.pth')
    (cache / 'evil-0000.pth').write_bytes(evil_checkpoint[0].read_bytes())

    loaded = _load_checkpoint('torchvision://vgg16')
    assert torch.equal(loaded['features.0.weight'],
                       weights['features.0.weight'])
    with pytest.raises(UnsafeCheckpointError, match=urls['evil']):
        _load_checkpoint('torchvision://evil')
    assert not evil_checkpoint[1].exists()


# --- (b) resume -----------------------------------------------------------


def test_resume_continues_from_last_checkpoint(trained, tmp_path,
                                               monkeypatch):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    for name in ('iter_4.pth', 'iter_2.pth'):
        (work_dir / name).write_bytes((trained / name).read_bytes())
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_4.pth'))

    weights_only_args = []
    real_load = torch.load

    def spy_load(*args, **kwargs):
        weights_only_args.append(kwargs.get('weights_only'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy_load)
    record = RecordHook()
    runner = make_runner(
        work_dir, max_iters=6, resume=True, custom_hooks=[record])
    runner.train()

    assert weights_only_args == [True]
    assert record.iters == [4, 5]
    assert record.start_adam_steps == [4.0, 4.0]
    saved = load_checkpoint_safely(work_dir / 'iter_4.pth')['state_dict']
    for key, value in saved.items():
        assert torch.equal(record.start_state[key], value)
    assert read_pointer(work_dir) == str(work_dir / 'iter_6.pth')
    assert load_checkpoint_safely(work_dir / 'iter_6.pth')['meta']['iter'] \
        == 6


# --- (c) atomic save --------------------------------------------------------

KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    sys.path[:0] = [{test_dir!r}, {repo_root!r}]
    from test_checkpoint import make_runner

    real_replace = os.replace

    def replace_then_die(src, dst):
        # The new checkpoint is half on disk when the process is killed.
        if dst.endswith('iter_4.pth'):
            with open(src, 'r+b') as f:
                f.truncate(os.path.getsize(src) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst)

    os.replace = replace_then_die
    make_runner({work_dir!r}, max_iters=4, interval=2,
                max_keep_ckpts=1).train()
""")


@pytest.mark.skipif(
    not hasattr(signal, 'SIGKILL'), reason='needs POSIX SIGKILL')
@pytest.mark.slow
def test_kill_during_save_keeps_last_good_checkpoint(tmp_path):
    work_dir = tmp_path / 'work'
    script = tmp_path / 'train_and_die.py'
    script.write_text(
        KILL_SCRIPT.format(
            test_dir=TEST_DIR, repo_root=REPO_ROOT, work_dir=str(work_dir)))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, str(script)],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]

    # max_keep_ckpts=1: mmengine's hook would already have deleted iter_2.
    assert read_pointer(work_dir) == str(work_dir / 'iter_2.pth')
    assert not (work_dir / 'iter_4.pth').exists()
    assert load_checkpoint_safely(work_dir / 'iter_2.pth')['meta']['iter'] \
        == 2

    register_safe_checkpoint_loader()
    record = RecordHook()
    make_runner(
        work_dir, max_iters=4, resume=True, max_keep_ckpts=1,
        custom_hooks=[record]).train()
    assert record.iters == [2, 3]
    assert read_pointer(work_dir) == str(work_dir / 'iter_4.pth')
    assert not (work_dir / 'iter_2.pth').exists()  # pruned after the save
    assert not (work_dir / 'iter_2.pth.sha256').exists()  # with its sum
    assert not list(work_dir.glob('*.tmp'))


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    work_dir = tmp_path / 'work'
    real_fsync = os.fsync
    calls = []

    def fsync_fails_on_iter_4(fd):
        if osp.basename(os.readlink(f'/proc/self/fd/{fd}')).startswith(
                'iter_4.pth.') and os.readlink(
                    f'/proc/self/fd/{fd}').endswith('.tmp'):
            calls.append(fd)
            raise OSError(28, 'No space left on device')
        real_fsync(fd)

    if not osp.isdir('/proc/self/fd'):
        pytest.skip('needs /proc/self/fd')
    monkeypatch.setattr(os, 'fsync', fsync_fails_on_iter_4)
    with pytest.raises(OSError, match='No space left'):
        make_runner(work_dir, max_keep_ckpts=1).train()
    assert calls
    assert sorted(p.name for p in work_dir.glob('*.pth*')) == [
        'iter_2.pth', 'iter_2.pth.sha256'
    ]
    assert read_pointer(work_dir) == str(work_dir / 'iter_2.pth')


def test_atomic_hook_is_registered_and_local_only():
    assert HOOKS.get('AtomicCheckpointHook') is AtomicCheckpointHook
    with pytest.raises(ValueError, match='local files only'):
        AtomicCheckpointHook(out_dir='s3://bucket/ckpts')
    with pytest.raises(ValueError, match='local files only'):
        AtomicCheckpointHook(backend_args=dict(backend='petrel'))


# --- (d) non-finite loss ----------------------------------------------------


class Snapshot(Hook):
    """Hashes every checkpoint right after the checkpoint hook saved it."""

    priority = 'LOWEST'

    def __init__(self):
        self.hashes = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        path = osp.join(runner.work_dir, f'iter_{runner.iter + 1}.pth')
        if osp.isfile(path):
            self.hashes[path] = sha256(path)


def test_nan_loss_stops_before_saving(tmp_path):
    work_dir = tmp_path / 'work'
    snapshot = Snapshot()
    # batch 3 (1-based) holds samples 4 and 5: sample 5's target is NaN.
    runner = make_runner(
        work_dir,
        max_iters=6,
        interval=1,
        nan_at=5,
        custom_hooks=[dict(type='FiniteLossHook'), snapshot])
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    message = str(info.value)
    assert message.startswith('iteration 3: non-finite loss: ')
    assert 'loss_mse=nan' in message and 'loss_l1=nan' in message
    assert 'loss=nan' in message

    last = str(work_dir / 'iter_2.pth')
    assert read_pointer(work_dir) == last
    assert not (work_dir / 'iter_3.pth').exists()
    assert sha256(last) == snapshot.hashes[last]
    state = load_checkpoint_safely(last)['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values())


class _FakeRunner:
    iter = 6
    model = ToyModel()


@pytest.mark.parametrize('bad', [float('inf'), float('-inf'), float('nan')])
def test_finite_loss_hook_names_terms(bad):
    hook = FiniteLossHook()
    outputs = dict(
        loss=torch.tensor(bad), loss_a=torch.tensor(0.5),
        loss_b=torch.tensor(bad))
    with pytest.raises(FloatingPointError) as info:
        hook.after_train_iter(_FakeRunner(), 0, outputs=outputs)
    assert str(info.value).startswith(
        f'iteration 7: non-finite loss: loss={bad}, '
        f'loss_a=0.5, loss_b={bad}.')


def test_finite_loss_hook_passes_finite_and_ignores_non_losses():
    hook = FiniteLossHook()
    hook.after_train_iter(
        _FakeRunner(), 0,
        outputs=dict(loss=torch.tensor(1.0), acc=torch.tensor(float('nan'))))
    assert FiniteLossHook.priority == 'ABOVE_NORMAL'
