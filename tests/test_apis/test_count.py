"""hsrcount.apis.count: one call returns the count, the map and the points."""
import cv2
import numpy as np
import pytest
import torch

from hsrcount.apis import count, inference_model, tiled_inference
from hsrcount.models import CrowdCounter


@pytest.fixture
def model():
    torch.manual_seed(0)
    model = CrowdCounter(backbone=dict(type='MCNN'),
                         head=dict(type='PlainHead', in_channels=30,
                                   in_stride=4)).eval()
    torch.nn.init.constant_(model.head.conv_out.bias, 0.05)
    return model


def test_count_of_a_file_is_the_models_prediction(model, tmp_path):
    rng = np.random.default_rng(0)
    path = str(tmp_path / 'crowd.png')
    cv2.imwrite(path, rng.integers(0, 256, (60, 90, 3), dtype=np.uint8))
    result = count(path, model)
    expected = inference_model(model, path)
    assert result.count == pytest.approx(expected.pred_count)
    assert result.density.shape == (60, 90)
    assert result.density.sum() == pytest.approx(result.count, rel=1e-5)
    np.testing.assert_array_equal(result.points,
                                  expected.pred_points.numpy())
    assert result.points.shape == (round(result.count), 2)


def test_large_images_are_counted_by_tiles(model):
    img = np.random.default_rng(1).integers(0, 256, (100, 140, 3),
                                            dtype=np.uint8)
    result = count(img, model, max_pixels=64 * 64, tile_size=64,
                   overlap=16)
    tiled = tiled_inference(model, img, tile_size=64, overlap=16)
    assert result.count == pytest.approx(tiled.pred_count)
    model.point_extractor = None
    assert count(img, model).points.shape == (0, 2)
