"""Tiled inference of large images: tiling, blending, stitching."""
import numpy as np
import pytest
import torch
import torch.nn as nn

from hsrcount.apis import inference_model
from hsrcount.apis.tiled import blend_windows, tile_starts, tiled_inference
from hsrcount.models import CrowdCounter


class TinyNet(nn.Module):
    """Two 3x3 convs at stride 1: every output pixel sees 5x5 input pixels."""

    def __init__(self):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return (self.convs(x), )


def positive_density(model):
    """Give the random head a positive bias so counts are far from zero."""
    nn.init.constant_(model.head.conv_out.bias, 1.0)
    return model.eval()


def tiny_counter():
    torch.manual_seed(0)
    return positive_density(CrowdCounter(
        backbone=TinyNet(),
        head=dict(type='PlainHead', in_channels=8, in_stride=1)))


def textured_image(h, w, seed=0):
    """Smooth random texture: uint8 (h, w, 3)."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (h // 8 + 2, w // 8 + 2, 3))
    img = np.kron(coarse, np.ones((8, 8, 1)))[:h, :w]
    return (img + rng.uniform(-20, 20, img.shape)).clip(0, 255).astype(
        np.uint8)


def test_tile_starts_hand_computed():
    # step = 128 - 32 = 96; the last origin is ceil((L - 128) / 16) * 16.
    assert tile_starts(300, 128, 32, 16) == [0, 96, 176]
    assert tile_starts(400, 128, 32, 16) == [0, 96, 192, 272]
    assert tile_starts(100, 128, 32, 16) == [0]
    assert tile_starts(128, 128, 32, 16) == [0]
    # No overlap: tiles abut.
    assert tile_starts(256, 128, 0, 16) == [0, 128]


def test_blend_windows_sum_to_one_and_ignore_inner_edges():
    length, tile, overlap = 400, 128, 32
    starts = tile_starts(length, tile, overlap, 16)
    ends = [min(s + tile, length) for s in starts]
    windows = blend_windows(starts, ends, length, overlap)
    total = np.zeros(length)
    for s, e, win in zip(starts, ends, windows):
        assert win.shape == (e - s, )
        assert (win >= 0).all()
        total[s:e] += win
    np.testing.assert_allclose(total, 1.0, rtol=1e-6)
    # Pixels within overlap / 4 of a shared edge get no weight.
    margin = overlap // 4
    for i, (s, e, win) in enumerate(zip(starts, ends, windows)):
        if i > 0:
            assert (win[:margin] == 0).all()
        if i < len(starts) - 1:
            assert (win[-margin:] == 0).all()
    # Border edges are not ramped.
    assert windows[0][0] == 1 and windows[-1][-1] == 1


def test_tiled_equals_whole_image_for_small_receptive_field():
    model = tiny_counter()
    img = textured_image(300, 400)
    whole = inference_model(model, img)
    tiled = tiled_inference(model, img, tile_size=128, overlap=32)
    assert tiled.pred_density.data.shape == (1, 300, 400)
    assert tiled.metainfo['num_tiles'] == 3 * 4
    # The 5x5 receptive field is inside the zero-weight margin (8 px), so
    # the stitched map is the whole-image map.
    torch.testing.assert_close(tiled.pred_density.data,
                               whole.pred_density.data, rtol=1e-4,
                               atol=1e-6)
    assert tiled.pred_count == pytest.approx(whole.pred_count, rel=1e-4)


def test_tiled_count_within_one_percent_with_strided_vgg():
    torch.manual_seed(0)
    model = positive_density(CrowdCounter(
        backbone=dict(type='VGG16', num_stages=2, out_indices=(1, ),
                      num_pretrained_convs=0),
        head=dict(type='PlainHead', in_channels=128, in_stride=2)))
    img = textured_image(300, 400, seed=1)
    whole = inference_model(model, img)
    tiled = tiled_inference(model, img, tile_size=128, overlap=32)
    assert abs(whole.pred_count) > 1
    assert tiled.pred_count == pytest.approx(whole.pred_count, rel=0.01)


def test_tiles_fed_to_the_model_are_bounded():
    model = tiny_counter()
    shapes = []
    model.backbone.register_forward_pre_hook(
        lambda module, args: shapes.append(tuple(args[0].shape)))
    img = textured_image(300, 400)
    single = tiled_inference(model, img, tile_size=128, overlap=32)
    assert len(shapes) == 12
    assert max(s[2] for s in shapes) == 128
    assert max(s[3] for s in shapes) == 128
    shapes.clear()
    batched = tiled_inference(model, img, tile_size=128, overlap=32,
                              batch_size=5)
    assert [s[0] for s in shapes] == [5, 5, 2]
    assert all(s[2] <= 128 and s[3] <= 128 for s in shapes)
    torch.testing.assert_close(batched.pred_density.data,
                               single.pred_density.data)


def test_tiled_rejects_bad_arguments():
    model = tiny_counter()
    img = textured_image(64, 64)
    with pytest.raises(ValueError, match='multiple of the model stride 16'):
        tiled_inference(model, img, tile_size=100)
    with pytest.raises(ValueError, match='overlap must be in'):
        tiled_inference(model, img, tile_size=128, overlap=120)
    with pytest.raises(ValueError, match='uint8 BGR'):
        tiled_inference(model, img.astype(np.float32), tile_size=128,
                        overlap=32)
    with pytest.raises(ValueError, match='batch_size'):
        tiled_inference(model, img, tile_size=128, overlap=32,
                        batch_size=0)


class FirstChannel(nn.Module):
    """The image itself as the only feature: density = pixel value."""

    def forward(self, x):
        return (x[:, :1], )


def test_tiled_points_equal_whole_image_points_without_seam_duplicates():
    from hsrcount.datasets.density import render_density
    rng = np.random.default_rng(0)
    heads = rng.uniform([4, 4], [396, 296], (40, 2)).astype(np.float32)
    heads[:3] = [[127.3, 60.2], [128.6, 200.1], [250.2, 95.7]]  # on seams
    density = render_density(heads, (300, 400), kernel='fixed', sigma=3.0)
    img = np.repeat(np.round(density / density.max() * 255).astype(
        np.uint8)[..., None], 3, axis=2)
    model = CrowdCounter(
        backbone=FirstChannel(),
        head=dict(type='PlainHead', in_channels=1, in_stride=1,
                  density_scale=float(img[..., 0].sum()) / 40),
        data_preprocessor=dict(type='CrowdDataPreprocessor', mean=(0, 0, 0),
                               std=(1, 1, 1))).eval()
    nn.init.ones_(model.head.conv_out.weight)
    nn.init.zeros_(model.head.conv_out.bias)
    whole = inference_model(model, img)
    tiled = tiled_inference(model, img, tile_size=128, overlap=32)
    assert tiled.metainfo['num_tiles'] > 1
    assert len(whole.pred_points) == 40
    # The stitched map equals the whole one up to float rounding: every
    # point has its twin, one to one, so no head is found twice at a seam.
    from hsrcount.evaluation import match_points
    assert len(tiled.pred_points) == 40
    assert match_points(tiled.pred_points.numpy(),
                        whole.pred_points.numpy(), 2.0) == 40
    assert match_points(tiled.pred_points.numpy(), heads, 2.0) == 40
