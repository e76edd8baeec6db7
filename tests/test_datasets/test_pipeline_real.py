"""The training pipeline on real ShanghaiTech images, count kept at each step.

After every step the density of the current points (rendered here) must sum
to the number of points inside the current image.
"""
import os.path as osp

import numpy as np
import pytest
import torch

from hsrcount.datasets import PatchRepeatDataset, ShanghaiTechDataset
from hsrcount.datasets.density import points_inside, render_density
from hsrcount.datasets.transforms import (GenerateDensity,
                                          LoadCrowdAnnotations,
                                          LoadCrowdImageFromFile,
                                          PackCrowdInputs, PaperCrop,
                                          RandomFlip, RandomRescale)

STEPS = [
    LoadCrowdImageFromFile(),
    LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
    RandomRescale(scales=(0.8, 1.0, 1.2)),
    PaperCrop(),
    RandomFlip(prob=0.5),
]


def check_count(results):
    shape = results['img'].shape[:2]
    pts = results['gt_points']
    inside = int(points_inside(pts, shape).sum())
    dens = render_density(pts, shape, kernel='fixed', sigma=4.0)
    assert dens.sum() == pytest.approx(inside, rel=1e-4, abs=1e-4)
    return inside


@pytest.mark.parametrize('part', ['part_A', 'part_B'])
def test_training_pipeline_keeps_counts(shanghaitech_root, part):
    ds = PatchRepeatDataset(
        ShanghaiTechDataset(osp.join(shanghaitech_root, part)),
        patches_per_image=14)
    np.random.seed(0)
    # 10 images each; patch indices cover quarters and random crops.
    for n, idx in enumerate(range(0, 10 * 14, 14)):
        info = ds.get_data_info(idx + n % 14)
        results = dict(info)
        results = STEPS[0](results)
        assert results['img'].shape[2] == 3
        assert check_count(results) == info['gt_count']
        inside = info['gt_count']
        for step in STEPS[1:]:
            results = step(results)
            if isinstance(step, PaperCrop):  # the one step that drops heads
                inside = check_count(results)
            else:  # loading, rescale and flip keep every head
                assert check_count(results) == inside, step
        results = GenerateDensity()(results)
        assert results['gt_count'] == inside
        assert results['gt_density'].sum() == pytest.approx(
            inside, rel=1e-4, abs=1e-4)
        packed = PackCrowdInputs()(results)
        sample = packed['data_samples']
        assert packed['inputs'].shape[1:] == sample.gt_density.data.shape[1:]
        assert sample.gt_count == inside
        assert float(sample.gt_density.data.sum()) == pytest.approx(
            inside, rel=1e-4, abs=1e-4)


def test_quarters_partition_the_image(shanghaitech_root):
    """The four quarters of an (even-sided) image hold each of its heads
    exactly once (half-open crops), whole-image sigmas and all."""
    ds = ShanghaiTechDataset(osp.join(shanghaitech_root, 'part_B'))
    info = ds.get_data_info(0)
    load = LoadCrowdAnnotations(head_sigmas=dict(mode='adaptive'))
    base = load(LoadCrowdImageFromFile()(dict(info)))
    h, w = base['img'].shape[:2]
    assert h % 2 == 0 and w % 2 == 0
    # A head put on the point where the four quarters meet.
    base['gt_points'] = np.concatenate(
        [base['gt_points'], [[w / 2, h / 2]]]).astype(np.float32)
    base['gt_sigmas'] = np.append(base['gt_sigmas'], 2.5).astype(np.float32)
    base['gt_count'] = len(base['gt_points'])
    points, sigmas = [], []
    for q in range(4):
        out = PaperCrop()(dict(base, patch_index=q))
        x0, y0 = out['crop_box'][:2]
        points.append(out['gt_points'] + [x0, y0])
        sigmas.append(out['gt_sigmas'])
    assert sum(map(len, points)) == info['gt_count'] + 1
    order = np.lexsort(np.concatenate(points).T)
    np.testing.assert_array_equal(
        np.concatenate(points)[order],
        base['gt_points'][np.lexsort(base['gt_points'].T)])
    np.testing.assert_array_equal(
        np.concatenate(sigmas)[order],
        base['gt_sigmas'][np.lexsort(base['gt_points'].T)])
    assert torch.is_tensor(PackCrowdInputs()(base)['inputs'])
