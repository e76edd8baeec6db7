"""tools/convert_checkpoint.py and .safetensors as a checkpoint format.

A real 2-iteration training run of the demo config writes the .pth; it is
converted to fp32 and bf16 safetensors, which are then loaded through
init_model, tools/test.py and ``load_from`` in a real Runner.
"""
import hashlib
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.hooks import Hook
from safetensors import safe_open
from tool_helpers import DEMO, REPO, run

from hsrcount.apis import inference_model, init_model
from hsrcount.datasets.synthetic import draw_crowd
from hsrcount.engine import (CorruptCheckpointError, CrowdRunner,
                             InvalidCheckpointError, check_resumable,
                             load_checkpoint_safely)
from hsrcount.utils import load_config, register_all_modules

TOOL = osp.join(REPO, 'tools', 'convert_checkpoint.py')
#: bf16 keeps 8 significant bits: each weight moves by at most 2^-9 of
#: itself. On this 2-iteration demo model and a 192 x 256 image of 40 heads
#: the density moved by at most 0.39 % of its peak and the count by 0.39 %
#: (measured when this test was written); the bounds leave 5x room.
BF16_MAP_TOL = 0.02  # of the map's peak
BF16_COUNT_TOL = 0.02  # relative


def data_options(data_root):
    return {
        'train_dataloader.dataset.dataset.data_root': str(data_root),
        'train_dataloader.dataset.dataset.num_images': 4,
        'val_dataloader.dataset.data_root': str(data_root),
        'val_dataloader.dataset.num_images': 2,
        'test_dataloader.dataset.data_root': str(data_root),
        'test_dataloader.dataset.num_images': 2,
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
    }


class RecordStart(Hook):
    """Keeps a copy of the weights training starts from."""

    def before_train(self, runner):
        self.weights = {k: v.detach().clone()
                        for k, v in runner.model.state_dict().items()}


def short_run(tmp, name, **extra):
    """A real CrowdRunner run of the demo config (2 iterations)."""
    register_all_modules()
    options = data_options(tmp / 'data')
    options.update(extra)
    cfg = load_config(DEMO, options)
    cfg.work_dir = str(tmp / name)
    cfg.experiment_name = f'{name}_{tmp.name}'
    runner = CrowdRunner.from_cfg(cfg)
    record = RecordStart()
    runner.register_hook(record, priority='LOWEST')
    runner.train()
    return runner, record


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """iter_2.pth of a real run, and its fp32 and bf16 conversions."""
    tmp = tmp_path_factory.mktemp('convert')
    short_run(tmp, 'train')
    pth = str(tmp / 'train' / 'iter_2.pth')
    fp32, bf16 = str(tmp / 'demo.safetensors'), str(tmp / 'bf16.safetensors')
    cli = run([sys.executable, '-m', 'hsrcount', 'convert', pth, fp32])
    low = run([sys.executable, TOOL, pth, bf16, '--dtype', 'bf16'])
    return tmp, pth, fp32, bf16, cli.stdout, low.stdout


def crowd_image(tmp):
    img, _, _ = draw_crowd(np.random.default_rng(5), (192, 256), 40)
    path = str(tmp / 'crowd.png')
    cv2.imwrite(path, img)
    return path


