"""What an adversarial tester broke, one parametrised case per attack.

Beside the bad-input matrix (``test_bad_input.py``, broken data), this is the
matrix of attacks on checkpoints, work dirs and the tools, each with what
must happen now. One test walks it, ``test_adversarial[CASE]``; the ids say
what is covered:

- ``step_overflows_weights``, ``non_finite_checkpoint_never_written``: a
  finite loss whose step makes weights inf stops training at that
  iteration; a checkpoint with non-finite values is never written.
- ``env_*``: with ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` every loading path
  (local, ``load_from``, ``resume``, ``open-mmlab://`` through
  ``MMENGINE_HOME``, ``torchvision://``, ``s3://``, ``pavi://``, a
  third-party scheme) refuses a checkpoint that runs code, and a torch that
  let the variable override ``weights_only=True`` would be detected.
- ``resume_*``, ``load_from_*``: resume is strict and needs the training
  state; ``load_from`` is strict unless ``load_from_strict=False``, which
  logs what did not load.
- ``int8_weights``, ``nan_weights``: refused by ``init_model`` (so by
  ``infer.py``), naming the checkpoint and the tensor.
- ``history_buffer_*``: a checkpoint cannot rewrite ``HistoryBuffer``'s
  class table or restore a malformed buffer.
- ``list_checkpoint``, ``foreign_zip``, ``wrong_record_size``, ``jpeg``,
  ``json``, ``random_bytes``: called corrupt or invalid and named; only a
  real pickle payload is called unsafe (``real_pickle_payload_is_unsafe``).
- ``flipped_byte``: bytes changed after the save fail the ``.sha256``.
- ``lock_*``: a second run in a work dir is refused; a killed run's lock
  does not block.
- ``planted_tmp_symlink``, ``exclusive_temp_name``, ``stale_temps_removed``:
  temporary files are new files, never followed symlinks.
- ``huge_image_refused``, ``pixel_limit_flag``: images over Pillow's
  179-megapixel guard are refused clearly; ``--max-image-pixels`` moves or
  lifts the limit.
- ``infer_*``: ``infer.py`` keeps its rows when killed and resumes, refuses
  to mix runs, warns on a truncated video.

Tool runs end to end (slow) follow, in ``test_tool[...]``, and the output
of ``infer.py`` on one image and on a folder.

Each case imports what it tests inside its body, so that it runs (and
fails) on its own against a version of hsrcount without the fix.
"""
import csv
import importlib.util
import io
import json
import os
import os.path as osp
import signal
import socket
import struct
import subprocess
import sys
import time
import types
import uuid
import zipfile

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from PIL import Image
from reliability_helpers import (DEMO_CONFIG, HERE, REPO_ROOT, run_tool,
                                 save_demo_checkpoint, tiny_demo_options,
                                 tool_env)
from torch.utils.data import Dataset

from hsrcount.utils import register_all_modules

FORCE_OFF = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


# -- a toy model trained by a real Runner -------------------------------------


class Toy(BaseModel):
    """``head(backbone(x))``: 2 -> ``width`` -> 1, two loss terms."""

    def __init__(self, width=3):
        super().__init__()
        self.backbone = nn.Linear(2, width)
        self.head = nn.Linear(width, 1)

    def forward(self, inputs, targets=None, mode='tensor'):
        out = self.head(self.backbone(torch.stack(inputs)))
        if mode == 'loss':
            err = out - torch.stack(targets)
            return dict(loss_mse=(err**2).mean(), loss_l1=err.abs().mean())
        return out


class ToyData(Dataset):
    """8 samples ``x = (s i / 8, s i / 8)``, ``y = s i / 8``."""

    metainfo = dict(classes=('person', ))

    def __init__(self, scale=1.0):
        self.scale = scale

    def __len__(self):
        return 8

    def __getitem__(self, i):
        value = self.scale * i / 8
        return dict(inputs=torch.full((2, ), value),
                    targets=torch.tensor([value]))


def toy_runner(work_dir, runner_cls=Runner, max_iters=2, interval=2, lr=0.01,
               optimizer='Adam', custom_hooks=(), width=3, data_scale=1.0,
               **kwargs):
    """A Runner (or ``runner_cls``) training :class:`Toy` with
    ``AtomicCheckpointHook``."""
    register_all_modules()
    return runner_cls(
        model=Toy(width),
        work_dir=str(work_dir),
        experiment_name=f'adv_{uuid.uuid4().hex[:8]}',
        train_dataloader=dict(
            dataset=ToyData(data_scale),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type=optimizer, lr=lr)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='AtomicCheckpointHook', interval=interval,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(custom_hooks),
        randomness=dict(seed=0),
        log_level='WARNING',
        default_scope='hsrcount',
        **kwargs)


def trained_toy(tmp_path, name='trained'):
    """Work dir of a 2-iteration toy run: ``iter_2.pth`` and its sum."""
    work_dir = tmp_path / name
    toy_runner(work_dir).train()
    return work_dir


