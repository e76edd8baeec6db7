"""UCF-QNRF, JHU-Crowd++ and NWPU-Crowd read from fake releases written in
their own layouts (tests/fake_releases.py), heads off the image included."""
import json
import os
import os.path as osp
import warnings

import fake_releases as fake
import numpy as np
import pytest

from hsrcount.datasets import JHUCrowdDataset, NWPUCrowdDataset, UCFQNRFDataset
from hsrcount.utils import register_all_modules

register_all_modules()

PIPELINE = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations', head_sigmas=dict(mode='adaptive')),
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]
H, W = fake.IMG_SHAPE


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def quiet(build):
    """Build a dataset whose fake release is smaller than the real one,
    without the size warning; any other warning fails."""
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        warnings.filterwarnings('ignore', message='.*the release has')
        return build()


# ------------------------------------------------------------------ UCF-QNRF
def test_ucf_qnrf_reads_release(tmp_path):
    expected = fake.write_ucf_qnrf(str(tmp_path))
    for split in ('train', 'test'):
        ds = quiet(lambda: UCFQNRFDataset(str(tmp_path), split=split))
        entries = infos(ds)
        assert len(entries) == len(expected[split])
        for info, (img_path, _, pts) in zip(entries, expected[split]):
            assert info['img_path'] == img_path
            np.testing.assert_allclose(info['gt_points'], pts - 1, atol=1e-5)
            assert info['gt_count'] == len(pts)
            assert info['outside'] == 'clip'


def test_ucf_qnrf_clips_heads_off_the_image(tmp_path):
    expected = fake.write_ucf_qnrf(str(tmp_path))
    ds = quiet(lambda: UCFQNRFDataset(str(tmp_path), split='train',
                                      pipeline=PIPELINE))
    img_path, _, pts = expected['train'][0]
    with pytest.warns(UserWarning, match=rf'{osp.basename(img_path)}: 1 of '
                      rf'{len(pts)} head points'):
        sample = ds[0]['data_samples']
    assert sample.gt_count == len(pts)  # the official count
    assert float(sample.gt_points[-1, 0]) == W  # x = W + 4 clipped to W
    assert float(sample.gt_density.data.sum()) == pytest.approx(
        len(pts), rel=1e-5)


def test_ucf_qnrf_pairs_both_folders_and_checks_sizes(tmp_path):
    root = str(tmp_path)
    fake.write_ucf_qnrf(root)
    with pytest.warns(UserWarning, match="holds 3 images for split 'train', "
                      'the release has 1201'):
        UCFQNRFDataset(root, split='train')
    os.remove(osp.join(root, 'Test', 'img_0002_ann.mat'))
    with pytest.raises(FileNotFoundError,
                       match=r'img_0002.jpg: no annotation img_0002_ann.mat'):
        UCFQNRFDataset(root, split='test')
    with pytest.warns(UserWarning, match=r'in the test split: .*img_0002.jpg'):
        UCFQNRFDataset(root, split='train')
    with pytest.raises(ValueError, match='split must be train or test'):
        UCFQNRFDataset(root, split='val')


@pytest.mark.parametrize('dataset', [JHUCrowdDataset, NWPUCrowdDataset])
def test_three_split_releases_refuse_another_split(dataset, tmp_path):
    with pytest.raises(ValueError, match=f'{dataset.__name__}: split must be '
                       "train, val or test, got 'Train'"):
        dataset(str(tmp_path), split='Train')


def test_ucf_qnrf_validation_carve(tmp_path):
    fake.write_ucf_qnrf(str(tmp_path), num_train=10)
    kw = dict(data_root=str(tmp_path), num_val=3, seed=0, check_size=False)
    val = UCFQNRFDataset(val_split='val', **kw)
    train = UCFQNRFDataset(val_split='train', **kw)
    val_paths = {d['img_path'] for d in val}
    assert len(val_paths) == 3 and len(train) == 7
    assert not val_paths & {d['img_path'] for d in train}


