import numpy as np
import pytest
import torch
from PIL import Image

from hsrcount.datasets.density import render_density
from hsrcount.datasets.transforms import (GenerateDensity,
                                          LoadCrowdAnnotations,
                                          LoadCrowdImageFromFile,
                                          PackCrowdInputs, PaperCrop,
                                          RandomCrop, RandomFlip,
                                          RandomRescale, Resize)
from hsrcount.structures import CrowdDataSample


def make_results(h=20, w=30, points=((3.5, 4.25), (29.9, 19.9), (0., 0.))):
    img = np.arange(h * w * 3, dtype=np.uint8).reshape(h, w, 3)
    return dict(img=img, img_shape=(h, w), ori_shape=(h, w),
                gt_points=np.array(points, dtype=np.float32).reshape(-1, 2))


# -- loading ---------------------------------------------------------------


@pytest.mark.parametrize('mode', ['L', 'RGB', 'RGBA', 'P'])
def test_load_image_modes_give_bgr_uint8(tmp_path, mode):
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[..., 0] = 200  # red
    img = Image.fromarray(rgb)
    # An adaptive palette keeps the colour exact (the web palette dithers).
    img = (img.convert(mode, palette=Image.ADAPTIVE) if mode == 'P' else
           img.convert(mode))
    path = str(tmp_path / 'a.png')
    img.save(path)
    out = LoadCrowdImageFromFile()(dict(img_path=path))
    assert out['img'].shape == (6, 8, 3) and out['img'].dtype == np.uint8
    assert out['img_shape'] == out['ori_shape'] == (6, 8)
    if mode == 'L':
        gray = np.asarray(img)[0, 0]
        assert (out['img'] == gray).all()
    else:  # red lands in the last (R of BGR) channel
        assert (out['img'][..., 2] == 200).all()
        assert (out['img'][..., :2] == 0).all()


def test_load_16bit_png_scales_to_8bit(tmp_path):
    arr = np.array([[0, 65535, 257 * 100]], dtype=np.uint16)
    path = str(tmp_path / 'deep.png')
    Image.fromarray(arr).save(path)
    img = LoadCrowdImageFromFile()(dict(img_path=path))['img']
    assert img.dtype == np.uint8 and img.shape == (1, 3, 3)
    np.testing.assert_array_equal(img[0, :, 0], [0, 255, 100])


def test_load_truncated_or_missing_image_names_file(tmp_path):
    path = tmp_path / 'cut.jpg'
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match='cut.jpg'):
        LoadCrowdImageFromFile()(dict(img_path=str(path)))
    (tmp_path / 'junk.jpg').write_bytes(b'not an image')
    with pytest.raises(ValueError, match='junk.jpg'):
        LoadCrowdImageFromFile()(dict(img_path=str(tmp_path / 'junk.jpg')))
    with pytest.raises(FileNotFoundError, match='none.jpg'):
        LoadCrowdImageFromFile()(dict(img_path=str(tmp_path / 'none.jpg')))


def test_load_annotations_roi(tmp_path):
    res = make_results(4, 5, points=((1, 1), ))
    roi = np.zeros((4, 5), np.uint8)
    roi[1:3, 1:4] = 255
    out = LoadCrowdAnnotations()(dict(res, roi=roi))
    assert out['roi'].max() == 1 and out['roi'].sum() == 6
    assert out['gt_points'] is not res['gt_points']
    with pytest.raises(ValueError, match='does not match the image'):
        LoadCrowdAnnotations()(
            dict(make_results(5, 5, points=((1, 1), )), roi=roi))


# -- geometry --------------------------------------------------------------