class RunsCommand:
    """Unpickling this calls ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


def evil_bytes(marker):
    buffer = io.BytesIO()
    torch.save(dict(meta=dict(iter=2), state_dict=Toy().state_dict(),
                    payload=RunsCommand(f'touch {marker}')), buffer)
    return buffer.getvalue()


def expect(exc_name, *fragments):
    """A context expecting an exception whose class is named ``exc_name``
    (looked up in ``hsrcount.engine`` when the case runs) and whose
    message holds every fragment."""

    class _Expect:

        def __enter__(self):
            return self

        def __exit__(self, kind, value, tb):
            assert value is not None, f'nothing raised, {exc_name} expected'
            names = [cls.__name__ for cls in type(value).__mro__]
            assert exc_name in names, (
                f'{type(value).__name__} raised, {exc_name} expected: '
                f'{value}')
            for fragment in fragments:
                assert str(fragment) in str(value), (fragment, str(value))
            self.value = value
            return True

    return _Expect()


# -- non-finite weights -------------------------------------------------------


def case_step_overflows_weights(tmp_path, monkeypatch):
    # The loss of iteration 1 is finite; its step makes the weights inf.
    work_dir = tmp_path / 'work'
    runner = toy_runner(work_dir, optimizer='SGD', lr=1e37, data_scale=100,
                        interval=1, max_iters=3,
                        custom_hooks=[dict(type='FiniteLossHook')])
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    message = str(info.value)
    assert message.startswith('iteration 1: non-finite weight after the '
                              'optimizer step: '), message
    assert 'backbone.weight' in message or 'head.weight' in message
    assert not list(work_dir.glob('iter_*.pth'))
    assert not (work_dir / 'last_checkpoint').exists()


def case_non_finite_checkpoint_never_written(tmp_path, monkeypatch):
    work_dir = tmp_path / 'work'
    runner = toy_runner(
        work_dir, optimizer='SGD', lr=1e37, data_scale=100, interval=1,
        max_iters=3,
        custom_hooks=[dict(type='FiniteLossHook', check_weights=False)])
    with pytest.raises(FloatingPointError) as info:
        runner.train()
    assert 'in the checkpoint about to be saved' in str(info.value)
    assert not list(work_dir.glob('iter_*.pth'))
    assert not (work_dir / 'last_checkpoint').exists()


# -- TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD -----------------------------------------


def _evil_file(tmp_path, name='evil.pth'):
    marker = tmp_path / 'MARKER'
    path = tmp_path / name
    path.write_bytes(evil_bytes(marker))
    return path, marker


def _refused_with_variable_set(tmp_path, monkeypatch, load, source=None):
    """``load(path)`` of a code-running file, with the variable set."""
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setattr(CheckpointLoader, '_schemes',
                        dict(CheckpointLoader._schemes))
    register_all_modules()
    path, marker = _evil_file(tmp_path)
    monkeypatch.setenv(FORCE_OFF, '1')
    with expect('UnsafeCheckpointError', source or path):
        load(str(path))
    assert not marker.exists(), 'the checkpoint ran its code'


def case_env_local_path(tmp_path, monkeypatch):
    from mmengine.runner import load_checkpoint
    _refused_with_variable_set(tmp_path, monkeypatch,
                               lambda p: load_checkpoint(Toy(), p))


def case_env_load_from(tmp_path, monkeypatch):
    _refused_with_variable_set(
        tmp_path, monkeypatch,
        lambda p: toy_runner(tmp_path / 'work', load_from=p).train())


def case_env_resume(tmp_path, monkeypatch):
    _refused_with_variable_set(
        tmp_path, monkeypatch,
        lambda p: toy_runner(tmp_path / 'work', load_from=p,
                             resume=True).train())


def case_env_open_mmlab_home(tmp_path, monkeypatch):
    """open-mmlab://NAME -> $MMENGINE_HOME/open_mmlab.json -> local file,
    which MMEngine loads with a bare torch.load."""
    from mmengine.runner.checkpoint import _load_checkpoint
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    (home / 'open_mmlab.json').write_text(json.dumps(dict(evil='evil.pth')))
    monkeypatch.setenv('MMENGINE_HOME', str(home))

    def load(path):
        os.replace(path, home / 'evil.pth')
        _load_checkpoint('open-mmlab://evil')

    _refused_with_variable_set(tmp_path, monkeypatch, load,
                               source=home / 'evil.pth')


def case_env_torchvision_url(tmp_path, monkeypatch):
    from mmengine.runner import checkpoint as mmengine_checkpoint
    from mmengine.runner.checkpoint import _load_checkpoint
    url = 'https://download.invalid/evil-0000.pth'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    monkeypatch.setattr(mmengine_checkpoint, 'get_torchvision_models',
                        lambda: dict(evil=url))
    (tmp_path / 'hub' / 'checkpoints').mkdir(parents=True)

    def load(path):
        os.replace(path, tmp_path / 'hub' / 'checkpoints' / 'evil-0000.pth')
        _load_checkpoint('torchvision://evil')

    _refused_with_variable_set(tmp_path, monkeypatch, load, source=url)


def case_env_s3(tmp_path, monkeypatch):
    """s3:// is read through a file backend (here a stand-in serving the
    bytes), then MMEngine calls a bare torch.load on them."""
    from mmengine.runner.checkpoint import _load_checkpoint
    served = {}

    class Backend:

        def get(self, uri):
            return served[uri]

    import mmengine.runner.checkpoint as mmengine_checkpoint

    from hsrcount.engine import checkpoint as safe_checkpoint
    for module in (mmengine_checkpoint, safe_checkpoint):
        if hasattr(module, 'get_file_backend'):
            monkeypatch.setattr(module, 'get_file_backend',
                                lambda *a, **k: Backend())

    def load(path):
        served['s3://bucket/evil.pth'] = open(path, 'rb').read()
        _load_checkpoint('s3://bucket/evil.pth')

    _refused_with_variable_set(tmp_path, monkeypatch, load,
                               source='s3://bucket/evil.pth')


def case_env_pavi(tmp_path, monkeypatch):
    from mmengine.runner.checkpoint import _load_checkpoint
    stored = {}

    class Model:
        name = 'evil.pth'

        def download(self, target):
            with open(target, 'wb') as f:
                f.write(stored['bytes'])

    pavi = types.ModuleType('pavi')
    pavi.modelcloud = types.SimpleNamespace(get=lambda path: Model())
    monkeypatch.setitem(sys.modules, 'pavi', pavi)

    def load(path):
        stored['bytes'] = open(path, 'rb').read()
        _load_checkpoint('pavi://models/evil')

    _refused_with_variable_set(tmp_path, monkeypatch, load,
                               source='pavi://models/evil')


def case_env_third_party_scheme(tmp_path, monkeypatch):
    """A scheme another library registers, loading with a bare torch.load:
    hsrcount cannot make it pass weights_only, so it refuses it while the
    variable is set."""
    from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint
    monkeypatch.setattr(CheckpointLoader, '_schemes',
                        dict(CheckpointLoader._schemes))
    files = {}

    def load_from_mystore(filename, map_location=None):
        return torch.load(files[filename], map_location=map_location)

    CheckpointLoader.register_scheme('mystore://', load_from_mystore)

    def load(path):
        files['mystore://evil'] = path
        _load_checkpoint('mystore://evil')

    _refused_with_variable_set(tmp_path, monkeypatch, load,
                               source='mystore://evil')


def case_env_torch_ignores_explicit_flag(tmp_path, monkeypatch):
    """Should a torch let the variable override weights_only=True, the
    loader must notice and refuse rather than unpickle freely."""
    real_load = torch.load

    def load_ignoring_flag(*args, **kwargs):
        if os.environ.get(FORCE_OFF) == '1':
            kwargs['weights_only'] = False
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', load_ignoring_flag)
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    _refused_with_variable_set(tmp_path, monkeypatch, load_checkpoint_safely)


# -- strict resume and load_from ----------------------------------------------


def _crowd_runner():
    from hsrcount.engine import CrowdRunner
    return CrowdRunner


def _edited_checkpoint(tmp_path, edit, weights_only=False):
    """``iter_2.pth`` of a toy run with its state dict edited."""
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    source = trained_toy(tmp_path, 'source') / 'iter_2.pth'
    checkpoint = load_checkpoint_safely(source)
    edit(checkpoint['state_dict'])
    if weights_only:
        checkpoint = dict(state_dict=checkpoint['state_dict'])
    path = tmp_path / 'edited.pth'
    torch.save(checkpoint, path)
    return path


def _wrong_first_layer(state):
    state['backbone.weight'] = torch.zeros(3, 5)


def _no_head(state):
    del state['head.weight'], state['head.bias']


def case_resume_wrong_first_layer(tmp_path, monkeypatch):
    path = _edited_checkpoint(tmp_path, _wrong_first_layer)
    runner = toy_runner(tmp_path / 'work', _crowd_runner(), max_iters=4,
                        load_from=str(path), resume=True)
    with expect('CheckpointMismatchError', str(path),
                'size mismatch for backbone.weight: checkpoint (3, 5), '
                'model (3, 2)'):
        runner.train()


def case_resume_without_head(tmp_path, monkeypatch):
    path = _edited_checkpoint(tmp_path, _no_head)
    runner = toy_runner(tmp_path / 'work', _crowd_runner(), max_iters=4,
                        load_from=str(path), resume=True)
    with expect('CheckpointMismatchError', str(path), 'missing keys',
                'head.weight, head.bias'):
        runner.train()


def case_resume_weights_only_file(tmp_path, monkeypatch):
    path = _edited_checkpoint(tmp_path, lambda state: None,
                              weights_only=True)
    runner = toy_runner(tmp_path / 'work', _crowd_runner(), max_iters=4,
                        load_from=str(path), resume=True)
    with expect('InvalidCheckpointError', str(path), 'weights only',
                f'load_from={path}'):
        runner.train()


def case_load_from_without_head_strict(tmp_path, monkeypatch):
    path = _edited_checkpoint(tmp_path, _no_head)
    runner = toy_runner(tmp_path / 'work', _crowd_runner(),
                        load_from=str(path))
    with expect('CheckpointMismatchError', str(path), 'head.weight'):
        runner.train()


def case_load_from_not_strict_lists_what_did_not_load(tmp_path,
                                                       monkeypatch):
    def edit(state):
        _no_head(state)
        _wrong_first_layer(state)
        state['extra.weight'] = torch.zeros(1)

    path = _edited_checkpoint(tmp_path, edit)
    work_dir = tmp_path / 'work'
    start = StartState()
    runner = toy_runner(work_dir, _crowd_runner(), max_iters=1, interval=1,
                        load_from=str(path), custom_hooks=[start],
                        cfg=dict(load_from_strict=False))
    initial = {k: v.clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    log = ''.join(p.read_text() for p in work_dir.glob('*/*.log'))
    assert 'did not load' in log
    assert 'backbone.weight: checkpoint (3, 5), model (3, 2)' in log
    assert 'head.weight, head.bias' in log
    assert 'extra.weight' in log
    # What fitted loaded; the rest kept its initial values.
    assert torch.equal(start.state['backbone.bias'],
                       load_state(path)['backbone.bias'])
    for key in ('backbone.weight', 'head.weight', 'head.bias'):
        assert torch.equal(start.state[key], initial[key])


class StartState(Hook):
    """The weights training starts from (after loading)."""

    priority = 'LOWEST'

    def before_train(self, runner):
        self.state = {
            k: v.clone()
            for k, v in runner.model.state_dict().items()
        }


def load_state(path):
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    return load_checkpoint_safely(path)['state_dict']


# -- non-float and non-finite weights -----------------------------------------


def _demo_checkpoint(tmp_path, edit):
    model = save_demo_checkpoint(tmp_path / 'demo.pth')
    state = model.state_dict()
    name = next(k for k, v in state.items() if v.is_floating_point())
    edit(state, name)
    path = tmp_path / 'edited_demo.pth'
    torch.save(dict(state_dict=state, meta={}), path)
    return path, name


def case_int8_weights(tmp_path, monkeypatch):
    from hsrcount.apis import init_model

    def edit(state, name):
        state[name] = state[name].to(torch.int8)

    path, name = _demo_checkpoint(tmp_path, edit)
    with expect('InvalidCheckpointError', str(path), repr(name),
                'torch.int8'):
        init_model(DEMO_CONFIG, str(path))


def case_nan_weights(tmp_path, monkeypatch):
    from hsrcount.apis import init_model

    def edit(state, name):
        state[name].view(-1)[:3] = float('nan')

    path, name = _demo_checkpoint(tmp_path, edit)
    with expect('InvalidCheckpointError', str(path), repr(name),
                '3 non-finite value(s)'):
        init_model(DEMO_CONFIG, str(path))


# -- allowlisted objects poisoning state --------------------------------------


@pytest.fixture
def history_buffer_table():
    """Puts HistoryBuffer's class table back whatever a case did to it."""
    HistoryBuffer()
    saved = dict(HistoryBuffer._statistics_methods)
    yield saved
    HistoryBuffer._statistics_methods.clear()
    HistoryBuffer._statistics_methods.update(saved)


