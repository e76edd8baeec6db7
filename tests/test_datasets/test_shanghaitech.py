import glob
import os.path as osp

import numpy as np
import pytest
import scipy.io as sio
from fake_releases import make_shanghaitech_part as make_part
from fake_releases import write_shanghaitech_mat as write_mat
from PIL import Image

from hsrcount.datasets import ShanghaiTechDataset
from hsrcount.datasets.shanghaitech import load_shanghaitech_mat
from hsrcount.datasets.transforms import LoadCrowdImageFromFile


def test_reads_points_and_counts(tmp_path):
    make_part(tmp_path, ids=(1, 2, 10))
    ds = ShanghaiTechDataset(str(tmp_path), split='train')
    assert len(ds) == 3
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [osp.basename(d['img_path']) for d in infos] == [
        'IMG_1.jpg', 'IMG_2.jpg', 'IMG_10.jpg']
    assert [d['gt_count'] for d in infos] == [1, 2, 10]
    np.testing.assert_array_equal(infos[2]['gt_points'], [[10, 1.5]] * 10)
    assert infos[0]['gt_points'].dtype == np.float32


def test_validation_carve_is_deterministic_and_disjoint(tmp_path):
    make_part(tmp_path, ids=range(1, 11))
    kw = dict(data_root=str(tmp_path), num_val=3, seed=5)
    val = ShanghaiTechDataset(val_split='val', **kw)
    train = ShanghaiTechDataset(val_split='train', **kw)
    again = ShanghaiTechDataset(val_split='val', **kw)
    val_paths = {d['img_path'] for d in val}
    train_paths = {d['img_path'] for d in train}
    assert len(val_paths) == 3 and len(train_paths) == 7
    assert not val_paths & train_paths
    assert val_paths == {d['img_path'] for d in again}
    other = ShanghaiTechDataset(val_split='val', data_root=str(tmp_path),
                                num_val=3, seed=6)
    assert {d['img_path'] for d in other} != val_paths
    with pytest.raises(ValueError, match='num_val'):
        ShanghaiTechDataset(str(tmp_path), val_split='val', num_val=10)


def test_errors_name_the_file(tmp_path):
    img_dir, gt_dir = make_part(tmp_path, ids=(1, 2))
    (gt_dir / 'GT_IMG_2.mat').unlink()
    with pytest.raises(FileNotFoundError, match='IMG_2.jpg: no annotation'):
        ShanghaiTechDataset(str(tmp_path))
    write_mat(gt_dir / 'GT_IMG_2.mat', [[1, 1]])
    write_mat(gt_dir / 'GT_IMG_3.mat', [[1, 1]])
    with pytest.raises(FileNotFoundError, match='GT_IMG_3.mat: no image'):
        ShanghaiTechDataset(str(tmp_path))
    (gt_dir / 'GT_IMG_3.mat').unlink()
    write_mat(gt_dir / 'GT_IMG_2.mat', [[1, 1], [2, 2]], number=3)
    with pytest.raises(ValueError, match='GT_IMG_2.mat: 2 locations but'):
        ShanghaiTechDataset(str(tmp_path))
    data = (gt_dir / 'GT_IMG_1.mat').read_bytes()
    (gt_dir / 'GT_IMG_1.mat').write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match='GT_IMG_1.mat: not a readable'):
        load_shanghaitech_mat(str(gt_dir / 'GT_IMG_1.mat'))
    with pytest.raises(FileNotFoundError, match='test_data'):
        ShanghaiTechDataset(str(tmp_path), split='test')


def test_heads_off_the_image_are_clipped_keeping_the_official_count(
        tmp_path):
    """A published release keeps its count: the loader tells
    LoadCrowdAnnotations to clip, which warns once, naming the file."""
    from hsrcount.utils import register_all_modules
    register_all_modules()
    img_dir, gt_dir = make_part(tmp_path, ids=(1, 2))
    write_mat(gt_dir / 'GT_IMG_2.mat', [[3, 4], [40, 5], [2, -7]])
    pipeline = [dict(type='LoadCrowdImageFromFile'),
                dict(type='LoadCrowdAnnotations'),
                dict(type='GenerateDensity', kernel='fixed'),
                dict(type='PackCrowdInputs')]
    ds = ShanghaiTechDataset(str(tmp_path), pipeline=pipeline)
    assert ds.get_data_info(1)['outside'] == 'clip'
    with pytest.warns(UserWarning, match=r'IMG_2.jpg: 2 of 3 head points'):
        sample = ds[1]['data_samples']
    assert sample.gt_count == 3
    np.testing.assert_allclose(sample.gt_points, [[3, 4], [12, 5], [2, 0]])
    assert float(sample.gt_density.data.sum()) == pytest.approx(3, rel=1e-5)


