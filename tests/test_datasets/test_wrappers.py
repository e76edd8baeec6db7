"""InMemoryDataset: decode once, then the same samples as the pipeline."""
import numpy as np
import pytest
import torch

from hsrcount.datasets import InMemoryDataset
from hsrcount.datasets.wrappers import split_loading
from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules


@pytest.fixture
def patch_dataset(tmp_path):
    register_all_modules()
    pipeline = [
        dict(type='LoadCrowdImageFromFile'),
        dict(type='LoadCrowdAnnotations',
             head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
        dict(type='RandomRescale', scales=(0.8, 1.2)),
        dict(type='RandomCrop', size=(24, 32)),
        dict(type='RandomFlip', prob=0.5),
        dict(type='GenerateDensity', kernel='adaptive', k=3, beta=0.3),
        dict(type='PackCrowdInputs'),
    ]
    return DATASETS.build(
        dict(type='PatchRepeatDataset', patches_per_image=3,
             dataset=dict(type='SyntheticCrowdDataset',
                          data_root=str(tmp_path), split='train',
                          num_images=2, img_size=(40, 56), seed=0,
                          pipeline=pipeline)))


def test_in_memory_decodes_once_and_matches_pipeline(patch_dataset,
                                                     monkeypatch):
    from hsrcount.datasets.transforms import loading
    calls = []
    read = loading.read_image_bgr
    monkeypatch.setattr(loading, 'read_image_bgr',
                        lambda path: calls.append(path) or read(path))
    cached = InMemoryDataset(patch_dataset, num_threads=2)
    assert len(cached) == len(patch_dataset) == 6
    assert cached.num_cached == 2 and len(calls) == 2
    assert cached.load_all() == 2 and len(calls) == 2  # nothing new
    for idx in list(range(len(cached))) * 2:
        np.random.seed(idx)
        got = cached[idx]
        np.random.seed(idx)
        want = patch_dataset[idx]
        assert torch.equal(got['inputs'], want['inputs'])
        assert torch.equal(got['data_samples'].gt_density.data,
                           want['data_samples'].gt_density.data)
        assert torch.equal(got['data_samples'].gt_points,
                           want['data_samples'].gt_points)
        assert got['inputs'].shape == (3, 24, 32)
    # The reference samples decoded again; the cached ones never did.
    assert len(calls) == 2 + 2 * len(patch_dataset)


def test_in_memory_refuses_uncacheable_pipeline(patch_dataset):
    from mmengine.dataset import Compose
    bad = Compose([dict(type='RandomFlip', prob=0.5),
                   dict(type='LoadCrowdImageFromFile')])
    with pytest.raises(ValueError, match='must start with'):
        split_loading(bad)
    bad = Compose([dict(type='LoadCrowdImageFromFile'),
                   dict(type='RandomFlip', prob=0.5),
                   dict(type='LoadCrowdAnnotations')])
    with pytest.raises(ValueError, match='come after'):
        split_loading(bad)


def test_in_memory_from_a_config_lazy(patch_dataset, tmp_path):
    """Built from its config dict like any wrapper; lazy defers decoding."""
    cfg = dict(type='InMemoryDataset', lazy=True,
               dataset=dict(type='SyntheticCrowdDataset',
                            data_root=str(tmp_path), split='train',
                            num_images=2, img_size=(40, 56), seed=0,
                            pipeline=[dict(type='LoadCrowdImageFromFile'),
                                      dict(type='LoadCrowdAnnotations'),
                                      dict(type='GenerateDensity'),
                                      dict(type='PackCrowdInputs')]))
    cached = DATASETS.build(cfg)
    assert cached.num_cached == 0 and len(cached) == 2
    assert cached[1]['data_samples'].gt_count == \
        len(cached.dataset.get_data_info(1)['gt_points'])
    assert cached.num_cached == 1