def _buffer_with_state(state):
    """A HistoryBuffer that pickles as ``state`` (its __setstate__ input)."""
    buffer = HistoryBuffer([1.0], [1])
    buffer.__getstate__ = lambda: dict(state)
    return buffer


def _message_hub_checkpoint(tmp_path, buffer):
    path = tmp_path / 'poisoned.pth'
    torch.save(dict(meta=dict(iter=2, epoch=0), state_dict={},
                    message_hub=dict(log_scalars={'train/loss': buffer},
                                     runtime_info={}, resumed_keys={})),
               path)
    return path


def case_history_buffer_rewrites_class_table(tmp_path, monkeypatch):
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    buffer = _buffer_with_state(
        dict(max_length=10, _log_history=np.array([1.0]),
             _count_history=np.array([1]), statistics_methods={'mean': 7}))
    path = _message_hub_checkpoint(tmp_path, buffer)
    try:
        with expect('UnsafeCheckpointError', str(path), "'mean'"):
            load_checkpoint_safely(path)
    finally:
        poisoned = HistoryBuffer._statistics_methods.get('mean')
    assert poisoned is HistoryBuffer.mean, 'the class table was changed'


def case_history_buffer_malformed(tmp_path, monkeypatch):
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    for bad in ('string_history', 'negative_max_length', 'extra_attribute'):
        state = dict(max_length=10, _log_history=np.array([1.0]),
                     _count_history=np.array([1]))
        if bad == 'string_history':
            state['_log_history'] = 'not an array'
        elif bad == 'negative_max_length':
            state['max_length'] = -1
        else:
            state['statistics'] = 'shadows the method'
        path = _message_hub_checkpoint(tmp_path, _buffer_with_state(state))
        with expect('InvalidCheckpointError', str(path),
                    "['message_hub']['log_scalars']['train/loss']"):
            load_checkpoint_safely(path)


