"""Properties of the geometric transforms and GenerateDensity, on random
scenes (hypothesis).

Every expectation here is computed in the test from the pixel convention
of :mod:`hsrcount.datasets.density`, not by the transforms' helpers:

- the image is the closed rectangle ``[0, W] x [0, H]``; a head at
  ``(x, y)`` belongs to pixel ``(floor(y), floor(x))``, a head on the far
  edge to the last row / column;
- a resize maps a head by the ratio of the new size to the old, per axis;
- a crop ``[x0, x0 + w) x [y0, y0 + h)`` keeps the heads whose pixel lies
  in it and shifts them by ``(x0, y0)``;
- a horizontal flip sends a head in column ``c`` to column ``W - 1 - c``:
  ``x = W`` to 0, an integer ``x`` to ``W - 1 - x``, any other to ``W - x``;
- a density rendered with ``border='renormalize'`` sums to the number of
  heads on the image (and in the ROI).

Each head carries its index in ``gt_head_sizes`` (and a distinct sigma), so
the tests see which heads a transform kept, and in which order.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsrcount.datasets.transforms import (GenerateDensity,
                                          LoadCrowdAnnotations, PaperCrop,
                                          RandomCrop, RandomFlip,
                                          RandomRescale, Resize, ResizeToRange)

# Derandomised, without an example database: every run, here or in CI,
# tries the same examples and writes nothing.
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def coordinate(size):
    """x in [0, W] (or y in [0, H]): any float32, pixel corners, the
    edges."""
    return st.one_of(st.floats(0, size, width=32),
                     st.integers(0, size).map(float),
                     st.sampled_from([0.0, float(size)]))


@st.composite
def scenes(draw, max_side=40, max_heads=20):
    """A random image ``(h, w)`` with heads on it, as the loader leaves
    them: ``gt_points`` (N, 2) float32, ``gt_sigmas`` (N, ) and
    ``gt_head_sizes`` (N, 2) holding each head's index + 1."""
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    n = draw(st.integers(0, max_heads))
    pts = draw(st.lists(st.tuples(coordinate(w), coordinate(h)),
                        min_size=n, max_size=n))
    ids = np.arange(1, n + 1, dtype=np.float32)
    img = np.random.default_rng(h * 100 + w).integers(0, 256, (h, w, 3),
                                                      np.uint8)
    roi = (np.add.outer(np.arange(h), np.arange(w)) % 3 > 0).astype(np.uint8)
    return dict(img=img, img_shape=(h, w), ori_shape=(h, w), roi=roi,
                gt_points=np.array(pts, np.float32).reshape(-1, 2),
                gt_sigmas=0.5 + 0.25 * ids,
                gt_head_sizes=np.stack([ids, ids], axis=1),
                img_path='scene.png')


def copy_scene(scene):
    return {k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in scene.items()}


def pixel(x, y, h, w):
    """The (row, col) of a head on an h x w image (far edge: last)."""
    return min(math.floor(y), h - 1), min(math.floor(x), w - 1)


def ids_of(results, scale=(1.0, 1.0)):
    """The head indices (0-based) left in ``results``."""
    sizes = results['gt_head_sizes'][:, 0] / scale[0]
    return (np.rint(sizes).astype(int) - 1).tolist()


def assert_counted(results):
    """GenerateDensity (without the ROI) counts every head left, and its
    map sums to them."""
    n = len(results['gt_points'])
    res = copy_scene(results)
    del res['roi']
    out = GenerateDensity(kernel='fixed', sigma=1.5)(res)
    assert out['gt_count'] == n
    assert out['gt_density'].sum() == pytest.approx(n, rel=1e-4, abs=1e-5)


# -- resizing -----------------------------------------------------------------


def check_rescaled(before, after):
    """A resize keeps every head, in order, at ``p * new / old`` per axis,
    on the new image; head boxes scale per axis, sigmas by the geometric
    mean of the two factors."""
    h, w = before['img'].shape[:2]
    nh, nw = after['img'].shape[:2]
    assert after['img_shape'] == (nh, nw)
    assert after['roi'].shape == (nh, nw)
    sx, sy = nw / w, nh / h
    assert after['scale_factor'] == pytest.approx((sx, sy), rel=1e-9)
    n = len(before['gt_points'])
    assert ids_of(after, (sx, sy)) == list(range(n))
    pts = after['gt_points']
    np.testing.assert_allclose(pts, before['gt_points'].astype(np.float64) *
                               [sx, sy], rtol=1e-6, atol=1e-5)
    # On the new image, the far edges included: no head lost to rounding.
    assert ((pts >= 0) & (pts <= [nw, nh])).all(), pts
    np.testing.assert_allclose(after['gt_sigmas'],
                               before['gt_sigmas'] * math.sqrt(sx * sy),
                               rtol=1e-5)
    assert_counted(after)