def test_random_rescale_moves_points_with_image(monkeypatch):
    res = make_results(20, 30)
    res['roi'] = np.ones((20, 30), np.uint8)
    monkeypatch.setattr(np.random, 'randint', lambda n: 2)  # scale 1.2
    out = RandomRescale(scales=(0.8, 1.0, 1.2))(res)
    assert out['img'].shape == (24, 36, 3) and out['roi'].shape == (24, 36)
    assert out['img_shape'] == (24, 36)
    np.testing.assert_allclose(out['gt_points'],
                               [[4.2, 5.1], [35.88, 23.88], [0, 0]],
                               rtol=1e-6)
    assert out['scale_factor'] == pytest.approx((1.2, 1.2))


def test_resize_keep_ratio():
    out = Resize(scale=(15, 100))(make_results(20, 30))
    assert out['img'].shape[:2] == (10, 15)
    np.testing.assert_allclose(out['gt_points'][0], [1.75, 2.125])


@pytest.mark.parametrize('index,origin', [(0, (0, 0)), (1, (16, 0)),
                                          (2, (0, 11)), (3, (16, 11))])
def test_paper_crop_quarters(index, origin):
    h, w = 21, 31  # odd sides: quarters of 10 x 15, middle row/col unused
    pts = np.array([[2., 3.], [20.5, 4.], [3., 15.], [30.5, 20.5],
                    [15.5, 10.5]], np.float32)
    res = make_results(h, w, pts)
    res['patch_index'] = index
    out = PaperCrop()(res)
    assert out['img'].shape[:2] == (10, 15)
    np.testing.assert_array_equal(
        out['img'], make_results(h, w)['img'][origin[1]:origin[1] + 10,
                                              origin[0]:origin[0] + 15])
    # Exactly one of the four corner points lies in each quarter.
    np.testing.assert_allclose(out['gt_points'],
                               pts[index:index + 1] - np.array(origin))


def test_paper_crop_random_location_stays_inside():
    np.random.seed(0)
    for index in (4, 13):
        res = make_results(20, 30)
        res['patch_index'] = index
        out = PaperCrop()(res)
        assert out['img'].shape[:2] == (10, 15)


def test_paper_crop_without_patch_index_names_the_wrapper():
    res = dict(make_results(20, 30), img_path='a.jpg')
    with pytest.raises(KeyError, match='a.jpg.*PatchRepeatDataset'):
        PaperCrop()(res)


def test_random_crop_pads_small_images():
    res = make_results(5, 6, [(2.5, 3.5)])
    res['roi'] = np.ones((5, 6), np.uint8)
    np.random.seed(0)
    out = RandomCrop((8, 8))(res)
    assert out['img'].shape == (8, 8, 3)
    np.testing.assert_allclose(out['gt_points'], [[2.5, 3.5]])
    assert out['img'][5:].sum() == 0 and out['roi'][:, 6:].sum() == 0


def test_random_crop_shifts_points(monkeypatch):
    draws = iter([2, 2, 4, 2])  # x0 then y0, twice
    monkeypatch.setattr(np.random, 'randint', lambda n: next(draws))
    out = RandomCrop((10, 12))(make_results(20, 30))
    np.testing.assert_allclose(out['gt_points'], [[1.5, 2.25]])
    out = RandomCrop((10, 12))(make_results(20, 30))
    assert out['gt_points'].shape == (0, 2)  # x = 3.5 - 4 < 0: dropped


def test_flip_lands_on_flipped_pixel():
    h, w = 6, 10
    img = np.zeros((h, w, 3), np.uint8)
    img[2, 3] = 255  # the pixel of the point (3.7, 2.2)
    res = dict(img=img, gt_points=np.array([[3.7, 2.2], [0., 1.]],
                                           np.float32),
               roi=np.eye(h, w, dtype=np.uint8))
    out = RandomFlip(prob=1.0)(res)
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    x, y = out['gt_points'][0]
    assert out['img'][int(y), int(np.floor(x))].max() == 255
    # x == 0 lies in column 0: it goes to column W - 1 (integer pixel).
    assert out['gt_points'][1, 0] == w - 1
    assert out['roi'][0, w - 1] == 1
    # The density of the flipped points is the flipped density.
    after = render_density(out['gt_points'], (h, w), kernel='fixed',
                           sigma=1.0)
    dens = render_density(np.array([[3.7, 2.2], [0., 1.]]), (h, w),
                          kernel='fixed', sigma=1.0)
    np.testing.assert_allclose(after, dens[:, ::-1], atol=1e-7)
    assert RandomFlip(prob=0.0)(make_results())['flip'] is False