# -- damaged and foreign files ------------------------------------------------


def _record_offset(path, member_suffix):
    """Where the bytes of a zip member start in the file."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist()
                    if i.filename.endswith(member_suffix))
    data = open(path, 'rb').read()
    name_len, extra_len = struct.unpack(
        '<HH', data[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len, info


def _wrong_record_size(path):
    torch.save(dict(state_dict=dict(w=torch.zeros(10))), path)
    with zipfile.ZipFile(path) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    with zipfile.ZipFile(path, 'w') as archive:
        for name, data in members.items():
            archive.writestr(name, data[:8] if '/data/' in name else data)


def _foreign_zip(path):
    with zipfile.ZipFile(path, 'w') as archive:
        archive.writestr('a.txt', 'hi')


FOREIGN_FILES = dict(
    foreign_zip=(_foreign_zip, 'zip archive'),
    wrong_record_size=(_wrong_record_size, 'record size'),
    jpeg=(lambda p: p.write_bytes(b'\xff\xd8\xff\xe0' + bytes(200)),
          'JPEG image'),
    json=(lambda p: p.write_text('{"state_dict": {}}'), 'JSON'),
    random_bytes=(lambda p: p.write_bytes(
        np.random.default_rng(0).bytes(300)), 'not a torch checkpoint'),
)


def _case_foreign(kind):

    def case(tmp_path, monkeypatch):
        from hsrcount.engine.checkpoint import load_checkpoint_safely
        write, fragment = FOREIGN_FILES[kind]
        path = tmp_path / f'{kind}.pth'
        write(path)
        with expect('CorruptCheckpointError', str(path), fragment):
            load_checkpoint_safely(path)

    return case


def case_list_checkpoint(tmp_path, monkeypatch):
    from hsrcount.apis import init_model
    path = tmp_path / 'list.pth'
    torch.save([torch.zeros(2)], path)
    with expect('InvalidCheckpointError', str(path), 'holds a list'):
        init_model(DEMO_CONFIG, str(path))


def case_real_pickle_payload_is_unsafe(tmp_path, monkeypatch):
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    path, marker = _evil_file(tmp_path)
    with expect('UnsafeCheckpointError', str(path), 'posix.system'):
        load_checkpoint_safely(path)
    assert not marker.exists()


# -- checksums ----------------------------------------------------------------


def case_flipped_byte(tmp_path, monkeypatch):
    from hsrcount.engine.checkpoint import load_checkpoint_safely
    work_dir = trained_toy(tmp_path)
    path = work_dir / 'iter_2.pth'
    sums = path.with_name('iter_2.pth.sha256')
    assert sums.read_text().split() == [
        __import__('hashlib').sha256(path.read_bytes()).hexdigest(),
        'iter_2.pth'
    ]
    offset, _ = _record_offset(path, '/data/0')
    data = bytearray(path.read_bytes())
    data[offset + 1] ^= 0x01  # inside a weight: torch would load it
    path.write_bytes(bytes(data))
    with expect('CorruptCheckpointError', str(path), str(sums),
                'changed after the save'):
        load_checkpoint_safely(path)


# -- one run per work dir -----------------------------------------------------

HOLD_LOCK = '''
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location('work_dir_lock', sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.WorkDirLock(sys.argv[2]).acquire()
print('locked', flush=True)
time.sleep(600)
'''


def case_lock_refuses_live_and_ignores_killed(tmp_path, monkeypatch):
    from hsrcount.engine import WorkDirLock, work_dir_lock
    work_dir = tmp_path / 'work'
    holder = subprocess.Popen(
        [sys.executable, '-c', HOLD_LOCK, work_dir_lock.__file__,
         str(work_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'locked'
        with expect('WorkDirInUseError', str(work_dir),
                    f'pid {holder.pid} on host {socket.gethostname()}'):
            WorkDirLock(str(work_dir)).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The killed holder's entry is still in the file, and does not block.
    lock = WorkDirLock(str(work_dir)).acquire()
    try:
        assert lock.previous['pid'] == holder.pid
        entry = json.loads((work_dir / 'train.lock').read_text())
        assert entry['pid'] == os.getpid()
    finally:
        lock.release()


def case_lock_without_lockf_uses_pid_and_host(tmp_path, monkeypatch):
    import errno

    from hsrcount.engine import WorkDirLock, work_dir_lock

    def no_locks(fd, cmd):
        raise OSError(errno.ENOLCK, 'No locks available')

    monkeypatch.setattr(work_dir_lock.fcntl, 'lockf', no_locks)
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    lock_file = work_dir / 'train.lock'
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()
    here = socket.gethostname()
    for pid, host, refused in ((dead.pid, here, False),
                               (os.getppid(), here, True),
                               (dead.pid, 'another-host', True)):
        lock_file.write_text(json.dumps(dict(pid=pid, host=host)))
        if refused:
            with expect('WorkDirInUseError', f'pid {pid} on host {host}'):
                WorkDirLock(str(work_dir)).acquire()
        else:
            WorkDirLock(str(work_dir)).acquire().release()


# -- temporary files ----------------------------------------------------------


def case_planted_tmp_symlink(tmp_path, monkeypatch):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    victims = {}
    for name in ('iter_2.pth.tmp', 'last_checkpoint.tmp'):
        victim = tmp_path / f'victim_{name}'
        victim.write_text('precious')
        os.symlink(victim, work_dir / name)
        victims[name] = victim
    toy_runner(work_dir).train()
    for victim in victims.values():
        assert victim.read_text() == 'precious'
    assert load_state(work_dir / 'iter_2.pth')


def case_exclusive_temp_name(tmp_path, monkeypatch):
    from hsrcount.utils import atomic_io
    names = iter(['deadbeef', 'cafebabe'])
    monkeypatch.setattr(atomic_io.secrets, 'token_hex',
                        lambda n: next(names))
    victim = tmp_path / 'victim'
    victim.write_text('precious')
    target = tmp_path / 'out.txt'
    os.symlink(victim, tmp_path / 'out.txt.deadbeef.tmp')
    atomic_io.atomic_write('new', target)
    assert target.read_text() == 'new'
    assert victim.read_text() == 'precious'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'out.txt', 'out.txt.deadbeef.tmp', 'victim'
    ]


def case_stale_temps_removed(tmp_path, monkeypatch):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'iter_2.pth.0123abcd.tmp').write_bytes(b'half a checkpoint')
    (work_dir / 'notes.tmp').write_text('not ours')
    toy_runner(work_dir).train()
    assert not (work_dir / 'iter_2.pth.0123abcd.tmp').exists()
    assert (work_dir / 'notes.tmp').exists()


# -- huge images --------------------------------------------------------------


def infer_module():
    """``tools/infer.py`` imported as a module."""
    spec = importlib.util.spec_from_file_location(
        f'infer_{uuid.uuid4().hex[:6]}', osp.join(REPO_ROOT, 'tools',
                                                  'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_infer(monkeypatch, capsys, *args):
    """``infer.py`` in this process; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', Image.MAX_IMAGE_PIXELS)
    monkeypatch.setattr(sys, 'argv', ['infer.py', *map(str, args)])
    code = 0
    try:
        infer_module().main()
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope='module')
def demo_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp('demo') / 'demo.pth'
    save_demo_checkpoint(path)
    return path


