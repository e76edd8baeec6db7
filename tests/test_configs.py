"""Every config file builds: its model, its datasets (on fake releases of
each family) with a sample through each pipeline, and its evaluators."""
import glob
import os.path as osp
import pathlib

import numpy as np
import pytest
import torch
from mmengine.config import Config

import fake_releases as fake
from hsrcount.apis import register_all_modules
from hsrcount.registry import DATASETS, METRICS, MODELS

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(__file__)), 'configs')
CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in p)


@pytest.fixture(scope='module')
def fake_roots(tmp_path_factory):
    """A small fake release of every dataset family, by dataset type."""
    base = tmp_path_factory.mktemp('releases')
    sht = base / 'shanghaitech'
    fake.make_shanghaitech_part(sht, ids=(1, 2), split='train')
    fake.make_shanghaitech_part(sht, ids=(3, ), split='test')
    roots = dict(ShanghaiTechDataset=str(sht),
                 SyntheticCrowdDataset=str(base / 'synthetic'))
    writers = dict(
        UCSDDataset=fake.write_ucsd,
        MallDataset=fake.write_mall,
        WorldExpoDataset=fake.write_worldexpo,
        TrancosDataset=fake.write_trancos,
        UCFCC50Dataset=fake.write_ucf_cc_50)
    for dataset_type, write in writers.items():
        root = str(base / dataset_type)
        write(root)
        roots[dataset_type] = root
    return roots


def _inner_dataset(cfg):
    """The dataset dict that reads files (inside any wrapper)."""
    while 'dataset' in cfg:
        cfg = cfg['dataset']
    return cfg


def _as_list(evaluator):
    return evaluator if isinstance(evaluator, list) else [evaluator]


def test_configs_found():
    assert len(CONFIGS) >= 40, CONFIGS


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, CONFIG_DIR) for p in CONFIGS])
def test_config_builds(path, fake_roots):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'hsrcount'

    model = MODELS.build(cfg.model)
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 80), mode='tensor')
    d0 = out[0] if isinstance(out, (tuple, list)) else out
    assert d0.shape == (1, 1, 64, 80)

    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        inner = _inner_dataset(loader.dataset)
        assert inner.data_root.startswith('data/')  # the documented default
        inner.data_root = fake_roots[inner.type]
        if inner.type == 'SyntheticCrowdDataset':
            inner.num_images = 2
        dataset = DATASETS.build(loader.dataset)
        packed = dataset[0]
        sample = packed['data_samples']
        assert sample.gt_density.shape == tuple(packed['inputs'].shape[1:])
        # Renormalised kernels: the map holds exactly the counted heads.
        np.testing.assert_allclose(
            float(sample.gt_density.data.sum()), sample.gt_count, atol=1e-3)

    for key in ('val_evaluator', 'test_evaluator'):
        for metric in _as_list(cfg[key]):
            METRICS.build(metric)


def test_unknown_type_lists_registered_names():
    register_all_modules()
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='ScaleFocusModul'))
    message = str(err.value)
    assert 'ScaleFocusModul' in message
    assert 'Did you mean ScaleFocusModule' in message
    assert 'VGG16' in message and 'CrowdCounter' in message


def test_fake_shanghaitech_layout(fake_roots):
    root = pathlib.Path(fake_roots['ShanghaiTechDataset'])
    assert (root / 'train_data' / 'ground-truth' / 'GT_IMG_2.mat').is_file()