@pytest.mark.slow
def test_conversion_keeps_the_weights_only_with_a_checksum(converted):
    tmp, pth, fp32, bf16, stdout, bf16_stdout = converted
    full = torch.load(pth, weights_only=False)  # our own file
    assert {'optimizer', 'message_hub', 'meta'} <= set(full)
    digest = hashlib.sha256(open(fp32, 'rb').read()).hexdigest()
    assert open(fp32 + '.sha256').read() == \
        f'{digest}  demo.safetensors\n'
    assert f'sha256 {digest}' in stdout
    assert f'{osp.getsize(fp32)} bytes' in stdout
    with safe_open(fp32, 'pt') as f:
        assert set(f.keys()) == set(full['state_dict'])
        assert f.metadata()['dtype'] == 'fp32'
        assert f.metadata()['source'] == 'iter_2.pth'
        for key, value in full['state_dict'].items():
            assert torch.equal(f.get_tensor(key), value), key
    with safe_open(bf16, 'pt') as f:
        for key, value in full['state_dict'].items():
            stored = f.get_tensor(key)
            if value.is_floating_point():
                assert stored.dtype == torch.bfloat16
                assert torch.equal(stored, value.to(torch.bfloat16)), key
            else:  # batch-norm counters stay integers
                assert stored.dtype == value.dtype
                assert torch.equal(stored, value)
    # Half the bytes, less a header of the same size.
    weights = sum(v.numel() * 4 for v in full['state_dict'].values()
                  if v.is_floating_point())
    assert osp.getsize(fp32) - osp.getsize(bf16) == \
        pytest.approx(weights / 2, rel=0.01)
    assert 'bf16' in bf16_stdout


@pytest.mark.slow
def test_predictions_match_the_pth(converted):
    tmp, pth, fp32, bf16, _, _ = converted
    image = crowd_image(tmp)
    reference = inference_model(init_model(DEMO, pth, fast_paths=None),
                                image)
    same = inference_model(init_model(DEMO, fp32, fast_paths=None), image)
    assert torch.equal(same.pred_density.data, reference.pred_density.data)
    assert same.pred_count == reference.pred_count
    assert reference.pred_count > 0.5  # a map with something in it

    low = inference_model(init_model(DEMO, bf16, fast_paths=None), image)
    ref_map = reference.pred_density.data
    diff = (low.pred_density.data - ref_map).abs().max()
    assert diff <= BF16_MAP_TOL * ref_map.abs().max()
    assert low.pred_count == pytest.approx(reference.pred_count,
                                           rel=BF16_COUNT_TOL)


@pytest.mark.slow
def test_load_from_safetensors_in_a_training_run(converted):
    tmp, pth, fp32, bf16, _, _ = converted
    full = torch.load(pth, weights_only=False)['state_dict']
    _, record = short_run(tmp, 'finetune', load_from=fp32)
    assert set(record.weights) == set(full)
    for key, value in full.items():
        assert torch.equal(record.weights[key], value), key
    # Weights only: a resume is refused with a pointer to load_from.
    with pytest.raises(InvalidCheckpointError, match='load_from='):
        check_resumable(load_checkpoint_safely(fp32), fp32)


@pytest.mark.slow
def test_checksum_mismatch_and_truncation_fail_naming_the_file(converted):
    tmp, pth, fp32, _, _, _ = converted
    digest = open(fp32 + '.sha256').read().split()[0]
    init_model(DEMO, fp32, fast_paths=None, sha256=digest.upper())
    wrong = 'f' * 64
    with pytest.raises(CorruptCheckpointError,
                       match=f'{fp32}.*{wrong} was expected'):
        init_model(DEMO, fp32, fast_paths=None, sha256=wrong)
    with pytest.raises(ValueError, match='not 64 hex digits'):
        init_model(DEMO, fp32, fast_paths=None, sha256='abc')
    proc = run([sys.executable, 'tools/test.py', DEMO, fp32, '--work-dir',
                str(tmp / 'test'), '--checksum', wrong], check=False)
    assert proc.returncode != 0
    assert f'CorruptCheckpointError: Checkpoint {fp32}' in proc.stderr
    assert 'Traceback' not in proc.stderr
    proc = run([sys.executable, 'tools/infer.py', DEMO, fp32,
                crowd_image(tmp), '--out-dir', str(tmp / 'infer'),
                '--checksum', wrong], check=False)
    assert proc.returncode != 0
    assert f'CorruptCheckpointError: Checkpoint {fp32}' in proc.stderr
    assert f'{wrong} was expected' in proc.stderr
    assert 'Traceback' not in proc.stderr

    data = open(fp32, 'rb').read()
    cut = tmp / 'cut.safetensors'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError,
                       match=f'{cut}.*truncated'):
        init_model(DEMO, str(cut), fast_paths=None)
    # With the checksum of the whole file beside it, that check fails first.
    shutil.copy(fp32 + '.sha256', str(cut) + '.sha256')
    with pytest.raises(CorruptCheckpointError,
                       match=f'{cut}.*changed after the save'):
        init_model(DEMO, str(cut), fast_paths=None)
    # A .pth renamed .safetensors is named for what it is.
    renamed = tmp / 'renamed.safetensors'
    shutil.copy(pth, renamed)
    with pytest.raises(CorruptCheckpointError,
                       match='zip archive.*convert_checkpoint'):
        init_model(DEMO, str(renamed), fast_paths=None)