def case_huge_image_refused(tmp_path, monkeypatch, capsys, demo_checkpoint):
    # 13378 x 13378 = 178,970,884 pixels, just over Pillow's 178,956,970.
    path = tmp_path / 'huge.png'
    Image.new('1', (13378, 13378)).save(path)
    code, out, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                               demo_checkpoint, path, '--out-dir',
                               tmp_path / 'out')
    assert code != 0
    assert f'{path}: 13378 x 13378 = 178970884 pixels is over the limit ' \
        'of 178956970 pixels' in err, err
    assert '--max-image-pixels 0' in err


def case_pixel_limit_flag(tmp_path, monkeypatch, capsys, demo_checkpoint):
    path = tmp_path / 'photo.png'
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(path)
    code, out, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                               demo_checkpoint, path, '--out-dir',
                               tmp_path / 'a', '--max-image-pixels', 1000)
    assert code != 0 and 'over the limit of 1000 pixels' in err, err
    # Lifted, the image is counted even with Pillow's own guard set below
    # its size (Pillow refuses over twice MAX_IMAGE_PIXELS).
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 500)
    code, out, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                               demo_checkpoint, path, '--out-dir',
                               tmp_path / 'b', '--max-image-pixels', 0)
    assert code == 0, err
    assert f'{path}: ' in out and ' people' in out


