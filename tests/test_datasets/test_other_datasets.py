"""UCSD, Mall, WorldExpo'10, TRANCOS and UCF_CC_50 read from fake releases."""
import os
import os.path as osp

import cv2
import fake_releases as fake
import numpy as np
import pytest
import scipy.io

from hsrcount.datasets.mall import MallDataset
from hsrcount.datasets.release_io import load_roi_file
from hsrcount.datasets.trancos import TrancosDataset
from hsrcount.datasets.ucf_cc_50 import UCFCC50Dataset
from hsrcount.datasets.ucsd import UCSDDataset
from hsrcount.datasets.worldexpo import WorldExpoDataset
from hsrcount.registry import DATASETS


def assert_entry(info, img_path, points_1based):
    """The entry holds the image and the points moved to 0-based."""
    assert info['img_path'] == img_path
    assert info['gt_points'].dtype == np.float32
    assert info['gt_points'].shape == (len(points_1based), 2)
    np.testing.assert_allclose(
        info['gt_points'], np.asarray(points_1based) - 1, atol=1e-5)
    assert info['gt_count'] == len(points_1based)
    assert isinstance(info['gt_count'], int)


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


# ---------------------------------------------------------------- UCSD
@pytest.fixture(scope='module')
def ucsd_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ucsd'))
    return root, fake.write_ucsd(root)


@pytest.mark.parametrize('split,indices', [
    ('train', range(601, 1401)),
    ('test', [*range(1, 601), *range(1401, 2001)]),
])
def test_ucsd_paper_split(ucsd_root, split, indices):
    root, expected = ucsd_root
    dataset = DATASETS.build(
        dict(type='UCSDDataset', data_root=root, split=split))
    entries = infos(dataset)
    assert [e['frame_index'] for e in entries] == list(indices)
    for info in entries:
        img_path, inside = expected[info['frame_index']]
        assert_entry(info, img_path, inside)
        np.testing.assert_array_equal(info['roi'], fake.roi_mask())
        assert info['roi'].dtype == np.uint8


def test_ucsd_polygon_roi_and_no_roi(tmp_path):
    root = str(tmp_path)
    expected = fake.write_ucsd(root, num_seqs=2, frames_per_seq=3,
                               roi='polygon')
    dataset = UCSDDataset(root, split='train', train_range=(2, 5))
    entries = infos(dataset)
    assert [e['frame_index'] for e in entries] == [2, 3, 4, 5]
    # Frames 4 and 5 are frames 1 and 2 of the second sequence.
    assert entries[2]['img_path'].endswith(
        osp.join('vidf1_33_001.y', 'vidf1_33_001_f001.png'))
    for info in entries:
        assert_entry(info, *expected[info['frame_index']])
        np.testing.assert_array_equal(info['roi'], fake.roi_mask())

    all_heads = UCSDDataset(root, split='test', train_range=(2, 5),
                            use_roi=False)
    loc = scipy.io.loadmat(
        osp.join(root, 'vidf-cvpr',
                 'vidf1_33_000_frame_full.mat'))['frame'][0, 0]['loc'][0, 0]
    first = all_heads.get_data_info(0)
    assert 'roi' not in first
    assert first['gt_count'] == len(loc) > len(expected[1][1])
    np.testing.assert_allclose(first['gt_points'], loc[:, :2] - 1, atol=1e-5)


@pytest.fixture
def small_ucsd(tmp_path):
    root = str(tmp_path)
    fake.write_ucsd(root, num_seqs=2, frames_per_seq=3)
    return root


def test_ucsd_missing_annotation_file(small_ucsd):
    path = osp.join(small_ucsd, 'vidf-cvpr', 'vidf1_33_001_frame_full.mat')
    os.remove(path)
    with pytest.raises(FileNotFoundError, match='vidf1_33_001_frame_full'):
        UCSDDataset(small_ucsd, train_range=(1, 2))