def test_geometry_refuses_to_run_after_density():
    res = GenerateDensity()(make_results())
    with pytest.raises(RuntimeError, match='before GenerateDensity'):
        RandomFlip(prob=1.0)(res)


# -- density and packing ---------------------------------------------------


def test_generate_density_counts_points_inside_image_and_roi():
    res = make_results(20, 30, [(3.5, 4.2), (29.9, 19.9), (31., 2.),
                                (10.5, 10.5)])
    out = GenerateDensity(kernel='fixed', sigma=2.0)(dict(res))
    assert out['gt_count'] == 3
    assert out['gt_density'].dtype == np.float32
    assert out['gt_density'].sum() == pytest.approx(3, rel=1e-5)
    roi = np.zeros((20, 30), np.uint8)
    roi[:, :20] = 1
    out = GenerateDensity(kernel='fixed', sigma=2.0)(dict(res, roi=roi))
    assert out['gt_count'] == 2 and len(out['gt_points']) == 2
    assert out['gt_density'].sum() == pytest.approx(2, rel=1e-5)
    with pytest.raises(ValueError, match='border'):
        GenerateDensity(border='wrap')


def test_pack_crowd_inputs():
    res = GenerateDensity()(make_results(4, 5, [(1.5, 2.5)]))
    res['roi'] = np.ones((4, 5), np.uint8)
    res['img_path'] = 'x.jpg'
    res['flip'] = False
    packed = PackCrowdInputs()(res)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 4, 5)
    assert inputs.is_contiguous()
    assert torch.equal(inputs, torch.from_numpy(res['img']).permute(2, 0, 1))
    assert isinstance(sample, CrowdDataSample)
    assert sample.gt_density.data.shape == (1, 4, 5)
    assert sample.roi.data.shape == (1, 4, 5)
    assert sample.gt_count == 1.0
    assert sample.gt_points.dtype == torch.float32
    assert sample.img_path == 'x.jpg' and sample.img_shape == (4, 5)
    assert 'scene' not in sample.metainfo


def test_pack_refuses_a_count_that_no_longer_matches_the_points():
    from hsrcount.datasets.transforms import PackCrowdInputs
    res = make_results(20, 30)
    res['gt_count'] = 3
    PackCrowdInputs()(dict(res))  # consistent: packs
    res['gt_points'] = res['gt_points'][:2]  # e.g. a crop dropped one
    with pytest.raises(ValueError, match='does not match the 2 head points'):
        PackCrowdInputs()(res)


# -- ground truth as the paper defines it ------------------------------------


def crowd(seed=0, n=60, shape=(40, 60)):
    rng = np.random.default_rng(seed)
    pts = np.stack([rng.uniform(0, shape[1], n), rng.uniform(0, shape[0], n)],
                   axis=1).astype(np.float32)
    img = rng.integers(0, 255, shape + (3, ), np.uint8)
    return dict(img=img, img_shape=shape, ori_shape=shape, gt_points=pts,
                img_path='crowd.jpg')