# -- infer.py's results -------------------------------------------------------


def _images(folder, count, size=(20, 16)):
    folder.mkdir()
    rng = np.random.default_rng(1)
    paths = []
    for i in range(count):
        path = folder / f'img_{i:02d}.png'
        Image.fromarray(rng.integers(0, 256, (*size, 3), np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _rows(csv_path):
    with open(csv_path, newline='') as f:
        return list(csv.reader(f))


KILL_AFTER = '''
import os, signal, sys
sys.path.insert(0, {tools!r})
import infer
real_call = infer.Counter.__call__
done = [0]

def call_then_die(self, img):
    if done[0] == {n}:
        os.kill(os.getpid(), signal.SIGKILL)
    done[0] += 1
    return real_call(self, img)

infer.Counter.__call__ = call_then_die
sys.argv = ['infer.py'] + {args!r}
infer.main()
'''


def case_infer_killed_keeps_rows_and_resumes(tmp_path, monkeypatch, capsys,
                                             demo_checkpoint):
    paths = _images(tmp_path / 'photos', 6)
    out_dir = tmp_path / 'out'
    args = [DEMO_CONFIG, str(demo_checkpoint), str(tmp_path / 'photos'),
            '--out-dir', str(out_dir), '--no-overlay']
    script = KILL_AFTER.format(tools=osp.join(REPO_ROOT, 'tools'), n=4,
                               args=args)
    proc = subprocess.run([sys.executable, '-c', script], env=tool_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    rows = _rows(out_dir / 'counts.csv')
    assert rows[0] == ['source', 'count']
    assert [r[0] for r in rows[1:]] == paths[:4], 'rows lost by the kill'

    code, out, err = run_infer(monkeypatch, capsys, *args)
    assert code == 0, err
    rows = _rows(out_dir / 'counts.csv')
    assert [r[0] for r in rows[1:]] == paths, 'each image exactly once'
    assert '6 image(s) counted' in out and '(4 in counts.csv from an ' \
        'earlier run)' in out


def case_infer_rerun_of_another_run_refused(tmp_path, monkeypatch, capsys,
                                            demo_checkpoint):
    paths = _images(tmp_path / 'photos', 1)
    out_dir = tmp_path / 'out'
    code, _, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                             demo_checkpoint, paths[0], '--out-dir', out_dir)
    assert code == 0, err
    before = (out_dir / 'counts.csv').read_text()
    code, _, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                             demo_checkpoint, paths[0], '--out-dir', out_dir,
                             '--max-pixels', 0)
    assert code != 0
    assert 'holds counts of another run (these differ: max_pixels)' in err
    assert (out_dir / 'counts.csv').read_text() == before
    code, _, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                             demo_checkpoint, paths[0], '--out-dir', out_dir,
                             '--max-pixels', 0, '--overwrite')
    assert code == 0, err
    assert len(_rows(out_dir / 'counts.csv')) == 2


def case_infer_torn_last_row_dropped(tmp_path, monkeypatch, capsys,
                                     demo_checkpoint):
    paths = _images(tmp_path / 'photos', 2)
    out_dir = tmp_path / 'out'
    args = [DEMO_CONFIG, demo_checkpoint, tmp_path / 'photos', '--out-dir',
            out_dir, '--no-overlay']
    assert run_infer(monkeypatch, capsys, *args)[0] == 0
    full = _rows(out_dir / 'counts.csv')
    text = (out_dir / 'counts.csv').read_text()
    (out_dir / 'counts.csv').write_text(text[:-4])  # torn second row
    code, out, err = run_infer(monkeypatch, capsys, *args)
    assert code == 0, err
    assert _rows(out_dir / 'counts.csv') == full
    assert paths[1] in (out_dir / 'counts.csv').read_text()


