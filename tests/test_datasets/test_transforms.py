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
    assert out['gt_points'][1, 0] == w  # x == 0 goes to the far edge
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