def test_ucsd_truncated_mat(small_ucsd):
    path = osp.join(small_ucsd, 'vidf-cvpr', 'vidf1_33_000_frame_full.mat')
    fake.truncate(path)
    with pytest.raises(ValueError, match='truncated') as err:
        UCSDDataset(small_ucsd, train_range=(1, 2))
    assert path in str(err.value)


def test_ucsd_field_missing(small_ucsd):
    path = osp.join(small_ucsd, 'vidf-cvpr', 'vidf1_33_001_frame_full.mat')
    fake.savemat(path, dict(frame=fake.frame_cell([np.ones((2, 3))] * 3,
                                                  field='pos')))
    with pytest.raises(ValueError, match=r"frame\{1\}.*no field 'loc'"):
        UCSDDataset(small_ucsd, train_range=(1, 2))


def test_ucsd_frame_count_mismatch(small_ucsd):
    os.remove(osp.join(small_ucsd, 'vidf', 'vidf1_33_001.y',
                       'vidf1_33_001_f003.png'))
    with pytest.raises(ValueError, match='annotates 3 frames.* 2 .png'):
        UCSDDataset(small_ucsd, train_range=(1, 2))


def test_ucsd_missing_sequence_and_roi_mismatch(small_ucsd):
    roi_path = osp.join(small_ucsd, 'vidf-cvpr',
                        'vidf1_33_roi_mainwalkway.mat')
    fake.savemat(roi_path, dict(roi=dict(mask=np.ones((4, 4)))))
    with pytest.raises(ValueError, match=r'ROI mask is \(4, 4\)'):
        UCSDDataset(small_ucsd, train_range=(1, 2))
    os.rename(osp.join(small_ucsd, 'vidf', 'vidf1_33_000.y'),
              osp.join(small_ucsd, 'vidf', 'moved'))
    with pytest.raises(FileNotFoundError, match=r'vidf1_33_000\.y'):
        UCSDDataset(small_ucsd, train_range=(1, 2))


def test_missing_root_points_to_docs(tmp_path):
    for cls in (UCSDDataset, MallDataset, WorldExpoDataset, TrancosDataset,
                UCFCC50Dataset):
        with pytest.raises(FileNotFoundError,
                           match='docs/dataset_prepare.md'):
            cls(str(tmp_path / 'nowhere'))


# ---------------------------------------------------------------- Mall
@pytest.fixture(scope='module')
def mall_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mall'))
    return root, fake.write_mall(root)


@pytest.mark.parametrize('split,indices', [('train', range(1, 801)),
                                           ('test', range(801, 2001))])
def test_mall_split(mall_root, split, indices):
    root, expected = mall_root
    dataset = DATASETS.build(
        dict(type='MallDataset', data_root=root, split=split))
    entries = infos(dataset)
    assert [e['frame_index'] for e in entries] == list(indices)
    for info in entries:
        assert_entry(info, *expected[info['frame_index']])
        np.testing.assert_array_equal(info['roi'], fake.roi_mask())
    # A sample through mmengine's __getitem__ (no pipeline) carries the ROI.
    assert dataset[0]['roi'].shape == fake.IMG_SHAPE


def test_mall_count_mismatch_and_missing_frame(tmp_path):
    root = str(tmp_path)
    fake.write_mall(root, num_frames=4)
    gt_path = osp.join(root, 'mall_gt.mat')
    gt = scipy.io.loadmat(gt_path)
    gt['count'][2, 0] += 1
    scipy.io.savemat(gt_path, dict(frame=gt['frame'], count=gt['count']))
    with pytest.raises(ValueError, match=r'frame\{3\}.*count\(3\)'):
        MallDataset(root, train_range=(1, 2))

    fake.write_mall(root, num_frames=4)
    os.remove(osp.join(root, 'frames', 'seq_000004.jpg'))
    with pytest.raises(ValueError, match='annotates 4 frames.* 3 .jpg'):
        MallDataset(root, train_range=(1, 2))
    # Four frames on disk again, but frame 3 under the wrong name.
    os.rename(osp.join(root, 'frames', 'seq_000003.jpg'),
              osp.join(root, 'frames', 'seq_000005.jpg'))
    fake.write_image(osp.join(root, 'frames', 'seq_000004.jpg'))
    with pytest.raises(FileNotFoundError, match=r'seq_000003\.jpg'):
        MallDataset(root, train_range=(1, 2))


