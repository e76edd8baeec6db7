import json
import os

import numpy as np
import pytest

from hsrcount.datasets import SyntheticCrowdDataset
from hsrcount.datasets.synthetic import draw_crowd


def read_all(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            with open(path, 'rb') as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def test_same_seed_same_files(tmp_path):
    args = dict(num_images=4, img_size=(48, 64), seed=3)
    a = SyntheticCrowdDataset(str(tmp_path / 'a'), **args)
    SyntheticCrowdDataset(str(tmp_path / 'b'), **args)
    files_a, files_b = read_all(tmp_path / 'a'), read_all(tmp_path / 'b')
    assert len(files_a) == 4 + 2 and files_a == files_b
    assert len(a) == 4
    info = a.get_data_info(0)
    assert info['gt_points'].shape == (info['gt_count'], 2)
    other = SyntheticCrowdDataset(str(tmp_path / 'c'), split='val', **args)
    assert not np.array_equal(other.get_data_info(0)['gt_points'],
                              info['gt_points'])


def test_cache_reused_and_regenerated(tmp_path):
    root = str(tmp_path)
    SyntheticCrowdDataset(root, num_images=3, img_size=(32, 40))
    ann = tmp_path / 'train' / 'annotations.json'
    stamp = ann.stat().st_mtime_ns
    SyntheticCrowdDataset(root, num_images=3, img_size=(32, 40))
    assert ann.stat().st_mtime_ns == stamp  # reused
    ds = SyntheticCrowdDataset(root, num_images=5, img_size=(32, 40))
    assert len(ds) == 5 and len(json.loads(ann.read_text())['images']) == 5
    manifest = json.loads((tmp_path / 'train' / 'manifest.json').read_text())
    assert manifest['num_images'] == 5


def test_points_lie_on_heads():
    rng = np.random.default_rng(0)
    img, points, background = draw_crowd(rng, (96, 128), 40)
    assert points.shape == (40, 2)
    assert (points[:, 0] >= 0).all() and (points[:, 0] < 128).all()
    assert (points[:, 1] >= 0).all() and (points[:, 1] < 96).all()
    cols, rows = np.floor(points).astype(int).T
    diff = np.abs(img[rows, cols].astype(int) -
                  background[rows, cols].astype(int)).max(axis=1)
    assert (diff > 30).all()
    # Heads grow towards the bottom (perspective): compare the drawn area
    # above the head centre (bodies are below, and cut by the image's
    # bottom) of the nearest and the farthest of one-person images.
    sizes = []
    for seed in range(20):
        img1, pts1, bg1 = draw_crowd(np.random.default_rng(seed), (96, 128),
                                     1)
        top = int(pts1[0, 1])
        sizes.append((pts1[0, 1], (img1[:top] != bg1[:top]).any(2).sum()))
    sizes.sort()
    assert sizes[-1][1] > 4 * sizes[0][1]
    # Far from every head and body the background is untouched.
    assert (img[0, :] == background[0, :]).mean() > 0.5


def test_counts_vary(tmp_path):
    ds = SyntheticCrowdDataset(str(tmp_path), num_images=30,
                               img_size=(48, 64), count_range=(3, 150))
    counts = [d['gt_count'] for d in ds]
    assert min(counts) < 15 and max(counts) > 80
    with pytest.raises(ValueError, match='num_images'):
        SyntheticCrowdDataset(str(tmp_path / 'e'), num_images=0)


def test_patch_repeat_dataset_over_synthetic(tmp_path):
    from mmengine.registry import init_default_scope

    from hsrcount.registry import DATASETS
    init_default_scope('hsrcount')
    ds = DATASETS.build(
        dict(type='PatchRepeatDataset', patches_per_image=14,
             dataset=dict(
                 type='SyntheticCrowdDataset', data_root=str(tmp_path),
                 num_images=2, img_size=(32, 48),
                 pipeline=[dict(type='LoadCrowdImageFromFile'),
                           dict(type='LoadCrowdAnnotations',
                                head_sigmas=dict(mode='adaptive')),
                           dict(type='PaperCrop'),
                           dict(type='GenerateDensity'),
                           dict(type='PackCrowdInputs')])))
    assert len(ds) == 28
    assert ds.get_data_info(15)['patch_index'] == 1
    assert ds.get_data_info(15)['img_path'].endswith('00001.jpg')
    # Quarter 1 is the top-right 16 x 24 patch, [24, 48) x [0, 16).
    info = ds.get_data_info(1)
    pts = info['gt_points']
    expected = ((pts[:, 0] >= 24) & (pts[:, 1] < 16)).sum()
    sample = ds[1]['data_samples']
    assert ds[1]['inputs'].shape == (3, 16, 24)
    assert sample.gt_count == expected
    with pytest.raises(IndexError):
        ds[28]


def _build_split(root):
    from hsrcount.datasets import SyntheticCrowdDataset
    dataset = SyntheticCrowdDataset(root, num_images=12, img_size=(48, 64))
    return [dataset.get_data_info(i)['gt_count'] for i in range(len(dataset))]


@pytest.mark.slow
def test_concurrent_generation_gives_one_complete_split(tmp_path):
    """Ranks of a distributed run generate the same split at once."""
    import multiprocessing
    import os
    with multiprocessing.get_context('spawn').Pool(3) as pool:
        counts = pool.map(_build_split, [str(tmp_path)] * 3)
    assert counts[0] == counts[1] == counts[2] and len(counts[0]) == 12
    assert sorted(os.listdir(tmp_path)) == ['train']  # no temporary left
    assert len(os.listdir(tmp_path / 'train' / 'images')) == 12