@pytest.mark.slow
def test_tools_take_the_right_checksum_and_refuse_an_empty_one(converted):
    """The right digest tests the model; an empty one (a failed
    ``$(cut ...)`` in a script) is refused, not skipped; a weights-only file
    cannot be resumed from, and train.py says to use load_from."""
    tmp, _, fp32, _, _, _ = converted
    digest = open(fp32 + '.sha256').read().split()[0]
    test_options = [f'{k}={v}' for k, v in data_options(tmp / 'data').items()]
    proc = run([sys.executable, 'tools/test.py', DEMO, fp32, '--work-dir',
                str(tmp / 'test_ok'), '--checksum', digest, '--cfg-options',
                *test_options])
    assert 'Test metrics: MAE' in proc.stdout + proc.stderr
    commands = {
        'test.py': [sys.executable, 'tools/test.py', DEMO, fp32,
                    '--work-dir', str(tmp / 'test_empty'), '--checksum', ''],
        'infer.py': [sys.executable, 'tools/infer.py', DEMO, fp32,
                     crowd_image(tmp), '--out-dir', str(tmp / 'infer_empty'),
                     '--checksum', ''],
    }
    for tool, command in commands.items():
        proc = run(command, check=False)
        assert proc.returncode != 0, tool
        assert 'not 64 hex digits' in proc.stderr, tool
        assert 'Traceback' not in proc.stderr, tool
    proc = run([sys.executable, 'tools/train.py', DEMO, '--work-dir',
                str(tmp / 'resume'), '--resume', fp32, '--cfg-options',
                *test_options], check=False)
    assert proc.returncode != 0
    assert 'load_from=' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_a_safetensors_file_named_pth_is_named(tmp_path):
    from safetensors.torch import save_file
    path = str(tmp_path / 'weights.pth')
    save_file({'w': torch.ones(2)}, path)
    with pytest.raises(CorruptCheckpointError,
                       match='weights.pth.*safetensors file.*'
                       'name it .safetensors'):
        load_checkpoint_safely(path)


def test_empty_and_foreign_files(tmp_path):
    empty = tmp_path / 'empty.safetensors'
    empty.write_bytes(b'')
    with pytest.raises(CorruptCheckpointError, match='empty.safetensors.*'
                       'the file is empty'):
        load_checkpoint_safely(empty)
    text = tmp_path / 'notes.safetensors'
    text.write_bytes(b'hello, this is not a model')
    with pytest.raises(CorruptCheckpointError,
                       match="notes.safetensors.*starts with bytes b'hello"):
        load_checkpoint_safely(text)
    with pytest.raises(FileNotFoundError, match='none.safetensors'):
        load_checkpoint_safely(tmp_path / 'none.safetensors')


def test_convert_refuses_a_non_safetensors_output(tmp_path):
    proc = run([sys.executable, TOOL, 'in.pth', str(tmp_path / 'out.bin')],
               check=False)
    assert proc.returncode == 2
    assert 'must end in .safetensors' in proc.stderr