def _video(path, frames=30):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (32, 24))
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 256, (24, 32, 3), np.uint8))
    writer.release()


def case_infer_truncated_video(tmp_path, monkeypatch, capsys,
                               demo_checkpoint):
    path = tmp_path / 'street.avi'
    _video(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    cap = cv2.VideoCapture(str(path))
    declared = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    assert declared == 30
    code, out, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                               demo_checkpoint, path, '--out-dir',
                               tmp_path / 'out', '--no-overlay')
    read = len(_rows(tmp_path / 'out' / 'counts.csv')) - 1
    assert 0 < read < 30
    assert code != 0
    assert f'{path}: read {read} of the 30 frames its container declares' \
        in err
    assert f'{read} frame(s) counted' in out


def case_infer_whole_video_passes(tmp_path, monkeypatch, capsys,
                                  demo_checkpoint):
    path = tmp_path / 'street.avi'
    _video(path, frames=6)
    code, out, err = run_infer(monkeypatch, capsys, DEMO_CONFIG,
                               demo_checkpoint, path, '--out-dir',
                               tmp_path / 'out', '--no-overlay', '--every',
                               2)
    assert code == 0, err
    assert [r[0] for r in _rows(tmp_path / 'out' / 'counts.csv')[1:]] == [
        f'{path}#{i}' for i in (0, 2, 4)
    ]
    assert '3 frame(s) counted' in out and 'warning' not in err


# -- the matrix ---------------------------------------------------------------

CASES = {
    name[len('case_'):]: func
    for name, func in sorted(globals().items())
    if name.startswith('case_') and callable(func)
}
CASES.update({kind: _case_foreign(kind) for kind in FOREIGN_FILES})
NEEDS_DEMO = {name for name, func in CASES.items()
              if 'demo_checkpoint' in func.__code__.co_varnames[
                  :func.__code__.co_argcount]}


#: Cases that start a tool process (several seconds each).
SLOW_CASES = {'infer_killed_keeps_rows_and_resumes'}


@pytest.mark.parametrize('case', [
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW_CASES else name
    for name in sorted(CASES)
])
def test_adversarial(case, tmp_path, monkeypatch, capsys,
                     history_buffer_table, request):
    func = CASES[case]
    kwargs = {}
    names = func.__code__.co_varnames[:func.__code__.co_argcount]
    if 'capsys' in names:
        kwargs['capsys'] = capsys
    if case in NEEDS_DEMO:
        kwargs['demo_checkpoint'] = request.getfixturevalue(
            'demo_checkpoint')
    func(tmp_path, monkeypatch, **kwargs)


# -- the tools, end to end ----------------------------------------------------


def _tool_case_resume_wrong_shape(tmp_path):
    """train.py --resume of a checkpoint whose first conv has another
    shape: stops, naming the file and the layer."""
    model = save_demo_checkpoint(tmp_path / 'demo.pth')
    state = model.state_dict()
    first = next(iter(state))
    state[first] = torch.zeros(state[first].shape[0] + 1,
                               *state[first].shape[1:])
    path = tmp_path / 'resumable.pth'
    torch.save(dict(state_dict=state, meta=dict(epoch=0, iter=2),
                    message_hub=dict(log_scalars={}, runtime_info={},
                                     resumed_keys={})), path)
    proc = run_tool('train.py', DEMO_CONFIG, '--resume', path,
                    '--work-dir', tmp_path / 'work', '--cfg-options',
                    *tiny_demo_options(tmp_path / 'data'))
    return proc, ['CheckpointMismatchError', f'{path}: does not fit',
                  f'size mismatch for {first}']


def _tool_case_resume_weights_only(tmp_path):
    path = tmp_path / 'weights.pth'
    save_demo_checkpoint(path)
    proc = run_tool('train.py', DEMO_CONFIG, '--resume', path,
                    '--work-dir', tmp_path / 'work', '--cfg-options',
                    *tiny_demo_options(tmp_path / 'data'))
    return proc, ['InvalidCheckpointError', 'weights only',
                  f'load_from={path}']


def _tool_case_load_from_open_mmlab_with_variable(tmp_path):
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    marker = tmp_path / 'MARKER'
    (home / 'evil.pth').write_bytes(evil_bytes(marker))
    (home / 'open_mmlab.json').write_text(json.dumps(dict(evil='evil.pth')))
    proc = run_tool('train.py', DEMO_CONFIG, '--work-dir', tmp_path / 'work',
                    '--cfg-options', *tiny_demo_options(tmp_path / 'data'),
                    'load_from=open-mmlab://evil', MMENGINE_HOME=str(home),
                    **{FORCE_OFF: '1'})
    assert not marker.exists(), 'the checkpoint ran its code'
    return proc, ['UnsafeCheckpointError', str(home / 'evil.pth')]


def _tool_case_test_nan_weights(tmp_path):
    path, name = _demo_checkpoint(
        tmp_path, lambda state, name: state[name].fill_(float('nan')))
    proc = run_tool('test.py', DEMO_CONFIG, path, '--work-dir',
                    tmp_path / 'work', '--cfg-options',
                    *tiny_demo_options(tmp_path / 'data'))
    assert 'MAE: nan' not in proc.stdout + proc.stderr
    return proc, ['InvalidCheckpointError', str(path), repr(name)]


