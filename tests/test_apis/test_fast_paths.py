"""Inference speed-up switches keep the model's outputs."""
import contextlib
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn

from hsrcount.apis import fast_paths, inference_model, init_model
from hsrcount.apis.fast_paths import (apply_fast_paths, autocast_context,
                                      default_fast_paths, keep_float32_outputs,
                                      resolve_fast_paths, restore_tf32,
                                      set_tf32)
from hsrcount.models import CrowdCounter

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')


def small_counter():
    torch.manual_seed(0)
    model = CrowdCounter(
        backbone=dict(type='VGG16', num_stages=3, out_indices=(1, 2),
                      num_pretrained_convs=0),
        neck=dict(type='ScaleFocusModule', in_channels=(128, 256),
                  reduction=16),
        head=dict(type='ScaleRecalibrationHead', in_channels=(128, 256),
                  strides=(2, 4), score_channels=(2, 3)))
    model.init_weights()
    # A positive output keeps relative comparisons meaningful.
    nn.init.constant_(model.head.fuse.bias, 1.0)
    return model.eval()


def batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(2, 3, 48, 64, generator=gen)


def test_autocast_context():
    assert isinstance(autocast_context('cpu', None), contextlib.nullcontext)
    conv = nn.Conv2d(3, 4, 3)
    with autocast_context('cpu', 'bf16'):
        assert conv(batch()).dtype == torch.bfloat16
    with autocast_context(torch.device('cpu'), None):
        assert conv(batch()).dtype == torch.float32
    with pytest.raises(ValueError, match="'bf16', 'fp16'"):
        autocast_context('cpu', 'int8')


def test_channels_last_keeps_outputs():
    model = small_counter()
    x = batch()
    with torch.no_grad():
        expected = model(x)
    layouts = []
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    first_conv.register_forward_pre_hook(
        lambda m, args: layouts.append(
            args[0].is_contiguous(memory_format=torch.channels_last)))
    assert apply_fast_paths(model, channels_last=True) is model
    assert first_conv.weight.is_contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        out = model(x)
    assert layouts == [True]
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-6)


def test_bf16_autocast_close_to_fp32():
    model = small_counter()
    x = batch()
    with torch.no_grad():
        expected = model(x)
        with autocast_context('cpu', 'bf16'):
            out = model(x)
    assert out.dtype == torch.bfloat16
    # bf16 keeps 8 bits of mantissa: about 0.4% per value; sums stay close.
    err = (out.float() - expected).abs().max() / expected.abs().max()
    assert err < 0.05
    assert out.float().sum() == pytest.approx(float(expected.sum()),
                                              rel=0.02, abs=1e-3)


def test_keep_float32_outputs_under_autocast():
    model = small_counter()
    handle = keep_float32_outputs(model)
    with torch.no_grad(), autocast_context('cpu', 'bf16'):
        d0, scale_maps = model.head(model.extract_feat(batch()),
                                    img_size=(48, 64))
        samples = model.predict(batch())
    assert d0.dtype == torch.float32
    assert all(m.dtype == torch.float32 for m in scale_maps)
    assert samples[0].pred_density.data.dtype == torch.float32
    handle.remove()
    with torch.no_grad(), autocast_context('cpu', 'bf16'):
        assert model(batch()).dtype == torch.bfloat16
    with pytest.raises(TypeError, match='no head'):
        keep_float32_outputs(nn.Conv2d(1, 1, 1))


def test_compile_wraps_tensor_parts_and_keeps_outputs():
    model = small_counter()
    x = batch()
    with torch.no_grad():
        expected = model(x)
    # The eager backend checks the wiring without a C++ compiler run.
    apply_fast_paths(model, compile=dict(backend='eager'))
    for part in (model.backbone, model.neck, model.head):
        assert part._compiled_call_impl is not None
    assert model._compiled_call_impl is None
    with torch.no_grad():
        out = model(x)
    torch.testing.assert_close(out, expected)


def test_compile_without_a_cpu_compiler_is_refused_up_front(monkeypatch):
    from torch._inductor import config as inductor_config
    monkeypatch.setattr(inductor_config.cpp, 'cxx',
                        ('/nonexistent/g++', ))
    model = small_counter()
    with pytest.raises(RuntimeError, match='needs a C\\+\\+ compiler'):
        apply_fast_paths(model, compile=True)
    for part in (model.backbone, model.neck, model.head):
        assert part._compiled_call_impl is None
    # A backend that builds no C++ does not need one.
    apply_fast_paths(model, compile=dict(backend='eager'))
    assert model.backbone._compiled_call_impl is not None


def test_set_tf32_round_trip():
    previous = set_tf32(True)
    try:
        assert torch.backends.cuda.matmul.fp32_precision == 'tf32'
        assert torch.backends.cudnn.conv.fp32_precision == 'tf32'
        set_tf32(False)
        assert torch.backends.cuda.matmul.fp32_precision == 'ieee'
        assert torch.backends.cudnn.conv.fp32_precision == 'ieee'
    finally:
        restore_tf32(previous)
    assert torch.backends.cuda.matmul.fp32_precision == previous['matmul']