def test_sigmas_come_from_the_whole_image_and_survive_a_crop():
    """Heads near a crop's edge keep the kernel their whole-image
    neighbours give them (before, the sigmas were computed on the crop's
    heads only and changed for heads near the cut)."""
    from hsrcount.datasets.density import adaptive_sigmas
    res = crowd()
    whole = adaptive_sigmas(res['gt_points'], k=3, beta=0.3)
    loaded = LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive', k=3,
                                                   beta=0.3))(res)
    np.testing.assert_allclose(loaded['gt_sigmas'], whole, rtol=1e-6)
    out = PaperCrop()(dict(loaded, patch_index=0))
    keep = (loaded['gt_points'][:, 0] < 30) & (loaded['gt_points'][:, 1] < 20)
    np.testing.assert_allclose(out['gt_sigmas'], whole[keep], rtol=1e-6)
    # On the crop's own heads the sigmas differ: that was the bug.
    assert not np.allclose(adaptive_sigmas(out['gt_points']), whole[keep])
    dens = GenerateDensity(kernel='adaptive')(out)
    expected = render_density(out['gt_points'], (20, 30),
                              sigmas=whole[keep])
    np.testing.assert_allclose(dens['gt_density'], expected, atol=1e-7)
    assert dens['gt_density'].sum() == pytest.approx(keep.sum(), rel=1e-5)


def test_cropped_sample_without_whole_image_sigmas_is_refused():
    res = dict(crowd(), patch_index=1)
    out = PaperCrop()(LoadCrowdAnnotations()(res))
    with pytest.raises(KeyError, match='crowd.jpg.*head_sigmas'):
        GenerateDensity(kernel='adaptive')(out)
    GenerateDensity(kernel='fixed')(out)  # fixed kernels need no sigmas


def test_sigmas_scale_with_rescale_and_stay_with_flip(monkeypatch):
    from hsrcount.datasets.density import adaptive_sigmas
    res = LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive'))(crowd())
    sigmas = res['gt_sigmas'].copy()
    monkeypatch.setattr(np.random, 'randint', lambda n: 1)  # scale 1.5
    out = RandomRescale(scales=(1.0, 1.5))(dict(res))
    np.testing.assert_allclose(out['gt_sigmas'], 1.5 * sigmas, rtol=1e-5)
    # The same as computing them on the rescaled whole image.
    np.testing.assert_allclose(out['gt_sigmas'],
                               adaptive_sigmas(out['gt_points']), rtol=1e-4)
    flipped = RandomFlip(prob=1.0)(dict(out))
    np.testing.assert_array_equal(flipped['gt_sigmas'], out['gt_sigmas'])
    np.testing.assert_allclose(flipped['gt_sigmas'],
                               adaptive_sigmas(flipped['gt_points']),
                               rtol=1e-4)


def test_half_open_crops_share_out_heads_on_their_common_edge():
    """A head on the edge two quarters share belongs to one of them; before,
    crops were closed rectangles and it counted in both."""
    pts = [(15.0, 3.0), (4.0, 10.0), (15.0, 10.0), (30.0, 20.0)]
    total = 0
    for index in range(4):
        res = dict(make_results(20, 30, pts), patch_index=index)
        total += len(PaperCrop()(res)['gt_points'])
    assert total == len(pts)
    out = PaperCrop()(dict(make_results(20, 30, pts), patch_index=3))
    # (15, 10) is the corner of the bottom-right quarter; (30, 20) is on
    # the image's far corner, in its last pixel, so in that quarter too.
    np.testing.assert_allclose(out['gt_points'], [[0., 0.], [15., 10.]])


def test_integer_pixel_dot_one_column_past_the_crop_is_dropped(monkeypatch):
    """TRANCOS-style dots at integer pixels: the dot of column x0 + w is
    outside the crop [x0, x0 + w) (a closed crop kept it)."""
    draws = iter([4, 2])  # x0, y0
    monkeypatch.setattr(np.random, 'randint', lambda n: next(draws))
    res = make_results(20, 30, [(4.0, 5.0), (13.0, 5.0), (14.0, 5.0)])
    out = RandomCrop((10, 10))(res)
    np.testing.assert_allclose(out['gt_points'], [[0., 3.], [9., 3.]])