def test_mall_missing_roi_file(tmp_path):
    root = str(tmp_path)
    fake.write_mall(root, num_frames=3)
    os.remove(osp.join(root, 'perspective_roi.mat'))
    with pytest.raises(FileNotFoundError, match='perspective_roi.mat'):
        MallDataset(root, train_range=(1, 2))
    assert len(MallDataset(root, train_range=(1, 2), use_roi=False)) == 2


# ---------------------------------------------------------- WorldExpo'10
@pytest.fixture
def worldexpo(tmp_path):
    root = str(tmp_path)
    return root, fake.write_worldexpo(root)


@pytest.mark.parametrize('split', ['train', 'test'])
def test_worldexpo_splits_and_scenes(worldexpo, split):
    root, expected = worldexpo
    dataset = DATASETS.build(
        dict(type='WorldExpoDataset', data_root=root, split=split))
    entries = infos(dataset)
    assert len(entries) == len(expected[split])
    for info, (scene, img_path, inside) in zip(entries, expected[split]):
        assert info['scene'] == scene
        assert_entry(info, img_path, inside)
        np.testing.assert_array_equal(info['roi'], fake.roi_mask())
    scenes = sorted({e['scene'] for e in entries})
    if split == 'test':
        assert scenes == sorted(WorldExpoDataset.TEST_SCENES)
    else:
        assert scenes == ['100061', '200247']


def test_worldexpo_one_scene_and_point_variable(tmp_path):
    root = str(tmp_path)
    expected = fake.write_worldexpo(root, point_key='point')
    dataset = WorldExpoDataset(root, split='test', scenes=['200702'])
    wanted = [e for e in expected['test'] if e[0] == '200702']
    assert len(dataset) == len(wanted) == 2
    for info, (_, img_path, inside) in zip(infos(dataset), wanted):
        assert_entry(info, img_path, inside)
    with pytest.raises(FileNotFoundError, match='999999'):
        WorldExpoDataset(root, split='test', scenes=['999999'])


def test_worldexpo_errors(worldexpo):
    root, expected = worldexpo
    label = osp.join(root, 'test_label', '202201', '202201_clip_002.mat')
    os.remove(label)
    with pytest.raises(FileNotFoundError, match='202201_clip_002.mat'):
        WorldExpoDataset(root, split='test')
    fake.savemat(label, dict(heads=np.ones((2, 2))))
    with pytest.raises(ValueError, match='point_position or point'):
        WorldExpoDataset(root, split='test')
    roi = osp.join(root, 'train_label', '200247', 'roi.mat')
    fake.truncate(roi, keep=0.3)
    with pytest.raises(ValueError, match='truncated') as err:
        WorldExpoDataset(root, split='train')
    assert roi in str(err.value)
    fake.write_image(osp.join(root, 'train_frame', 'badname.jpg'))
    with pytest.raises(ValueError, match='badname.jpg.*scene'):
        WorldExpoDataset(root, split='train')


# ------------------------------------------------------------- TRANCOS
@pytest.mark.parametrize('split,sets', [
    ('train', ['training']),
    ('val', ['validation']),
    ('trainval', ['training', 'validation']),
    ('test', ['test']),
])
def test_trancos_splits(tmp_path, split, sets):
    root = str(tmp_path)
    expected = fake.write_trancos(root)
    dataset = DATASETS.build(
        dict(type='TrancosDataset', data_root=root, split=split))
    assert dataset.metainfo['classes'] == ('vehicle', )
    stems = [s for name in sets for s in fake.TRANCOS_SETS[name]]
    entries = infos(dataset)
    assert len(entries) == len(stems)
    for info, stem in zip(entries, stems):
        img_path, mask_path, inside = expected[stem]
        assert_entry(info, img_path, inside)
        assert info['roi_path'] == mask_path
        np.testing.assert_array_equal(info['roi'], fake.roi_mask())
        assert info['roi'].dtype == np.uint8


