"""CrowdDataPreprocessor: normalisation, padding, masks, metainfo."""
import pytest
import torch

from hsrcount.models import CrowdDataPreprocessor
from hsrcount.structures import CrowdDataSample

MEAN = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)


def test_normalise_pad_and_stack(make_batch):
    data = make_batch([(20, 35), (33, 17)])
    raw = [img.clone() for img in data['inputs']]
    out = CrowdDataPreprocessor()(data, training=True)
    inputs = out['inputs']
    assert inputs.shape == (2, 3, 48, 48)
    for n, img in enumerate(raw):
        h, w = img.shape[1:]
        rgb = img.float()[[2, 1, 0]]
        torch.testing.assert_close(inputs[n, :, :h, :w], (rgb - MEAN) / STD)
        assert (inputs[n, :, h:] == 0).all() and (inputs[n, :, :, w:] == 0
                                                  ).all()
    for sample, img in zip(out['data_samples'], raw):
        h, w = img.shape[1:]
        assert sample.pad_shape == (48, 48)
        assert sample.batch_input_shape == (48, 48)
        assert sample.img_shape == (h, w)
        assert sample.padded_gt_density.shape == (1, 48, 48)
        torch.testing.assert_close(sample.padded_gt_density[:, :h, :w],
                                   sample.gt_density.data)
        assert sample.padded_gt_density.sum() == pytest.approx(
            sample.gt_density.data.sum().item())
        assert sample.valid_mask.sum() == h * w
        assert (sample.valid_mask[:, :h, :w] == 1).all()


def test_roi_enters_the_mask(make_batch):
    data = make_batch([(16, 16)])
    roi = torch.zeros(1, 16, 16, dtype=torch.uint8)
    roi[:, 4:10, 2:12] = 1
    data['data_samples'][0].roi = roi
    sample = CrowdDataPreprocessor(pad_size_divisor=32)(data)[
        'data_samples'][0]
    expected = torch.zeros(1, 32, 32)
    expected[:, 4:10, 2:12] = 1
    assert torch.equal(sample.valid_mask, expected)


def test_inference_without_gt_or_samples(make_batch):
    data = make_batch([(16, 20)], with_gt=False)
    sample = CrowdDataPreprocessor()(data)['data_samples'][0]
    assert 'padded_gt_density' not in sample
    assert sample.valid_mask.shape == (1, 16, 32)
    out = CrowdDataPreprocessor(bgr_to_rgb=False)(
        dict(inputs=torch.full((1, 3, 5, 5), 100, dtype=torch.uint8)))
    assert out['data_samples'] is None
    torch.testing.assert_close(out['inputs'][0, :, 0, 0],
                               ((100 - MEAN) / STD).flatten())


def test_errors(make_batch):
    data = make_batch([(16, 16)])
    data['data_samples'][0].gt_density = torch.zeros(1, 16, 15)
    with pytest.raises(ValueError, match=r'gt_density .*\(1, 16, 16\)'):
        CrowdDataPreprocessor()(data)
    data = make_batch([(16, 16)])
    data['data_samples'][0].set_metainfo(dict(img_shape=(16, 17)))
    with pytest.raises(ValueError, match='img_shape'):
        CrowdDataPreprocessor()(data)
    with pytest.raises(ValueError, match=r'expected \(3, H, W\)'):
        CrowdDataPreprocessor()(dict(inputs=[torch.zeros(1, 4, 4)]))
    with pytest.raises(ValueError, match='2 inputs but 1 data samples'):
        CrowdDataPreprocessor()(dict(
            inputs=[torch.zeros(3, 4, 4)] * 2,
            data_samples=[CrowdDataSample()]))


def test_pad_value_fills_the_padded_pixels_only(make_batch):
    """pad_value is the value of the padded (normalised) input pixels; the
    image keeps its normalised values and the GT and mask pad with 0."""
    data = make_batch([(10, 20), (16, 7)])
    raw = [img.clone() for img in data['inputs']]
    out = CrowdDataPreprocessor(pad_value=-3.5)(data)
    inputs = out['inputs']
    assert inputs.shape == (2, 3, 16, 32)
    for n, img in enumerate(raw):
        h, w = img.shape[1:]
        torch.testing.assert_close(inputs[n, :, :h, :w],
                                   (img.float()[[2, 1, 0]] - MEAN) / STD)
        pad = torch.ones(3, 16, 32, dtype=torch.bool)
        pad[:, :h, :w] = False
        torch.testing.assert_close(inputs[n][pad],
                                   torch.full((int(pad.sum()), ), -3.5))
        sample = out['data_samples'][n]
        assert sample.valid_mask.sum() == h * w
        assert (sample.padded_gt_density[:, h:] == 0).all()
        assert (sample.padded_gt_density[:, :, w:] == 0).all()