# --------------------------------------------------------------- JHU-Crowd++
def test_jhu_crowd_reads_release(tmp_path):
    expected = fake.write_jhu_crowd(str(tmp_path))
    for split in ('train', 'val', 'test'):
        ds = quiet(lambda: JHUCrowdDataset(str(tmp_path), split=split))
        entries = infos(ds)
        assert len(entries) == len(expected[split])
        for info, exp in zip(entries, expected[split]):
            assert info['img_path'] == exp['img_path']
            np.testing.assert_allclose(info['gt_points'], exp['points'],
                                       atol=1e-3)
            np.testing.assert_array_equal(info['gt_head_sizes'],
                                          exp['sizes'])
            assert info['gt_count'] == len(exp['points'])
            assert (info['weather'], info['scene_type']) == (
                exp['weather'], exp['scene_type'])
    # The third training image has no head.
    zero = JHUCrowdDataset(str(tmp_path), split='train', check_size=False,
                           pipeline=PIPELINE)[2]['data_samples']
    assert zero.gt_count == 0 and not zero.gt_density.data.any()
    assert zero.weather == 3


def test_jhu_crowd_clips_heads_off_the_image_and_keeps_their_boxes(
        tmp_path):
    expected = fake.write_jhu_crowd(str(tmp_path))
    pipeline = [
        dict(type='LoadCrowdImageFromFile'),
        dict(type='LoadCrowdAnnotations',
             head_sigmas=dict(mode='boxes', box_scale=0.5)),
        dict(type='GenerateDensity', kernel='adaptive'),
        dict(type='PackCrowdInputs'),
    ]
    ds = JHUCrowdDataset(str(tmp_path), split='val', check_size=False,
                         pipeline=pipeline)
    exp = expected['val'][1]
    with pytest.warns(UserWarning, match=rf"{exp['name']}.jpg: 1 of"):
        results = ds.pipeline(ds.get_data_info(1))
    sample = results['data_samples']
    assert sample.gt_count == len(exp['points'])
    assert float(sample.gt_points[-1, 0]) == 0.0  # x = -4 clipped to 0
    assert float(sample.gt_density.data.sum()) == pytest.approx(
        len(exp['points']), rel=1e-5)


def test_jhu_crowd_checks_files_and_labels(tmp_path):
    root = str(tmp_path)
    expected = fake.write_jhu_crowd(root)
    os.remove(expected['test'][0]['gt_path'])  # its listed count is 1
    with pytest.raises(FileNotFoundError, match='0006.txt'):
        JHUCrowdDataset(root, split='test', check_size=False)
    with pytest.warns(UserWarning, match=r'in the test split: .*0006.txt'):
        JHUCrowdDataset(root, split='val', check_size=False)
    # A zero-head image may lack its gt file.
    os.remove(expected['train'][2]['gt_path'])
    ds = JHUCrowdDataset(root, split='train', check_size=False)
    assert ds.get_data_info(2)['gt_count'] == 0
    labels = osp.join(root, 'val', 'image_labels.txt')
    with open(labels, 'a') as f:
        f.write('0005,3,street,rain,0\n')
    with pytest.raises(ValueError, match=r'image_labels.txt, line 3: count, '
                       'weather and distractor must be integers'):
        JHUCrowdDataset(root, split='val', check_size=False)
    with open(expected['train'][0]['gt_path'], 'w') as f:
        f.write('1 2 3 4 1\n')
    with pytest.raises(ValueError, match=r'0001.txt, line 1: expected "x y '
                       r'w h o b"'):
        JHUCrowdDataset(root, split='train', check_size=False)


def test_jhu_crowd_count_mismatch_warns(tmp_path):
    root = str(tmp_path)
    fake.write_jhu_crowd(root)
    labels = osp.join(root, 'val', 'image_labels.txt')
    with open(labels) as f:
        lines = f.readlines()
    name = lines[0].split(',')[0]
    lines[0] = lines[0].replace(f'{name},1,', f'{name},5,')
    with open(labels, 'w') as f:
        f.writelines(lines)
    with pytest.warns(UserWarning, match=rf'{name}.txt: 1 heads, but '
                      r'image_labels.txt lists 5'):
        ds = JHUCrowdDataset(root, split='val', check_size=False)
    assert ds.get_data_info(0)['gt_count'] == 1


