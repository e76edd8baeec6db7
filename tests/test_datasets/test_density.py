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


# -- per-head stamping, duplicates, large inputs -----------------------------


def stamped_reference(points, shape, sigmas, border='renormalize', mask=None,
                      truncate=4.0):
    """One stamp per head, in a Python loop: the renderer before it was
    vectorised (each head's 1-D kernel is gaussian_filter's, cut at the
    border and, with ``mask``, to the mask, then renormalised)."""
    from hsrcount.datasets.density import gaussian_kernel_1d, points_to_pixels
    h, w = shape
    out = np.zeros(shape)
    inside = points_inside(points, shape)
    pixels = points_to_pixels(points[inside], shape)
    for (row, col), s in zip(pixels, np.asarray(sigmas)[inside]):
        kern = gaussian_kernel_1d(s, truncate)
        r = len(kern) // 2
        y0, y1 = max(row - r, 0), min(row + r + 1, h)
        x0, x1 = max(col - r, 0), min(col + r + 1, w)
        stamp = np.outer(kern[y0 - row + r:y1 - row + r],
                         kern[x0 - col + r:x1 - col + r])
        if mask is not None:
            stamp = stamp * (mask[y0:y1, x0:x1] != 0)
        if border == 'renormalize' and stamp.sum() > 0:
            stamp = stamp / stamp.sum()
        out[y0:y1, x0:x1] += stamp
    return out


def brute_force_sigmas(points, k=3, beta=0.3, fallback=4.0):
    d = cdist(points, points)
    np.fill_diagonal(d, np.inf)
    if len(points) == 1:
        return np.full(1, fallback)
    num = min(k, len(points) - 1)
    return beta * np.sort(d, axis=1)[:, :num].mean(axis=1)


@pytest.mark.parametrize('seed', range(4))
def test_adaptive_sigmas_with_duplicates_match_brute_force(seed):
    """Heads annotated several times at one position (up to 40 copies),
    mixed with distinct heads: the merged-duplicates search gives the
    sigmas of the plain definition."""
    rng = np.random.default_rng(seed)
    base = np.round(random_points(rng, 12, (30, 40)), 1)
    copies = rng.integers(1, 40, len(base))
    pts = np.repeat(base, copies, axis=0)
    pts = np.concatenate([pts, random_points(rng, 5, (30, 40))])
    pts = pts[rng.permutation(len(pts))]
    for k in (1, 3, 7):
        np.testing.assert_allclose(adaptive_sigmas(pts, k=k, beta=0.3),
                                   brute_force_sigmas(pts, k=k), atol=1e-12)


def test_adaptive_sigmas_all_identical_and_signed_zero():
    pts = np.full((5000, 2), 7.25)
    np.testing.assert_array_equal(adaptive_sigmas(pts), np.zeros(5000))
    # -0.0 and 0.0 are the same position.
    pts = np.array([[0.0, 1.0], [-0.0, 1.0], [3.0, 5.0]])
    np.testing.assert_allclose(adaptive_sigmas(pts, k=1, beta=1.0),
                               [0.0, 0.0, 5.0])
    two = np.array([[2.0, 2.0], [2.0, 2.0]])
    np.testing.assert_array_equal(adaptive_sigmas(two), [0.0, 0.0])


@pytest.mark.parametrize('border', ['renormalize', 'constant'])
def test_vectorised_render_matches_per_head_stamping(border, monkeypatch):
    """Random sigmas from 0 (a one-pixel kernel) to 6, heads on and near
    the border, on and off a mask; small chunks so that both accumulation
    paths (np.add.at and bincount) and the chunking run."""
    from hsrcount.datasets import density as density_module
    rng = np.random.default_rng(3)
    shape = (37, 45)
    pts = np.concatenate([random_points(rng, 60, shape),
                          [[0., 0.], [45., 37.], [44.9, 0.1], [-1., 3.]]])
    sigmas = rng.uniform(0, 6, len(pts))
    sigmas[:5] = 0.0
    mask = np.zeros(shape, np.uint8)
    mask[3:30, 5:40] = 1
    for chunk in (1 << 22, 50, 1):
        monkeypatch.setattr(density_module, '_CHUNK_TAPS', chunk)
        for m in (None, mask):
            ours = render_density(pts, shape, border=border, mask=m,
                                  sigmas=sigmas)
            ref = stamped_reference(pts, shape, sigmas, border, m)
            np.testing.assert_allclose(ours, ref, atol=1e-6 * ref.max())


def test_render_with_given_sigmas_and_max_sigma():
    pts = np.array([[10.5, 10.5], [30.5, 10.5]])
    dens = render_density(pts, (20, 40), sigmas=[1.0, 3.0], border='constant')
    # Left of column 18 only the first head (sigma 1) reaches.
    np.testing.assert_allclose(
        dens[:, :18], render_density(pts[:1], (20, 40), kernel='fixed',
                                     sigma=1.0, border='constant')[:, :18],
        atol=1e-7)
    capped = render_density(pts, (20, 40), sigmas=[1.0, 3.0], max_sigma=1.0)
    np.testing.assert_allclose(
        capped, render_density(pts, (20, 40), kernel='fixed', sigma=1.0),
        atol=1e-7)
    with pytest.raises(ValueError, match='1 sigmas for 2 points'):
        render_density(pts, (20, 40), sigmas=[1.0])
    with pytest.raises(ValueError, match='finite and >= 0'):
        render_density(pts, (20, 40), sigmas=[1.0, -2.0])


def test_many_identical_heads_render_as_one_pixel_each():
    """20000 heads at one position (an annotation tool's repeated click):
    their sigmas are 0, so each is a one-pixel kernel, and the map holds
    them all at that pixel."""
    pts = np.full((20000, 2), [5.5, 3.2])
    dens = render_density(pts, (8, 10))
    assert dens[3, 5] == pytest.approx(20000)
    assert dens.sum() == pytest.approx(20000)


def test_off_image_heads_are_neighbours_of_the_heads_inside():
    """Adaptive sigmas come from every head given, on the image or not (a
    head by the edge of a crop keeps its neighbours beyond it); only heads
    on the image are drawn. The one head on the 20 x 20 image, (10.5,
    10.5), has its three nearest heads off the image at distances 12, 13
    and 15, so sigma = 0.3 * 40 / 3 = 4; a fourth is 20 away."""
    pts = np.array([[10.5, 10.5], [-1.5, 10.5], [10.5, -2.5], [25.5, 10.5],
                    [10.5, 30.5]])
    assert points_inside(pts, (20, 20)).tolist() == [True] + [False] * 4
    # sigma=1 is the fallback of a head without neighbours: not this one.
    dens = render_density(pts, (20, 20), kernel='adaptive', sigma=1.0, k=3,
                          beta=0.3, border='constant')
    ref = reference_density(pts[:1], (20, 20), [4.0])
    np.testing.assert_allclose(dens, ref, atol=1e-6 * ref.max())
    renorm = render_density(pts, (20, 20), kernel='adaptive', sigma=1.0)
    assert renorm.sum() == pytest.approx(1.0, rel=1e-5)
