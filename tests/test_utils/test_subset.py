"""--val-subset: a dataloader's dataset loads N of its images."""
import numpy as np
import pytest
from mmengine.config import Config

from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules
from hsrcount.utils.subset import take_subset


@pytest.fixture
def cfg(tmp_path):
    register_all_modules()
    loader = dict(dataset=dict(
        type='SyntheticCrowdDataset', data_root=str(tmp_path / 'synthetic'),
        split='test', num_images=10, img_size=(16, 24), seed=3,
        pipeline=[dict(type='LoadCrowdImageFromFile')]))
    config = Config(dict(val_dataloader=loader))
    # As in the configs: the test loader is the validation loader.
    config.test_dataloader = config.val_dataloader
    return config


def image_names(loader_cfg):
    dataset = DATASETS.build(loader_cfg['dataset'])
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def test_first_n_images(cfg):
    everything = image_names(cfg.val_dataloader)
    assert take_subset(cfg, 'val_dataloader', 4) == 4
    assert image_names(cfg.val_dataloader) == everything[:4]
    # The test loader shared the dict and is left whole.
    assert image_names(cfg.test_dataloader) == everything


def test_seeded_sample_is_reproducible_and_in_dataset_order(cfg):
    everything = image_names(cfg.val_dataloader)
    indices = take_subset(cfg, 'val_dataloader', 4, seed=7)
    expected = sorted(np.random.default_rng(7).choice(10, 4, replace=False))
    assert indices == [int(i) for i in expected]
    assert image_names(cfg.val_dataloader) == [everything[i]
                                               for i in indices]
    again = Config(dict(test_dataloader=cfg.test_dataloader))
    assert take_subset(again, 'test_dataloader', 4, seed=7) == indices
    # More images than the dataset has: all of them.
    whole = Config(dict(test_dataloader=cfg.test_dataloader))
    assert take_subset(whole, 'test_dataloader', 50, seed=1) == list(
        range(10))


def test_subset_reaches_through_dataset_wrappers(cfg):
    inner = cfg.val_dataloader['dataset']
    wrapped = Config(dict(train_dataloader=dict(dataset=dict(
        type='PatchRepeatDataset', patches_per_image=2, dataset=inner))))
    take_subset(wrapped, 'train_dataloader', 3)
    assert wrapped.train_dataloader.dataset.dataset.indices == 3
    assert 'indices' not in wrapped.train_dataloader.dataset


def test_bad_subsets_say_why(cfg):
    with pytest.raises(ValueError, match='at least 1 image, got 0'):
        take_subset(cfg, 'val_dataloader', 0)
    with pytest.raises(ValueError, match='a seed \\(3\\) but no number'):
        take_subset(cfg, 'val_dataloader', None, seed=3)
    with pytest.raises(ValueError, match='no train_dataloader.dataset'):
        take_subset(cfg, 'train_dataloader', 2)
    cfg.val_dataloader.dataset.indices = 5
    with pytest.raises(ValueError, match='already sets indices=5'):
        take_subset(cfg, 'val_dataloader', 2)
    concat = Config(dict(val_dataloader=dict(dataset=dict(
        type='ConcatDataset', datasets=[]))))
    with pytest.raises(ValueError, match='concatenates'):
        take_subset(concat, 'val_dataloader', 2)
