"""Inference speed-up switches keep the model's outputs."""
import contextlib

import pytest
import torch
import torch.nn as nn

from hsrcount.apis.fast_paths import (apply_fast_paths, autocast_context,
                                      keep_float32_outputs, restore_tf32,
                                      set_tf32)
from hsrcount.models import CrowdCounter


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