def test_apply_fast_paths_rejects_non_modules():
    with pytest.raises(TypeError, match='nn.Module'):
        apply_fast_paths('model', channels_last=True)


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / 'cpuinfo'
    cpuinfo.write_text('processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 '
                       'sse\nprocessor\t: 1\nflags\t\t: other\n')
    assert fast_paths._cpu_flags(str(cpuinfo)) == {
        'fpu', 'avx512f', 'avx512_bf16', 'sse'}
    assert fast_paths._cpu_flags(str(tmp_path / 'missing')) == set()


@pytest.mark.parametrize('native', [True, False])
def test_default_fast_paths_per_device(monkeypatch, native):
    monkeypatch.setattr(fast_paths, 'cpu_has_native_bf16', lambda: native)
    assert default_fast_paths('cpu') == dict(
        channels_last=True, amp='bf16' if native else None)
    assert default_fast_paths(torch.device('cpu')) == \
        default_fast_paths('cpu')
    # GPUs keep every switch opt-in.
    assert default_fast_paths('cuda:1') == dict(channels_last=False,
                                                amp=None)


def test_resolve_fast_paths_lets_flags_override(monkeypatch):
    monkeypatch.setattr(fast_paths, 'cpu_has_native_bf16', lambda: True)
    assert resolve_fast_paths('cpu') == dict(channels_last=True, amp='bf16')
    assert resolve_fast_paths('cpu', amp=False, channels_last=False) == \
        dict(channels_last=False, amp=None)
    assert resolve_fast_paths('cuda', amp=True) == dict(channels_last=False,
                                                        amp='bf16')
    monkeypatch.setattr(fast_paths, 'cpu_has_native_bf16', lambda: False)
    assert resolve_fast_paths('cpu')['amp'] is None
    assert resolve_fast_paths('cpu', amp=True)['amp'] == 'bf16'


def conv_dtypes(model):
    """Record the output dtype of the model's first conv at each call."""
    dtypes = []
    conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    conv.register_forward_hook(lambda m, args, out: dtypes.append(out.dtype))
    return dtypes


def test_amp_runs_every_forward_in_bf16_with_float32_outputs():
    model = small_counter()
    x = batch()
    with torch.no_grad():
        expected = model(x)
    dtypes = conv_dtypes(model)
    apply_fast_paths(model, amp='bf16')
    with torch.no_grad():
        out = model(x)
        samples = model.test_step(dict(inputs=list(x)))
    assert dtypes == [torch.bfloat16, torch.bfloat16]
    assert out.dtype == torch.float32
    assert samples[0].pred_density.data.dtype == torch.float32
    assert torch.is_autocast_enabled('cpu') is False  # left after the call
    assert out.sum() == pytest.approx(float(expected.sum()), rel=0.02)
    # Training mode runs as without the switch.
    model.train()
    model(x)
    assert dtypes[-1] == torch.float32
    model.eval()
    # None takes it off again; a second amp replaces the first.
    apply_fast_paths(model, amp='bf16')
    apply_fast_paths(model, amp=None)
    with torch.no_grad():
        assert model(x).dtype == torch.float32
    assert dtypes[-1] == torch.float32
    with pytest.raises(ValueError, match='amp must be one of'):
        apply_fast_paths(model, amp='int8')


def test_amp_leaves_autocast_after_an_error():
    model = small_counter()
    apply_fast_paths(model, amp='bf16')
    with pytest.raises(RuntimeError):
        model(torch.randn(1, 5, 32, 32))  # wrong number of channels
    assert torch.is_autocast_enabled('cpu') is False


def test_amp_on_a_module_without_head_casts_its_output():
    conv = nn.Conv2d(3, 2, 3).eval()
    apply_fast_paths(conv, amp='bf16')
    with torch.no_grad():
        assert conv(batch()).dtype == torch.float32


def test_init_model_applies_the_device_defaults(monkeypatch):
    monkeypatch.setattr(fast_paths, 'cpu_has_native_bf16', lambda: True)
    model = init_model(DEMO)
    assert model.channels_last and model.fast_paths_amp == 'bf16'
    dtypes = conv_dtypes(model)
    img = np.random.default_rng(0).integers(0, 256, (48, 64, 3), np.uint8)
    result = inference_model(model, img)
    assert dtypes == [torch.bfloat16]
    assert result.pred_density.data.dtype == torch.float32
    plain = init_model(DEMO, fast_paths=None)
    assert not plain.channels_last
    assert getattr(plain, 'fast_paths_amp', None) is None
    custom = init_model(DEMO, fast_paths=dict(channels_last=True))
    assert custom.channels_last
    assert getattr(custom, 'fast_paths_amp', None) is None
    with pytest.raises(TypeError, match='fast_paths'):
        init_model(DEMO, fast_paths='fast')


def test_amp_model_can_be_copied_and_pickled():
    """EMA hooks and checkpoints deepcopy or pickle models; the autocast
    switch goes with the copy."""
    import copy
    import pickle
    model = small_counter()
    apply_fast_paths(model, amp='bf16')
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        dtypes = conv_dtypes(clone)
        with torch.no_grad():
            out = clone(batch())
        assert dtypes == [torch.bfloat16]
        assert out.dtype == torch.float32