@PROPERTY
@given(scenes(), st.integers(1, 80), st.integers(1, 80))
def test_resize_without_keep_ratio(scene, new_w, new_h):
    out = Resize(scale=(new_w, new_h), keep_ratio=False)(copy_scene(scene))
    assert out['img'].shape[:2] == (new_h, new_w)
    check_rescaled(scene, out)


@PROPERTY
@given(scenes(), st.floats(0.05, 3.0))
def test_resize_by_a_factor(scene, factor):
    out = Resize(scale_factor=factor)(copy_scene(scene))
    (h, w), (nh, nw) = scene['img'].shape[:2], out['img'].shape[:2]
    for old, new in ((h, nh), (w, nw)):
        assert new >= 1 and (new == 1 or abs(new - old * factor) <= 0.5)
    check_rescaled(scene, out)


@PROPERTY
@given(scenes(), st.lists(st.floats(0.3, 2.0), min_size=1, max_size=4),
       st.integers(0, 2**16))
def test_random_rescale(scene, scales, seed):
    np.random.seed(seed)
    out = RandomRescale(scales=scales)(copy_scene(scene))
    (h, w), (nh, nw) = scene['img'].shape[:2], out['img'].shape[:2]
    # One of the factors, for both sides, up to the rounding of the size.
    assert any(max(1, round(h * s)) == nh and max(1, round(w * s)) == nw
               for s in scales)
    check_rescaled(scene, out)


@PROPERTY
@given(scenes(max_side=60), st.integers(1, 60), st.integers(1, 60))
def test_resize_to_range(scene, long_side, short_side):
    short_side = min(short_side, long_side)
    out = ResizeToRange(max_long_side=long_side,
                        min_short_side=short_side)(copy_scene(scene))
    (h, w), (nh, nw) = scene['img'].shape[:2], out['img'].shape[:2]
    # The documented factor: raise the short side, unless that takes the
    # long side over its cap.
    f = min(max(1, short_side / min(h, w)), long_side / max(h, w))
    assert max(nh, nw) <= long_side
    if f == 1:
        assert (nh, nw) == (h, w) and 'scale_factor' not in out
        np.testing.assert_array_equal(out['gt_points'], scene['gt_points'])
        return
    for old, new in ((h, nh), (w, nw)):
        assert new >= 1 and (new == 1 or abs(new - old * f) <= 0.5)
    check_rescaled(scene, out)


# -- cropping -----------------------------------------------------------------


def check_cropped(before, after, real_shape=None):
    """The crop box lies on the (padded) image, the image and ROI are its
    slice, and the heads kept are exactly those whose pixel lies in it,
    in order, shifted by its corner."""
    h, w = real_shape or before['img'].shape[:2]
    x0, y0, x1, y1 = after['crop_box']
    ch, cw = after['img'].shape[:2]
    assert (x1 - x0, y1 - y0) == (cw, ch) and after['img_shape'] == (ch, cw)
    padded = np.zeros((max(h, y1), max(w, x1), 3), np.uint8)
    padded[:h, :w] = before['img']
    assert 0 <= x0 and 0 <= y0
    np.testing.assert_array_equal(after['img'], padded[y0:y1, x0:x1])
    padded_roi = np.zeros(padded.shape[:2], np.uint8)
    padded_roi[:h, :w] = before['roi']
    np.testing.assert_array_equal(after['roi'], padded_roi[y0:y1, x0:x1])
    expected = []
    for i, (x, y) in enumerate(before['gt_points'].tolist()):
        row, col = pixel(x, y, h, w)
        if x0 <= col < x1 and y0 <= row < y1:
            expected.append(i)
    assert ids_of(after) == expected
    np.testing.assert_array_equal(
        after['gt_points'],
        before['gt_points'][expected].reshape(-1, 2) - [x0, y0])
    np.testing.assert_array_equal(after['gt_sigmas'],
                                  before['gt_sigmas'][expected])
    assert_counted(after)
    return expected