def test_split_size_and_sibling_split_are_checked(tmp_path):
    part = tmp_path / 'part_B'
    img_dir, gt_dir = make_part(part, ids=(1, 2, 3))
    _, test_gt = make_part(part, ids=(1, 2), split='test')
    (test_gt / 'GT_IMG_2.mat').unlink()
    with pytest.warns(UserWarning) as record:
        ds = ShanghaiTechDataset(str(part), split='train')
    messages = [str(w.message) for w in record]
    assert len(ds) == 3
    assert any("holds 3 images for split 'train', the release has 400" in m
               and 'part_B' in m for m in messages), messages
    assert any('in the test split' in m and 'IMG_2.jpg: no annotation' in m
               for m in messages), messages
    # A folder whose part cannot be told, or check_size=False: no size
    # check.
    make_part(tmp_path / 'mine', ids=(1, ))
    write_mat(test_gt / 'GT_IMG_2.mat', [[1, 1]])
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        ShanghaiTechDataset(str(tmp_path / 'mine'))
        ShanghaiTechDataset(str(part), check_size=False)


def test_string_locations_name_the_file(tmp_path):
    _, gt_dir = make_part(tmp_path, ids=(1, ))
    info = np.zeros((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    info[0, 0]['location'] = np.array([['1.5', '2.5']])
    info[0, 0]['number'] = np.array([[1]], np.uint16)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = info
    sio.savemat(gt_dir / 'GT_IMG_1.mat', {'image_info': cell})
    with pytest.raises(ValueError, match=r'GT_IMG_1.mat: head points must '
                       r'be real numbers, got strings'):
        ShanghaiTechDataset(str(tmp_path))


# -- the real release ------------------------------------------------------

REAL_SPLITS = [('part_A', 'train', 300), ('part_B', 'train', 400),
               ('part_B', 'test', 316)]


def test_real_mat_layout(shanghaitech_root):
    """The layout the reader assumes, checked on a real file."""
    mats = glob.glob(osp.join(shanghaitech_root, 'part_*', '*_data',
                              'ground-truth', 'GT_IMG_*.mat'))
    assert mats
    mat = sio.loadmat(mats[0])
    assert mat['image_info'].shape == (1, 1)
    record = mat['image_info'][0, 0][0, 0]
    assert set(record.dtype.names) == {'location', 'number'}
    assert record['location'].shape[1] == 2
    assert record['location'].shape[0] == int(record['number'].squeeze())


@pytest.mark.parametrize('part,split,num', REAL_SPLITS)
def test_real_split_counts_and_bounds(shanghaitech_root, part, split, num):
    root = osp.join(shanghaitech_root, part)
    if not osp.isdir(osp.join(root, f'{split}_data')):
        pytest.skip(f'{part}/{split}_data not present')
    ds = ShanghaiTechDataset(root, split=split)
    assert len(ds) == num
    for info in ds:
        mat = osp.join(root, f'{split}_data', 'ground-truth',
                       'GT_' + osp.basename(info['img_path'])[:-4] + '.mat')
        record = sio.loadmat(mat)['image_info'][0, 0][0, 0]
        assert info['gt_count'] == int(record['number'].squeeze())
        np.testing.assert_array_equal(info['gt_points'],
                                      record['location'].astype(np.float32))
        # Reads only the header. Every head of the release lies inside its
        # image without a shift (the reason it is read as 0-based).
        with Image.open(info['img_path']) as img:
            w, h = img.size
        pts = info['gt_points']
        assert (pts >= 0).all(), mat
        assert (pts[:, 0] < w).all() and (pts[:, 1] < h).all(), mat


def test_real_grayscale_images_load_as_three_channels(shanghaitech_root):
    paths = sorted(glob.glob(osp.join(shanghaitech_root, 'part_A',
                                      'train_data', 'images', '*.jpg')))
    gray = []
    for p in paths:
        with Image.open(p) as img:
            if img.mode == 'L':
                gray.append(p)
    if not gray:
        pytest.skip('no grayscale image in part_A/train_data')
    for p in gray:
        img = LoadCrowdImageFromFile()(dict(img_path=p))['img']
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
        assert (img[..., 0] == img[..., 2]).all()


@pytest.mark.parametrize('part,split,num', REAL_SPLITS)
def test_real_splits_have_the_release_sizes(shanghaitech_root, part, split,
                                            num):
    """No size or pairing warning on the real files."""
    import warnings
    root = osp.join(shanghaitech_root, part)
    if not osp.isdir(osp.join(root, f'{split}_data')):
        pytest.skip(f'{part}/{split}_data not present')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        ds = ShanghaiTechDataset(root, split=split)
    assert len(ds) == num == ds.expected_size()


def test_real_validation_carve_of_the_default_configs(shanghaitech_root):
    """The default configs' protocol on the real Part A: 30 held-out
    training images, disjoint from the 270 that train, the same on every
    build; the test split is another folder."""
    root = osp.join(shanghaitech_root, 'part_A')
    kw = dict(split='train', num_val=30, seed=0)
    val = ShanghaiTechDataset(root, val_split='val', **kw)
    train = ShanghaiTechDataset(root, val_split='train', **kw)
    val_paths = {d['img_path'] for d in val}
    train_paths = {d['img_path'] for d in train}
    assert (len(val_paths), len(train_paths)) == (30, 270)
    assert not val_paths & train_paths
    assert all('/train_data/' in p for p in val_paths)
    again = ShanghaiTechDataset(root, val_split='val', **kw)
    assert [d['img_path'] for d in again] == [d['img_path'] for d in val]
