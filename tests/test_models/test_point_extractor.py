"""Head points from density maps: recovered from rendered maps, as many as
the map counts, region by region."""
import numpy as np
import pytest
import torch

from hsrcount.datasets.density import render_density
from hsrcount.evaluation.localization import match_points
from hsrcount.models import CrowdCounter, DensityPeakPoints
from hsrcount.models.postprocessors import allocate_counts


def test_allocate_counts_by_largest_remainder():
    # floors 1, 0, 2, 0 = 3; two more go to the largest fractions .8, .6.
    masses = np.array([1.2, 0.8, 2.6, 0.1])
    np.testing.assert_array_equal(allocate_counts(masses, 5), [1, 1, 3, 0])
    # Fewer wanted than the floors give: the smallest fractions give back.
    np.testing.assert_array_equal(allocate_counts(masses, 2), [0, 0, 2, 0])
    assert allocate_counts(np.zeros(3), 0).sum() == 0


def _grid_points(n, spacing, origin=(20, 20)):
    side = int(np.ceil(np.sqrt(n)))
    xy = np.stack(np.meshgrid(np.arange(side), np.arange(side)), -1)
    return (xy.reshape(-1, 2)[:n] * spacing + origin).astype(np.float32)


def test_sparse_heads_recovered_exactly():
    rng = np.random.default_rng(0)
    points = _grid_points(30, 40) + rng.uniform(-5, 5, (30, 2))
    density = render_density(points, (300, 300), kernel='fixed', sigma=4.0)
    found = DensityPeakPoints()(density)
    assert len(found) == 30
    # Every head found within a pixel (the map's peak is its pixel centre).
    assert match_points(found, points, 1.0) == 30


def test_number_of_points_follows_each_regions_count():
    """A sparse left half with wide kernels and a dense right half: each
    half gets the points its own mass stands for, not a share decided by
    one peak-height threshold."""
    rng = np.random.default_rng(1)
    sparse = rng.uniform([10, 10], [140, 290], (6, 2)).astype(np.float32)
    dense = (_grid_points(120, 6, origin=(175, 40))
             + rng.uniform(-1, 1, (120, 2))).astype(np.float32)
    points = np.concatenate([sparse, dense])
    density = render_density(points, (300, 300))
    found = DensityPeakPoints()(density)
    assert len(found) == 126
    left = (found[:, 0] < 150).sum()
    assert left == 6
    assert match_points(found, points, 4.0) >= 120


def test_merged_peaks_split_at_their_heads():
    """Two heads 1.2 sigma apart make one peak; the basin counts 2 and the
    mixture fit puts the points near both heads."""
    points = np.array([[50.5, 50.5], [62.5, 50.5]], np.float32)
    density = render_density(points, (101, 113), kernel='fixed',
                             sigma=10.0)
    extractor = DensityPeakPoints()
    assert len(extractor.candidates(density)) == 1
    found = extractor(density)
    assert len(found) == 2
    assert match_points(found, points, 3.0) == 2


def test_noise_peaks_are_dropped_and_roi_respected():
    points = np.array([[20.5, 20.5], [60.5, 30.5]], np.float32)
    density = render_density(points, (50, 80), kernel='fixed', sigma=3.0)
    noisy = density + np.random.default_rng(2).uniform(0, 2e-4, density.shape)
    found = DensityPeakPoints()(noisy)
    assert match_points(found, points, 1.5) == 2
    assert len(found) == round(float(noisy.sum()))
    roi = np.zeros((50, 80), np.uint8)
    roi[:, :40] = 1
    inside = DensityPeakPoints()(density, roi=roi)
    np.testing.assert_allclose(inside, [[20.5, 20.5]], atol=0.5)


def test_empty_and_huge_maps():
    extractor = DensityPeakPoints(max_points=10)
    assert extractor(np.zeros((8, 8))).shape == (0, 2)
    assert extractor(-np.ones((8, 8))).shape == (0, 2)
    with pytest.raises(ValueError, match='max_points'):
        extractor(np.ones((8, 8)))
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        extractor(np.zeros((2, 8, 8)))


def test_same_map_same_points():
    rng = np.random.default_rng(3)
    points = rng.uniform(0, 120, (80, 2)).astype(np.float32)
    density = render_density(points, (120, 120))
    a, b = DensityPeakPoints()(density), DensityPeakPoints()(density)
    np.testing.assert_array_equal(a, b)


def test_counter_predictions_carry_points(make_batch):
    torch.manual_seed(0)
    model = CrowdCounter(
        backbone=dict(type='MCNN'),
        head=dict(type='PlainHead', in_channels=30, in_stride=4)).eval()
    torch.nn.init.constant_(model.head.conv_out.bias, 0.05)
    data = model.data_preprocessor(make_batch([(48, 64)]), False)
    with torch.no_grad():
        sample = model(**data, mode='predict')[0]
    assert sample.pred_points.shape == (round(sample.pred_count), 2)
    assert sample.pred_points.dtype == torch.float32
    inside = (sample.pred_points >= 0).all() and \
        (sample.pred_points[:, 0] <= 64).all() and \
        (sample.pred_points[:, 1] <= 48).all()
    assert inside
    model.point_extractor = None
    data = model.data_preprocessor(make_batch([(48, 64)]), False)
    with torch.no_grad():
        assert 'pred_points' not in model(**data, mode='predict')[0]