def test_flip_integer_pixels_to_the_mirrored_column():
    from hsrcount.datasets.transforms.geometric import flip_x
    w = 10
    x = np.array([0., 3., 9., 3.25, 9.5, 10.])
    # Column c goes to W - 1 - c: integers to W - 1 - c, fractions to W - x,
    # the far edge (column W - 1) to 0.
    np.testing.assert_allclose(flip_x(x, w), [9., 6., 0., 6.75, 0.5, 0.])
    cols = np.minimum(np.floor(x), w - 1)
    np.testing.assert_array_equal(
        np.minimum(np.floor(flip_x(x, w)), w - 1), w - 1 - cols)
    ints = np.arange(w, dtype=np.float64)
    np.testing.assert_array_equal(flip_x(flip_x(ints, w), w), ints)
    img = np.zeros((1, w, 3), np.uint8)
    img[0, 3] = 255  # the dot at x = 3 marks pixel 3
    out = RandomFlip(prob=1.0)(dict(img=img, gt_points=np.array(
        [[3., 0.]], np.float32)))
    x = int(out['gt_points'][0, 0])
    assert out['img'][0, x].max() == 255


@pytest.mark.parametrize('size', [1, 2])
def test_tiny_images_through_the_training_pipeline(size):
    """1x1 and 2x2 images: flipping a crop one pixel wide used to leave a
    negative stride that torch.from_numpy refuses (at random, with the
    flip)."""
    for seed in range(6):
        np.random.seed(seed)
        res = dict(img=np.full((size, size, 3), 7, np.uint8),
                   img_shape=(size, size), img_path='tiny.png',
                   gt_points=np.array([[0.5, 0.5]], np.float32),
                   roi=np.ones((size, size), np.uint8), patch_index=seed % 5)
        res = LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive'))(res)
        for step in (RandomRescale(), PaperCrop(), RandomFlip(prob=1.0),
                     GenerateDensity(), PackCrowdInputs()):
            res = step(res)
        assert res['inputs'].shape[0] == 3
        assert res['data_samples'].gt_count in (0.0, 1.0)


def test_outside_heads_clip_to_the_border_and_warn_once_per_file():
    res = make_results(10, 12, [(3., 4.), (15., 2.), (-1., -5.)])
    res['img_path'] = 'a.jpg'
    load = LoadCrowdAnnotations(outside='clip')
    with pytest.warns(UserWarning, match=r"a.jpg: 2 of 3 head points.*"
                      r"clipped to the border"):
        out = load(dict(res))
    np.testing.assert_allclose(out['gt_points'],
                               [[3., 4.], [12., 2.], [0., 0.]])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        load(dict(res))  # the same file: no second warning
    counted = GenerateDensity(kernel='fixed', sigma=1.0)(out)
    assert counted['gt_count'] == 3  # the official count: every point


def test_outside_policy_comes_from_the_dataset_unless_given():
    res = make_results(10, 12, [(3., 4.), (15., 2.)])
    with pytest.raises(ValueError, match='outside the image'):
        LoadCrowdAnnotations()(dict(res))
    with pytest.warns(UserWarning, match='clipped'):
        out = LoadCrowdAnnotations()(dict(res, outside='clip'))
    assert len(out['gt_points']) == 2
    with pytest.raises(ValueError, match='outside the image'):
        LoadCrowdAnnotations(outside='error')(dict(res, outside='clip'))
    sizes = np.array([[2., 3.], [4., 5.]], np.float32)
    out = LoadCrowdAnnotations(outside='drop')(
        dict(res, gt_head_sizes=sizes))
    np.testing.assert_array_equal(out['gt_head_sizes'], sizes[:1])
    with pytest.raises(ValueError, match='outside must be one of'):
        LoadCrowdAnnotations(outside='keep')


