"""A checkpoint that would run a command is refused by every hsrcount entry.

``tests/test_engine/test_checkpoint.py`` proves the allowlist on a toy
Runner. Here the same kind of file goes through hsrcount's own tools and
APIs, on the demo config: ``tools/train.py --resume CKPT``,
``tools/train.py --cfg-options load_from=CKPT``, ``tools/test.py CONFIG
CKPT``, ``tools/infer.py CONFIG CKPT IMAGE``, :func:`hsrcount.apis.init_model`
and the backbone's ``init_cfg=dict(type='Pretrained', checkpoint=CKPT)``.
Each must stop with an error naming the file and the refused global, and the
command inside must never run.
"""
import os

import numpy as np
import pytest
import torch
from PIL import Image
from reliability_helpers import DEMO_CONFIG, run_tool, tiny_demo_options

from hsrcount.apis import init_model
from hsrcount.engine import UnsafeCheckpointError
from hsrcount.registry import MODELS


class RunsCommand:
    """Unpickling this calls ``os.system(command)``."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


@pytest.fixture
def evil(tmp_path):
    """``(checkpoint path, marker path)``: loading it would create MARKER."""
    marker = tmp_path / 'MARKER'
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(meta=dict(iter=2), state_dict={'w': torch.zeros(1)},
             payload=RunsCommand(f'touch {marker}')), path)
    return path, marker


def assert_refused(proc, path, marker):
    """The tool failed, said why and which file, and ran nothing."""
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output[-3000:]
    assert 'UnsafeCheckpointError' in output, output[-3000:]
    assert f'Refused to load checkpoint {path}' in output
    assert 'posix.system' in output
    assert not marker.exists()


def tiny_args(tmp_path):
    return ['--work-dir', tmp_path / 'work', '--cfg-options',
            *tiny_demo_options(tmp_path / 'data')]


@pytest.mark.slow
def test_train_resume_refuses_code(evil, tmp_path):
    path, marker = evil
    proc = run_tool('train.py', DEMO_CONFIG, '--resume', path,
                    *tiny_args(tmp_path))
    assert_refused(proc, path, marker)


@pytest.mark.slow
def test_train_load_from_refuses_code(evil, tmp_path):
    path, marker = evil
    proc = run_tool('train.py', DEMO_CONFIG, *tiny_args(tmp_path),
                    f'load_from={path}')
    assert_refused(proc, path, marker)


@pytest.mark.slow
def test_test_tool_refuses_code(evil, tmp_path):
    path, marker = evil
    proc = run_tool('test.py', DEMO_CONFIG, path, *tiny_args(tmp_path))
    assert_refused(proc, path, marker)


def test_infer_tool_refuses_code(evil, tmp_path):
    path, marker = evil
    image = tmp_path / 'crowd.png'
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    proc = run_tool('infer.py', DEMO_CONFIG, path, image, '--out-dir',
                    tmp_path / 'out')
    assert_refused(proc, path, marker)
    assert not (tmp_path / 'out' / 'counts.csv').exists()


def test_init_model_refuses_code(evil):
    path, marker = evil
    with pytest.raises(UnsafeCheckpointError, match='posix.system') as info:
        init_model(DEMO_CONFIG, str(path))
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_pretrained_backbone_init_cfg_refuses_code(evil):
    path, marker = evil
    backbone = MODELS.build(
        dict(type='VGG16', init_cfg=dict(type='Pretrained',
                                         checkpoint=str(path))))
    with pytest.raises(UnsafeCheckpointError, match='posix.system') as info:
        backbone.init_weights()
    assert str(path) in str(info.value)
    assert not marker.exists()