def test_trancos_errors(tmp_path):
    root = str(tmp_path)
    fake.write_trancos(root)
    with open(osp.join(root, 'images', 'image-3-000101.txt'), 'a') as f:
        f.write('12.0\n')
    with pytest.raises(ValueError, match=r'image-3-000101.txt:\d+: expected'):
        TrancosDataset(root, split='test')
    os.remove(osp.join(root, 'images', 'image-1-000002mask.mat'))
    with pytest.raises(FileNotFoundError, match='image-1-000002mask.mat'):
        TrancosDataset(root, split='train')
    os.remove(osp.join(root, 'image_sets', 'validation.txt'))
    with pytest.raises(FileNotFoundError, match='validation.txt'):
        TrancosDataset(root, split='val')
    with pytest.raises(ValueError, match='split must be one of'):
        TrancosDataset(root, split='training')


def test_load_roi_file_formats(tmp_path):
    mask = fake.roi_mask()
    png = str(tmp_path / 'roi.png')
    cv2.imwrite(png, mask * 255)
    np.testing.assert_array_equal(load_roi_file(png), mask)
    jpg = str(tmp_path / 'roi.jpg')
    cv2.imwrite(jpg, mask * 255)
    np.testing.assert_array_equal(load_roi_file(jpg), mask)

    xs, ys = fake.roi_polygon()
    variables = {
        'bw.mat': dict(BW=mask.astype(bool)),
        'struct.mat': dict(roi=dict(mask=mask.astype(float))),
        'poly_struct.mat': dict(roi=dict(xi=xs, yi=ys)),
        'worldexpo.mat': dict(maskVerticesXCoordinates=xs,
                              maskVerticesYCoordinates=ys),
    }
    for name, content in variables.items():
        path = str(tmp_path / name)
        scipy.io.savemat(path, content)
        np.testing.assert_array_equal(
            load_roi_file(path, shape=fake.IMG_SHAPE), mask)
    with pytest.raises(ValueError, match='needs the image'):
        load_roi_file(str(tmp_path / 'worldexpo.mat'))
    with pytest.raises(ValueError, match=r'ROI mask is \(10, 12\)'):
        load_roi_file(str(tmp_path / 'bw.mat'), shape=(5, 5))
    scipy.io.savemat(str(tmp_path / 'other.mat'), dict(pmap=mask))
    with pytest.raises(ValueError, match=r"no ROI found.*\['pmap'\]"):
        load_roi_file(str(tmp_path / 'other.mat'))
    with pytest.raises(FileNotFoundError, match='absent.mat'):
        load_roi_file(str(tmp_path / 'absent.mat'))


@pytest.mark.parametrize('family', ['UCSDDataset', 'MallDataset',
                                    'WorldExpoDataset', 'TrancosDataset'])
def test_roi_reaches_the_loading_transforms(tmp_path, family):
    """Each family's ROI arrives as ``roi`` through the real pipeline."""
    from mmengine.registry import init_default_scope
    init_default_scope('hsrcount')
    root = str(tmp_path)
    write, kwargs = {
        'UCSDDataset': (lambda r: fake.write_ucsd(r, 1, 2),
                        dict(train_range=(1, 1))),
        'MallDataset': (lambda r: fake.write_mall(r, 2),
                        dict(train_range=(1, 1))),
        'WorldExpoDataset': (fake.write_worldexpo, {}),
        'TrancosDataset': (fake.write_trancos, {}),
    }[family]
    write(root)
    dataset = DATASETS.build(
        dict(type=family, data_root=root, split='train',
             pipeline=[dict(type='LoadCrowdImageFromFile'),
                       dict(type='LoadCrowdAnnotations')], **kwargs))
    results = dataset[0]
    assert results['img'].shape == fake.IMG_SHAPE + (3, )
    np.testing.assert_array_equal(results['roi'], fake.roi_mask())
    assert len(results['gt_points']) == results['gt_count']