# ---------------------------------------------------------------- NWPU-Crowd
def test_nwpu_crowd_reads_release(tmp_path):
    expected = fake.write_nwpu_crowd(str(tmp_path))
    for split in ('train', 'val'):
        ds = quiet(lambda: NWPUCrowdDataset(str(tmp_path), split=split))
        entries = infos(ds)
        assert len(entries) == len(expected[split])
        for info, exp in zip(entries, expected[split]):
            assert info['img_path'] == exp['img_path']
            np.testing.assert_allclose(info['gt_points'], exp['points'],
                                       atol=1e-5)
            np.testing.assert_allclose(info['gt_head_sizes'],
                                       [[4., 6.]] * len(exp['points']),
                                       atol=1e-4)
            assert (info['luminance'], info['scene_level']) == (
                exp['luminance'], exp['scene_level'])


def test_nwpu_crowd_test_split_has_no_ground_truth(tmp_path):
    expected = fake.write_nwpu_crowd(str(tmp_path))
    pipeline = [dict(type='LoadCrowdImageFromFile'),
                dict(type='PackCrowdInputs')]
    ds = NWPUCrowdDataset(str(tmp_path), split='test', check_size=False,
                          pipeline=pipeline)
    assert [d['img_path'] for d in infos(ds)] == [
        e['img_path'] for e in expected['test']]
    assert 'gt_count' not in ds.get_data_info(0)
    sample = ds[0]['data_samples']
    assert 'gt_count' not in sample and sample.scene_level == 6 % 5
    with_gt = NWPUCrowdDataset(str(tmp_path), split='test',
                               check_size=False, pipeline=PIPELINE)
    with pytest.raises(KeyError, match='0006.jpg: the sample has no ground '
                       'truth'):
        with_gt[0]


def test_nwpu_crowd_clips_heads_off_the_image(tmp_path):
    fake.write_nwpu_crowd(str(tmp_path))
    ds = NWPUCrowdDataset(str(tmp_path), split='train', check_size=False,
                          pipeline=PIPELINE)
    with pytest.warns(UserWarning, match=r'0002.jpg: 1 of'):
        sample = ds[1]['data_samples']
    n = 2 % 3 + 1 + 1
    assert sample.gt_count == n
    assert float(sample.gt_points[-1, 1]) == H
    assert float(sample.gt_density.data.sum()) == pytest.approx(n, rel=1e-5)


def test_nwpu_crowd_checks_every_list(tmp_path):
    root = str(tmp_path)
    fake.write_nwpu_crowd(root)
    with pytest.warns(UserWarning, match="holds 3 images for split 'train', "
                      'the release has 3109'):
        NWPUCrowdDataset(root, split='train')
    os.remove(osp.join(root, 'jsons', '0005.json'))
    with pytest.raises(FileNotFoundError, match='0005.json'):
        NWPUCrowdDataset(root, split='val', check_size=False)
    with pytest.warns(UserWarning, match=r'in the val split: .*0005.json'):
        NWPUCrowdDataset(root, split='train', check_size=False)
    with open(osp.join(root, 'test.txt'), 'a') as f:
        f.write('0003 1 1\n')
    with pytest.raises(ValueError, match=r'0003 is listed in both train.txt '
                       r'and test.txt'):
        NWPUCrowdDataset(root, split='train', check_size=False)
    with open(osp.join(root, 'val.txt'), 'w') as f:
        f.write('0004 1 9\n')
    with pytest.raises(ValueError, match=r'val.txt, line 1: luminance must '
                       r'be 0-3 and scene level 0-4'):
        NWPUCrowdDataset(root, split='val', check_size=False)


def test_nwpu_crowd_images_in_part_folders_and_human_num(tmp_path):
    root = str(tmp_path)
    expected = fake.write_nwpu_crowd(root)
    part = osp.join(root, 'images_part1')
    os.rename(osp.join(root, 'images'), part)
    path = osp.join(root, 'jsons', '0001.json')
    with open(path) as f:
        data = json.load(f)
    data['human_num'] = 99
    with open(path, 'w') as f:
        json.dump(data, f)
    with pytest.warns(UserWarning, match=r'0001.json: human_num is 99 but '
                      r'the file holds 2 points'):
        ds = NWPUCrowdDataset(root, split='train', check_size=False)
    assert ds.get_data_info(0)['img_path'] == osp.join(part, '0001.jpg')
    assert ds.get_data_info(0)['gt_count'] == len(
        expected['train'][0]['points'])