def test_head_sigmas_from_boxes():
    from hsrcount.datasets.density import adaptive_sigmas
    pts = np.array([[2., 2.], [8., 2.], [5., 7.]], np.float32)
    sizes = np.array([[4., 9.], [np.nan, np.nan], [0., 3.]], np.float32)
    res = dict(make_results(10, 12, pts), gt_head_sizes=sizes)
    out = LoadCrowdAnnotations(
        head_sigmas=dict(mode='boxes', box_scale=0.5, k=2, beta=0.3))(res)
    fallback = adaptive_sigmas(pts, k=2, beta=0.3)
    # sqrt(4 * 9) * 0.5 = 3; heads without a usable box: adaptive.
    np.testing.assert_allclose(out['gt_sigmas'], [3., fallback[1],
                                                  fallback[2]], rtol=1e-6)
    with pytest.raises(KeyError, match='gt_head_sizes'):
        LoadCrowdAnnotations(head_sigmas=dict(mode='boxes'))(
            make_results(10, 12, pts))
    with pytest.raises(ValueError, match='head_sigmas'):
        LoadCrowdAnnotations(head_sigmas=dict(mode='boxes', sigma=2))


@pytest.mark.parametrize('shape,limits,expected', [
    ((3000, 9000), (2048, 512), (683, 2048)),   # long side capped
    ((300, 400), (2048, 512), (512, 683)),      # short side raised
    ((600, 800), (2048, 512), (600, 800)),      # in range: untouched
    ((100, 5000), (2048, 512), (41, 2048)),     # conflict: the cap wins
])
def test_resize_to_range(shape, limits, expected):
    from hsrcount.datasets.transforms import ResizeToRange
    h, w = shape
    pts = np.array([[w / 2, h / 2], [w - 1, h - 1], [0, 0]], np.float32)
    res = dict(make_results(h, w, pts), gt_sigmas=np.ones(3, np.float32))
    out = ResizeToRange(max_long_side=limits[0],
                        min_short_side=limits[1])(res)
    assert out['img'].shape[:2] == expected
    sy, sx = expected[0] / h, expected[1] / w
    np.testing.assert_allclose(out['gt_points'], pts * [sx, sy], rtol=1e-5)
    np.testing.assert_allclose(out['gt_sigmas'], np.sqrt(sx * sy), rtol=1e-5)
    assert GenerateDensity(kernel='fixed')(out)['gt_count'] == 3
    with pytest.raises(ValueError, match='exceeds'):
        ResizeToRange(max_long_side=100, min_short_side=200)


# -- behaviours pinned against planted bugs ----------------------------------


def test_outside_drop_removes_off_image_heads_everywhere():
    """outside='drop' (the option the 'outside the image' error names)
    removes off-image heads from the points, their box sizes, the sigmas
    and the count, and keeps the others in their order."""
    pts = [(3., 4.), (15., 2.), (12., 10.), (-1., 5.), (0.5, 9.5)]
    sizes = np.array([[1., 2.], [3., 4.], [5., 6.], [7., 8.], [9., 10.]],
                     np.float32)
    res = dict(make_results(10, 12, pts), gt_head_sizes=sizes,
               img_path='a.jpg')
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # dropping is silent, unlike 'clip'
        out = LoadCrowdAnnotations(
            outside='drop', head_sigmas=dict(mode='adaptive', k=1,
                                             beta=1.0))(res)
    # (15, 2) and (-1, 5) are off the 12 x 10 image; (12, 10) is its far
    # corner, which is on it.
    np.testing.assert_array_equal(out['gt_points'],
                                  [[3., 4.], [12., 10.], [0.5, 9.5]])
    np.testing.assert_array_equal(out['gt_head_sizes'], sizes[[0, 2, 4]])
    # k=1, beta=1: a sigma is the distance to the nearest kept head.
    # (3, 4)-(0.5, 9.5): sqrt(6.25 + 30.25); (12, 10)-(3, 4): sqrt(117);
    # (12, 10)-(0.5, 9.5): sqrt(132.25 + 0.25).
    near = np.sqrt(36.5)
    np.testing.assert_allclose(out['gt_sigmas'],
                               [near, np.sqrt(117.), near], rtol=1e-6)
    counted = GenerateDensity(kernel='fixed', sigma=1.0)(out)
    assert counted['gt_count'] == 3
    assert counted['gt_density'].sum() == pytest.approx(3, rel=1e-5)