def _tool_case_test_jpeg_is_corrupt(tmp_path):
    path = tmp_path / 'photo.jpg'
    path.write_bytes(b'\xff\xd8\xff\xe0' + bytes(200))
    proc = run_tool('test.py', DEMO_CONFIG, path, '--work-dir',
                    tmp_path / 'work', '--cfg-options',
                    *tiny_demo_options(tmp_path / 'data'))
    assert 'does not fit' not in proc.stderr
    return proc, ['CorruptCheckpointError', str(path), 'JPEG image']


def _tool_case_infer_int8_weights(tmp_path):
    path, name = _demo_checkpoint(
        tmp_path, lambda state, name: state.__setitem__(
            name, state[name].to(torch.int8)))
    image = tmp_path / 'crowd.png'
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    proc = run_tool('infer.py', DEMO_CONFIG, path, image, '--out-dir',
                    tmp_path / 'out')
    assert not (tmp_path / 'out' / 'counts.csv').exists()
    return proc, ['InvalidCheckpointError', str(path), repr(name)]


TOOL_CASES = {
    name[len('_tool_case_'):]: func
    for name, func in sorted(globals().items())
    if name.startswith('_tool_case_')
}


@pytest.mark.slow
@pytest.mark.parametrize('case', sorted(TOOL_CASES))
def test_tool(case, tmp_path):
    proc, fragments = TOOL_CASES[case](tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    for fragment in fragments:
        assert fragment in output, (fragment, output[-3000:])


STOP_CONFIG = '''
_base_ = {demo!r}
custom_imports = dict(imports=['stop_switch'], allow_failed_imports=False)
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(dataset=dict(data_root={data!r}, num_images=2,
                              img_size=(32, 32))))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root={data!r}, num_images=1, img_size=(32, 32)))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=4, val_interval=1000)
default_hooks = dict(checkpoint=dict(interval=2, save_best=None))
custom_hooks = [dict(type='FiniteLossHook'), dict(type='StopSwitchHook')]
'''


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, 'SIGKILL'), reason='POSIX only')
def test_second_run_in_a_work_dir_is_refused_and_killed_run_resumes(
        tmp_path):
    """train.py twice in one work dir: the second stops, naming the first;
    after the first is SIGKILLed, ``--resume`` is not blocked by its
    lock."""
    config = tmp_path / 'stop_demo.py'
    config.write_text(STOP_CONFIG.format(demo=DEMO_CONFIG,
                                         data=str(tmp_path / 'data')))
    work_dir = tmp_path / 'work'
    flag = tmp_path / 'stopped'
    train = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'),
             str(config), '--work-dir', str(work_dir)]
    env = tool_env(PYTHONPATH=f'{HERE}:{REPO_ROOT}')
    first = subprocess.Popen(
        train, cwd=REPO_ROOT, text=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(env, HSRCOUNT_TEST_STOP='iter:3',
                 HSRCOUNT_TEST_STOP_FLAG=str(flag)))
    try:
        deadline = time.monotonic() + 300
        while not flag.exists():
            assert first.poll() is None, 'first run ended early'
            assert time.monotonic() < deadline, 'first run too slow'
            time.sleep(0.1)
        second = subprocess.run(train, cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode != 0
        assert 'WorkDirInUseError' in second.stderr
        assert f'pid {first.pid} on host' in second.stderr
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert json.loads((work_dir / 'train.lock').read_text())['pid'] == \
        first.pid
    resumed = subprocess.run(train + ['--resume'], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr
    assert (work_dir / 'iter_4.pth').exists()
    assert (work_dir / 'train.lock').read_text() == ''  # released


@pytest.mark.slow
def test_infer_prints_the_count_of_one_image(tmp_path, demo_checkpoint):
    image = _images(tmp_path / 'photos', 1)[0]
    proc = run_tool('infer.py', DEMO_CONFIG, demo_checkpoint, image,
                    '--out-dir', tmp_path / 'out')
    assert proc.returncode == 0, proc.stderr[-3000:]
    count = float(_rows(tmp_path / 'out' / 'counts.csv')[1][1])
    lines = proc.stdout.splitlines()
    assert lines[-2:] == [
        f'{image}: {count:.1f} people',
        f'counts written to {tmp_path / "out" / "counts.csv"}, head '
        f'points to {tmp_path / "out" / "points.jsonl"}'
    ]
    assert '' not in lines


@pytest.mark.slow
def test_infer_summarises_a_folder(tmp_path, demo_checkpoint):
    _images(tmp_path / 'photos', 3)
    (tmp_path / 'photos' / 'broken.jpg').write_bytes(b'not an image')
    proc = run_tool('infer.py', DEMO_CONFIG, demo_checkpoint,
                    tmp_path / 'photos', '--out-dir', tmp_path / 'out')
    assert proc.returncode != 0  # the broken file
    counts = [float(c) for _, c in
              _rows(tmp_path / 'out' / 'counts.csv')[1:]]
    assert len(counts) == 3
    total = sum(counts)
    assert (f'3 image(s) counted: total {total:.1f}, mean '
            f'{total / 3:.2f} per image; 1 failure(s)') in proc.stdout
    assert 'could not count' in proc.stderr
