import numpy as np
import pytest
from scipy.ndimage import gaussian_filter
from scipy.spatial.distance import cdist

from hsrcount.datasets.density import (adaptive_sigmas, points_inside,
                                       render_density)


def reference_density(points, shape, sigmas, truncate=4.0):
    """One full-image gaussian_filter per head (the slow, obvious way)."""
    out = np.zeros(shape)
    for (x, y), s in zip(points, sigmas):
        onehot = np.zeros(shape)
        onehot[min(int(np.floor(y)), shape[0] - 1),
               min(int(np.floor(x)), shape[1] - 1)] = 1
        out += gaussian_filter(onehot, s, mode='constant', truncate=truncate)
    return out


def random_points(rng, n, shape):
    h, w = shape
    return np.stack([rng.uniform(0, w, n), rng.uniform(0, h, n)], axis=1)


def test_adaptive_sigmas_match_brute_force():
    rng = np.random.default_rng(0)
    pts = random_points(rng, 30, (50, 60))
    d = cdist(pts, pts)
    np.fill_diagonal(d, np.inf)
    expected = 0.3 * np.sort(d, axis=1)[:, :3].mean(axis=1)
    np.testing.assert_allclose(adaptive_sigmas(pts, k=3, beta=0.3), expected)


def test_adaptive_sigmas_few_neighbours_and_lone_head():
    # Two heads 10 px apart: each has one neighbour, fewer than k=3.
    pts = np.array([[0., 0.], [6., 8.]])
    np.testing.assert_allclose(adaptive_sigmas(pts, k=3, beta=0.5), [5, 5])
    np.testing.assert_allclose(
        adaptive_sigmas(pts[:1], k=3, beta=0.3, fallback=7.5), [7.5])
    assert adaptive_sigmas(np.zeros((0, 2))).shape == (0, )


@pytest.mark.parametrize('kernel', ['adaptive', 'fixed'])
def test_constant_border_matches_gaussian_filter(kernel):
    rng = np.random.default_rng(1)
    shape = (40, 52)
    # Points near the border too, so truncation at the edge is exercised.
    pts = random_points(rng, 25, shape)
    pts = np.concatenate([pts, [[0.2, 0.3], [51.9, 39.5], [52., 40.]]])
    sigmas = (adaptive_sigmas(pts, fallback=3.0) if kernel == 'adaptive'
              else np.full(len(pts), 3.0))
    ours = render_density(pts, shape, kernel=kernel, sigma=3.0,
                          border='constant')
    ref = reference_density(pts, shape, sigmas)
    assert ours.dtype == np.float32 and ours.shape == shape
    np.testing.assert_allclose(ours, ref, atol=1e-6 * ref.max())
    assert ours.sum() < len(pts)  # mass lost at the border


def test_renormalize_sums_to_heads_inside():
    rng = np.random.default_rng(2)
    shape = (30, 40)
    pts = np.concatenate([
        random_points(rng, 20, shape),
        [[0., 0.], [40., 30.]],  # on the image's corners: inside
        [[-1., 5.], [41., 2.], [3., 30.5]],  # outside: skipped
    ])
    for kernel in ('adaptive', 'fixed'):
        dens = render_density(pts, shape, kernel=kernel, sigma=5.0)
        assert dens.sum() == pytest.approx(22, rel=1e-5)
        assert (dens >= 0).all()
    assert points_inside(pts, shape).sum() == 22


def test_renormalize_equals_constant_away_from_border():
    pts = np.array([[20.5, 15.5]])
    a = render_density(pts, (32, 40), kernel='fixed', sigma=2.0)
    b = render_density(pts, (32, 40), kernel='fixed', sigma=2.0,
                       border='constant')
    np.testing.assert_allclose(a, b, atol=1e-7)
    assert np.unravel_index(a.argmax(), a.shape) == (15, 20)


def test_max_sigma_and_bad_args():
    pts = np.array([[10., 10.], [30., 10.]])
    wide = render_density(pts, (20, 40), sigma=4.0)
    capped = render_density(pts, (20, 40), sigma=4.0, max_sigma=1.0)
    assert capped.max() > wide.max()
    with pytest.raises(ValueError, match='border'):
        render_density(pts, (20, 40), border='reflect')
    with pytest.raises(ValueError, match='kernel'):
        render_density(pts, (20, 40), kernel='box')
    assert render_density(np.zeros((0, 2)), (5, 6)).sum() == 0


def test_mask_cuts_kernels_like_the_border():
    """With a ROI, each head's kernel is renormalised over the ROI: the map
    is zero outside it and sums to the number of heads (all inside it)."""
    roi = np.zeros((40, 50), np.uint8)
    roi[5:30, 10:45] = 1
    points = np.array([[11.2, 6.5], [40.0, 28.9], [25.5, 15.5]])
    density = render_density(points, roi.shape, kernel='fixed', sigma=4.0,
                             mask=roi)
    assert density[roi == 0].max() == 0
    np.testing.assert_allclose(density.sum(), 3.0, rtol=1e-5)
    # A kernel that lies wholly inside the ROI (sigma 2: radius 8 around
    # (25, 15)) is the plain Gaussian.
    alone = render_density(points[2:], roi.shape, kernel='fixed', sigma=2.0)
    masked = render_density(points[2:], roi.shape, kernel='fixed',
                            sigma=2.0, mask=roi)
    np.testing.assert_allclose(masked, alone, rtol=1e-6)


def test_generate_density_sums_to_count_inside_roi():
    from hsrcount.datasets.transforms import GenerateDensity
    roi = np.zeros((40, 50), np.uint8)
    roi[:, :25] = 1
    results = dict(img=np.zeros((40, 50, 3), np.uint8), roi=roi,
                   gt_points=np.array([[3, 3], [24.5, 20], [30, 20]],
                                      np.float32))
    out = GenerateDensity(kernel='fixed', sigma=5.0)(results)
    assert out['gt_count'] == 2  # the head at x=30 is outside the ROI
    np.testing.assert_allclose(out['gt_density'].sum(), 2.0, rtol=1e-5)
    assert out['gt_density'][:, 25:].max() == 0