@PROPERTY
@given(scenes(), st.integers(0, 13), st.integers(0, 2**16))
def test_paper_crop(scene, index, seed):
    np.random.seed(seed)
    out = PaperCrop()(dict(copy_scene(scene), patch_index=index))
    h, w = scene['img'].shape[:2]
    ch, cw = max(1, h // 2), max(1, w // 2)
    x0, y0, x1, y1 = out['crop_box']
    assert (x1 - x0, y1 - y0) == (cw, ch) and x1 <= w and y1 <= h
    if index < 4:  # the quarters: top-left, top-right, bottom-left, ...
        assert (x0, y0) == ((0, w - cw)[index % 2], (0, h - ch)[index // 2])
    check_cropped(scene, out)


@PROPERTY
@given(scenes().filter(lambda s: min(s['img'].shape[:2]) >= 2))
def test_paper_crop_quarters_share_out_the_heads(scene):
    """Each head is in exactly one quarter, or in none when it lies in the
    middle row or column that odd sides leave out."""
    h, w = scene['img'].shape[:2]
    seen = []
    for index in range(4):
        out = PaperCrop()(dict(copy_scene(scene), patch_index=index))
        seen += ids_of(out)
    assert len(seen) == len(set(seen))
    left_out = {i for i, (x, y) in enumerate(scene['gt_points'].tolist())
                if (h % 2 and pixel(x, y, h, w)[0] == h // 2)
                or (w % 2 and pixel(x, y, h, w)[1] == w // 2)}
    assert set(seen) == set(range(len(scene['gt_points']))) - left_out


@PROPERTY
@given(scenes(), st.integers(1, 50), st.integers(1, 50),
       st.integers(0, 2**16))
def test_random_crop(scene, ch, cw, seed):
    np.random.seed(seed)
    out = RandomCrop((ch, cw))(copy_scene(scene))
    h, w = scene['img'].shape[:2]
    x0, y0, x1, y1 = out['crop_box']
    assert (y1 - y0, x1 - x0) == (ch, cw)
    assert x1 <= max(w, cw) and y1 <= max(h, ch)  # padded only if needed
    check_cropped(scene, out, real_shape=(h, w))


# -- flipping -----------------------------------------------------------------


def mirrored_x(x, w):
    if x == w:
        return 0.0
    if x == math.floor(x):
        return w - 1 - x
    return w - x


@PROPERTY
@given(scenes())
def test_flip(scene):
    out = RandomFlip(prob=1.0)(copy_scene(scene))
    h, w = scene['img'].shape[:2]
    np.testing.assert_array_equal(out['img'], scene['img'][:, ::-1])
    np.testing.assert_array_equal(out['roi'], scene['roi'][:, ::-1])
    n = len(scene['gt_points'])
    assert ids_of(out) == list(range(n))
    np.testing.assert_array_equal(out['gt_sigmas'], scene['gt_sigmas'])
    for (x, y), (fx, fy) in zip(scene['gt_points'].tolist(),
                                out['gt_points'].tolist()):
        assert fy == y
        assert fx == pytest.approx(mirrored_x(x, w), abs=1e-5 * w)
        row, col = pixel(x, y, h, w)
        frow, fcol = pixel(fx, fy, h, w)
        # Column c to W - 1 - c; a head within float32 rounding of its
        # pixel's left edge may land on the mirrored pixel's right edge,
        # which belongs to the next column.
        edge = abs(x - round(x)) < 1e-5 * w and x != round(x)
        assert frow == row
        assert fcol == w - 1 - col or (edge and fcol == w - col)
    assert_counted(out)
    # Flipping twice gives the heads back; one on the far edge (x = W)
    # comes back to the left edge of the same pixel, x = W - 1.
    twice = RandomFlip(prob=1.0)(copy_scene(out))
    back = np.where(scene['gt_points'][:, 0] == w, w - 1,
                    scene['gt_points'][:, 0])
    np.testing.assert_allclose(twice['gt_points'][:, 0], back,
                               atol=1e-5 * w)


# -- rendering ----------------------------------------------------------------


@st.composite
def scenes_with_heads_off(draw):
    """A scene whose heads may also lie off the image (up to 5 px away)."""
    scene = draw(scenes())
    h, w = scene['img'].shape[:2]
    extra = draw(st.lists(st.tuples(st.floats(-5, w + 5, width=32),
                                    st.floats(-5, h + 5, width=32)),
                          max_size=8))
    pts = np.concatenate([scene['gt_points'],
                          np.array(extra, np.float32).reshape(-1, 2)])
    n = len(pts)
    ids = np.arange(1, n + 1, dtype=np.float32)
    return dict(scene, gt_points=pts, gt_sigmas=0.5 + 0.25 * ids,
                gt_head_sizes=np.stack([ids, ids], axis=1))


@PROPERTY
@given(scenes_with_heads_off(), st.sampled_from(['adaptive', 'fixed']),
       st.booleans(), st.booleans())
def test_generate_density_sums_to_the_heads_inside(scene, kernel, with_roi,
                                                   carried_sigmas):
    h, w = scene['img'].shape[:2]
    res = copy_scene(scene)
    if not with_roi:
        del res['roi']
    if not carried_sigmas:
        del res['gt_sigmas']  # adaptive: from the heads of this image
    out = GenerateDensity(kernel=kernel, sigma=2.0)(res)
    expected = []
    for i, (x, y) in enumerate(scene['gt_points'].tolist()):
        if not (0 <= x <= w and 0 <= y <= h):
            continue
        row, col = pixel(x, y, h, w)
        if not with_roi or scene['roi'][row, col]:
            expected.append(i)
    assert out['gt_count'] == len(expected)
    assert ids_of(out) == expected
    dens = out['gt_density']
    assert dens.shape == (h, w) and dens.dtype == np.float32
    assert (dens >= 0).all()
    assert dens.sum() == pytest.approx(len(expected), rel=1e-4, abs=1e-5)
    if with_roi:
        assert dens[scene['roi'] == 0].max(initial=0) == 0


# -- a training pipeline ------------------------------------------------------


@PROPERTY
@given(scenes(), st.integers(1, 80), st.integers(1, 80), st.integers(0, 13),
       st.integers(0, 2**16))
def test_training_chain_keeps_each_head_it_should(scene, new_w, new_h, index,
                                                  seed):
    """Load (whole-image sigmas), stretch, crop, flip, render. Each head is
    followed in float64 by the test; one whose followed position is
    within rounding of the crop's edge may go either way, every other is
    kept exactly when the crop holds it, and lands where the test says."""
    np.random.seed(seed)
    res = copy_scene(scene)
    del res['gt_sigmas'], res['roi']  # the ROI's own test is above
    res = LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive'))(res)
    res = Resize(scale=(new_w, new_h), keep_ratio=False)(res)
    res = PaperCrop()(dict(res, patch_index=index))
    res = RandomFlip(prob=1.0)(res)
    res = GenerateDensity(kernel='adaptive')(res)

    h, w = scene['img'].shape[:2]
    x0, y0, x1, y1 = res['crop_box']
    pts = scene['gt_points'].astype(np.float64) * [new_w / w, new_h / h]
    tol = 1e-4
    sure, maybe = set(), set()
    for i, (x, y) in enumerate(pts):
        # Columns x0..x1-1 of the stretched image; its far edge belongs to
        # the last one.
        lo_x, hi_x = x0, (x1 if x1 < new_w else new_w + 2 * tol)
        lo_y, hi_y = y0, (y1 if y1 < new_h else new_h + 2 * tol)
        if lo_x + tol <= x < hi_x - tol and lo_y + tol <= y < hi_y - tol:
            sure.add(i)
        elif lo_x - tol <= x < hi_x + tol and lo_y - tol <= y < hi_y + tol:
            maybe.add(i)
    kept = ids_of(res, res['scale_factor'])
    assert kept == sorted(kept)
    assert sure <= set(kept) <= sure | maybe
    cw = x1 - x0
    for i, (fx, fy) in zip(kept, res['gt_points'].tolist()):
        x, y = pts[i] - [x0, y0]
        assert fy == pytest.approx(y, abs=1e-3)
        # The mirror of x in the crop: cw - x; for a head on a pixel's
        # left edge (within rounding) cw - 1 - x; 0 for the far edge.
        mirrors = [cw - x]
        if abs(x - round(x)) < tol:
            mirrors.append(cw - 1 - round(x))
        if abs(x - cw) < tol:
            mirrors.append(0.0)
        assert any(fx == pytest.approx(m, abs=1e-3) for m in mirrors)
    assert res['gt_count'] == len(kept)
    assert res['gt_density'].sum() == pytest.approx(len(kept), rel=1e-4,
                                                    abs=1e-5)