def test_rescale_scales_x_and_y_by_their_own_factors():
    """A non-uniform rescale: x by new_w / w, y by new_h / h, for the
    points, the head boxes and (geometric mean) the sigmas."""
    from hsrcount.datasets.transforms.geometric import rescale
    res = make_results(20, 30, [(3., 4.), (29., 19.), (30., 20.)])
    res['gt_head_sizes'] = np.array([[2., 4.]] * 3, np.float32)
    res['gt_sigmas'] = np.full(3, 2., np.float32)
    res['roi'] = np.zeros((20, 30), np.uint8)
    res['roi'][:10, :6] = 1
    out = rescale(res, 60, 10)  # x * 2, y * 0.5
    assert out['img'].shape == (10, 60, 3) and out['img_shape'] == (10, 60)
    np.testing.assert_allclose(out['gt_points'],
                               [[6., 2.], [58., 9.5], [60., 10.]])
    np.testing.assert_allclose(out['gt_head_sizes'], [[4., 2.]] * 3)
    np.testing.assert_allclose(out['gt_sigmas'], [2.] * 3)  # sqrt(2 * .5)
    assert out['scale_factor'] == pytest.approx((2., .5))
    assert out['roi'].shape == (10, 60)
    np.testing.assert_array_equal(out['roi'][:5, :12], 1)
    assert out['roi'].sum() == 5 * 12


def test_resize_without_keep_ratio_stretches_each_side_to_its_target():
    out = Resize(scale=(90, 10), keep_ratio=False)(make_results(20, 30))
    assert out['img'].shape[:2] == (10, 90)  # (h, w): 30 -> 90, 20 -> 10
    assert out['scale_factor'] == pytest.approx((3., .5))
    np.testing.assert_allclose(out['gt_points'],
                               [[10.5, 2.125], [89.7, 9.95], [0., 0.]],
                               rtol=1e-6)
    # Every head stays inside the stretched image and is counted.
    assert GenerateDensity(kernel='fixed')(out)['gt_count'] == 3


def test_paper_crop_random_patches_reach_every_position():
    """Patch indices >= 4 draw the crop's corner uniformly over every
    position that keeps it inside, the right and bottom edges included;
    image, points and crop box agree."""
    h, w = 7, 11  # crops of 3 x 5: x0 in 0..6, y0 in 0..4
    pts = np.array([[x + 0.5, y + 0.5] for y in range(h) for x in range(w)],
                   np.float32)  # one head per pixel
    base = make_results(h, w, pts)
    np.random.seed(0)
    corners = set()
    for _ in range(400):
        out = PaperCrop()(dict(base, patch_index=4))
        x0, y0, x1, y1 = out['crop_box']
        assert (x1 - x0, y1 - y0) == (5, 3)
        corners.add((x0, y0))
        np.testing.assert_array_equal(out['img'], base['img'][y0:y1, x0:x1])
        expected = [[x + 0.5 - x0, y + 0.5 - y0] for y in range(y0, y1)
                    for x in range(x0, x1)]
        np.testing.assert_array_equal(out['gt_points'], expected)
    assert corners == {(x, y) for x in range(7) for y in range(5)}


def test_resize_keeps_heads_on_the_far_edge_on_the_image():
    """A head on the far edge (where outside='clip' puts heads) stays on
    the resized image's far edge and is counted: 13 * float32(7 / 13) is
    7.0000005, which a float32 factor used to give."""
    res = make_results(10, 13, [(13., 10.), (13., 0.), (6.5, 5.)])
    out = Resize(scale=(7, 29), keep_ratio=False)(res)
    assert out['img'].shape[:2] == (29, 7)
    np.testing.assert_allclose(out['gt_points'],
                               [[7., 29.], [7., 0.], [3.5, 14.5]])
    assert (out['gt_points'] <= [7, 29]).all()
    assert GenerateDensity(kernel='fixed')(out)['gt_count'] == 3