# ----------------------------------------------------------- UCF_CC_50
@pytest.fixture(scope='module')
def ucf_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ucf'))
    return root, fake.write_ucf_cc_50(root)


@pytest.mark.parametrize('fold', range(5))
def test_ucf_cc_50_folds(ucf_root, fold):
    root, expected = ucf_root
    test = DATASETS.build(
        dict(type='UCFCC50Dataset', data_root=root, split='test', fold=fold))
    train = UCFCC50Dataset(root, split='train', fold=fold)
    test_ids = list(range(10 * fold + 1, 10 * fold + 11))
    train_ids = [i for i in range(1, 51) if i not in test_ids]
    for dataset, ids in ((test, test_ids), (train, train_ids)):
        entries = infos(dataset)
        assert len(entries) == len(ids)
        for info, i in zip(entries, ids):
            assert_entry(info, *expected[i])
            assert 'roi' not in info


def test_ucf_cc_50_errors(tmp_path):
    root = str(tmp_path)
    fake.write_ucf_cc_50(root, num_images=50)
    with pytest.raises(ValueError, match='fold must be 0 to 4'):
        UCFCC50Dataset(root, fold=5)
    os.remove(osp.join(root, '13_ann.mat'))
    with pytest.raises(FileNotFoundError, match='13_ann.mat'):
        UCFCC50Dataset(root, split='test', fold=1)
    # The whole release is checked, not only the split read.
    with pytest.raises(FileNotFoundError, match='13_ann.mat'):
        UCFCC50Dataset(root, split='test', fold=0)
    scipy.io.savemat(osp.join(root, '13_ann.mat'),
                     dict(annPoints=np.array([[1.0, np.nan]])))
    with pytest.raises(ValueError, match='13_ann.mat.*NaN'):
        UCFCC50Dataset(root, split='test', fold=1)


def test_ucf_cc_50_clips_heads_off_the_image(tmp_path):
    """The release's own annotation errors: a head past the image is
    clipped to the border and still counted (the official count)."""
    from hsrcount.utils import register_all_modules
    register_all_modules()
    root = str(tmp_path)
    fake.write_ucf_cc_50(root)
    pts = np.array([[2.0, 3.0], [fake.IMG_SHAPE[1] + 300.0, 4.0]])
    scipy.io.savemat(osp.join(root, '1_ann.mat'), dict(annPoints=pts))
    ds = UCFCC50Dataset(root, split='test', fold=0, pipeline=[
        dict(type='LoadCrowdImageFromFile'),
        dict(type='LoadCrowdAnnotations'),
        dict(type='GenerateDensity', kernel='fixed'),
        dict(type='PackCrowdInputs')])
    with pytest.warns(UserWarning, match=r'1.jpg: 1 of 2 head points'):
        sample = ds[0]['data_samples']
    assert sample.gt_count == 2
    np.testing.assert_allclose(sample.gt_points,
                               [[1., 2.], [fake.IMG_SHAPE[1], 3.]])


def test_fixed_camera_validation_is_the_last_training_frames(ucsd_root):
    root, expected = ucsd_root
    kw = dict(data_root=root, split='train', num_val=100, seed=123)
    val = UCSDDataset(val_split='val', **kw)
    train = UCSDDataset(val_split='train', **kw)
    assert [e['frame_index'] for e in infos(val)] == list(range(1301, 1401))
    assert [e['frame_index'] for e in infos(train)] == list(range(601, 1301))
    assert val.expected_size() == 800  # checked before the carve
