"""Every config file builds: its model, its datasets (on fake releases of
each family) with a sample through each pipeline, and its evaluators. The
config tree keeps its conventions: model bases stand alone, sibling configs
differ only where they say, and each folder's README and metafile.yml list
its configs."""
import glob
import os
import os.path as osp
import pathlib
import re

import fake_releases as fake
import numpy as np
import pytest
import torch
import yaml
from mmengine.config import Config

from hsrcount.registry import DATASETS, METRICS, MODELS
from hsrcount.utils import register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_DIR = osp.join(REPO, 'configs')
CONFIGS = sorted(
    p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    if '_base_' not in p)
CONFIG_FOLDERS = sorted(
    d for d in os.listdir(CONFIG_DIR)
    if d != '_base_' and osp.isdir(osp.join(CONFIG_DIR, d)))
UCF_FOLDS = [osp.join(CONFIG_DIR, 'hsrnet', 'hsrnet_ucf_cc_50.py')] + [
    osp.join(CONFIG_DIR, 'hsrnet', f'hsrnet_ucf_cc_50_fold{k}.py')
    for k in range(1, 5)]
# Every ShanghaiTech Part B config and its Part A sibling.
PART_B = [p for p in CONFIGS if re.search(r'shtech[_-]b\.py$', p)]


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
        UCFCC50Dataset=fake.write_ucf_cc_50,
        UCFQNRFDataset=fake.write_ucf_qnrf,
        JHUCrowdDataset=fake.write_jhu_crowd,
        NWPUCrowdDataset=fake.write_nwpu_crowd)
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
        if inner.get('val_split') is not None:
            inner.num_val = 1  # the fakes are small
        dataset = DATASETS.build(loader.dataset)
        packed = dataset[0]
        sample = packed['data_samples']
        if 'gt_count' not in dataset.get_data_info(0):
            # A split whose labels are withheld (NWPU-Crowd test): its
            # pipeline loads no ground truth.
            assert 'gt_density' not in sample
            continue
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


def _differences(a, b, path=''):
    """Paths (``'a.b[0].c'``) where two resolved configs differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            sub = f'{path}.{key}' if path else key
            if key not in a or key not in b:
                out.append(sub)
            else:
                out += _differences(a[key], b[key], sub)
        return out
    if (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
            and len(a) == len(b)):
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in _differences(x, y, f'{path}[{i}]')]
    return [] if a == b else [path]


def _resolved(path):
    return Config.fromfile(path).to_dict()


def _value(cfg, path):
    for key in path.split('.'):
        cfg = cfg[key]
    return cfg


DATA_ROOT_KEYS = [
    'data_root', 'train_dataloader.dataset.dataset.data_root',
    'val_dataloader.dataset.data_root', 'test_dataloader.dataset.data_root'
]


def test_shanghaitech_b_is_part_a_plus_a_data_root():
    base = osp.join(CONFIG_DIR, '_base_', 'datasets')
    part_a = _resolved(osp.join(base, 'shanghaitech_a.py'))
    part_b = _resolved(osp.join(base, 'shanghaitech_b.py'))
    assert sorted(_differences(part_a, part_b)) == sorted(DATA_ROOT_KEYS)
    for key in DATA_ROOT_KEYS:
        assert _value(part_b, key) == 'data/ShanghaiTech/part_B'
    with open(osp.join(base, 'shanghaitech_b.py')) as f:
        assert "_base_ = ['./shanghaitech_a.py']" in f.read()


@pytest.mark.parametrize(
    'path_b', PART_B, ids=[osp.relpath(p, CONFIG_DIR) for p in PART_B])
def test_part_b_config_is_its_part_a_sibling_plus_a_data_root(path_b):
    path_a = re.sub(r'shtech([_-])b\.py$', r'shtech\1a.py', path_b)
    assert osp.isfile(path_a), f'{path_b} has no Part A sibling'
    assert sorted(_differences(_resolved(path_a), _resolved(path_b))) == \
        sorted(DATA_ROOT_KEYS)


def test_ucf_cc_50_fold_configs_differ_only_by_fold(fake_roots):
    register_all_modules()
    fold_keys = sorted([
        'fold', 'train_dataloader.dataset.dataset.fold',
        'val_dataloader.dataset.fold', 'test_dataloader.dataset.fold'
    ])
    fold0 = _resolved(UCF_FOLDS[0])
    test_ids = []
    for k, path in enumerate(UCF_FOLDS):
        cfg = _resolved(path)
        assert sorted(_differences(fold0, cfg)) == \
            ([] if k == 0 else fold_keys)
        assert [_value(cfg, key) for key in fold_keys] == [k] * 4
        dataset = cfg['test_dataloader']['dataset']
        dataset['data_root'] = fake_roots['UCFCC50Dataset']
        test_ids += DATASETS.build(dataset).image_ids()
    assert sorted(test_ids) == list(range(1, 51))  # each image tested once


def test_model_bases_stand_alone():
    bases = glob.glob(osp.join(CONFIG_DIR, '_base_', 'models', '*.py'))
    assert len(bases) >= 3
    for path in bases:
        with open(path) as f:
            text = f.read()
        assert '_delete_' not in text, path
        assert '_base_' not in text, path


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, CONFIG_DIR) for p in CONFIGS])
def test_config_says_what_it_trains(path):
    with open(path) as f:
        first = f.readline()
    assert first.startswith('# ') and len(first) > 20, path
    cfg = Config.fromfile(path)
    assert 'density_scale' not in cfg.model  # it belongs to the head
    assert cfg.model.head.density_scale > 0


def test_no_issue_numbers_in_configs():
    for path in glob.glob(osp.join(CONFIG_DIR, '**', '*'), recursive=True):
        if osp.isfile(path):
            with open(path) as f:
                assert not re.search(r'issue\s*#?\d', f.read(), re.I), path


@pytest.mark.parametrize('folder', CONFIG_FOLDERS)
def test_folder_readme_and_metafile_list_its_configs(folder):
    folder_dir = osp.join(CONFIG_DIR, folder)
    configs = sorted(f for f in os.listdir(folder_dir) if f.endswith('.py'))
    assert configs

    with open(osp.join(folder_dir, 'README.md')) as f:
        readme = f.read()
    missing = [
        c for c in configs
        if not re.search(r'(?<![\w.-])' + re.escape(c), readme)
    ]
    assert not missing, f'{folder}/README.md does not list {missing}'
    assert 'No results yet' in readme

    with open(osp.join(folder_dir, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    collections = {c['Name'] for c in meta['Collections']}
    named = []
    for model in meta['Models']:
        assert model['In Collection'] in collections
        path = model['Config']
        assert osp.isfile(osp.join(REPO, path)), f'{path} does not exist'
        assert osp.dirname(path) == f'configs/{folder}'
        assert model['Name'] == osp.splitext(osp.basename(path))[0]
        assert model['Metadata']['Training Data']
        assert model['Metadata']['Architecture']
        # Nothing is trained yet; update with the README's results table.
        assert model['Results'] in (None, [])
        assert model['Paper']['Title']
        named.append(osp.basename(path))
    assert sorted(named) == configs


# -- model selection protocol and the documented switches --------------------

#: Splits a release gives for validation (no carve needed).
OWN_VAL_SPLITS = ('val', )


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, CONFIG_DIR) for p in CONFIGS])
def test_model_selection_never_looks_at_the_test_split(path):
    """Default configs validate (and keep save_best) on a split the test
    split never enters: the release's own val split, or the 'val' side of
    a carve of the training images whose 'train' side trains. Only the
    *_classic_* configs validate on the test split, and say so."""
    cfg = _resolved(path)
    train = _inner_dataset(cfg['train_dataloader']['dataset'])
    val = cfg['val_dataloader']['dataset']
    test = cfg['test_dataloader']['dataset']
    assert test['split'] == 'test'
    assert cfg['default_hooks']['checkpoint']['save_best'] == 'MAE'
    if '_classic_' in osp.basename(path):
        assert val['split'] == 'test' and val.get('val_split') is None
        assert train.get('val_split') is None
        with open(path) as f:
            assert 'classic protocol' in f.read()
        return
    assert val['split'] != 'test'
    if val['split'] in OWN_VAL_SPLITS:
        assert train['split'] == 'train' and train.get('val_split') is None
    else:
        assert val['split'] == train['split'] == 'train'
        assert (val['val_split'], train['val_split']) == ('val', 'train')
        for key in ('num_val', 'seed', 'fold'):
            assert val.get(key) == train.get(key), key
    for key in ('type', 'data_root', 'fold'):
        assert val.get(key) == test.get(key) == train.get(key), key


def test_classic_protocol_is_also_a_cfg_options_switch():
    """The three --cfg-options docs/train_test.md gives for configs without
    a *_classic_* twin turn a config into its classic twin's protocol."""
    from hsrcount.utils.config import load_config
    options = {'train_dataloader.dataset.dataset.val_split': None,
               'val_dataloader.dataset.split': 'test',
               'val_dataloader.dataset.val_split': None}
    switched = load_config(
        osp.join(CONFIG_DIR, 'hsrnet', 'hsrnet_shtech_a.py'), options)
    classic = Config.fromfile(
        osp.join(CONFIG_DIR, 'hsrnet', 'hsrnet_classic_shtech_a.py'))
    assert _differences(switched.to_dict(), classic.to_dict()) == []


@pytest.mark.parametrize('name', ['hsrnet_shtech_a.py', 'hsrnet_ucsd.py',
                                  'hsrnet_ucf_qnrf.py', 'hsrnet_demo.py'])
def test_documented_flip_switch_turns_the_flip_off(name):
    """Flip is hsrcount's addition, not the paper's: docs/train_test.md
    gives the --cfg-options that turns it off."""
    from hsrcount.utils.config import load_config
    path = osp.join(CONFIG_DIR, 'hsrnet', name)
    pipeline = _inner_dataset(
        Config.fromfile(path).train_dataloader.dataset).pipeline
    index = [t['type'] for t in pipeline].index('RandomFlip')
    assert index == (3 if name == 'hsrnet_demo.py' else
                     5 if name == 'hsrnet_ucf_qnrf.py' else 4)
    key = f'train_dataloader.dataset.dataset.pipeline.{index}.prob'
    cfg = load_config(path, {key: 0.0})
    assert _inner_dataset(cfg.train_dataloader.dataset).pipeline[index] == \
        dict(type='RandomFlip', prob=0.0)


@pytest.mark.parametrize('name', ['hsrnet_ucsd.py', 'hsrnet_mall.py'])
def test_documented_kernel_switch_gives_the_papers_adaptive_kernel(
        name, fake_roots):
    """UCSD/Mall's fixed sigma is hsrcount's choice; the documented
    --cfg-options switch every GenerateDensity to the adaptive kernel of
    the paper, with the whole-image sigmas the loader computes."""
    from hsrcount.utils.config import load_config
    register_all_modules()
    options = {
        'train_dataloader.dataset.dataset.pipeline.5.kernel': 'adaptive',
        'val_dataloader.dataset.pipeline.2.kernel': 'adaptive',
        'test_dataloader.dataset.pipeline.2.kernel': 'adaptive',
    }
    cfg = load_config(osp.join(CONFIG_DIR, 'hsrnet', name), options)
    for split in ('train', 'val', 'test'):
        inner = _inner_dataset(cfg[f'{split}_dataloader'].dataset)
        kernels = [t.get('kernel') for t in inner.pipeline
                   if t['type'] == 'GenerateDensity']
        assert kernels == ['adaptive'], split
    inner = _inner_dataset(cfg.train_dataloader.dataset)
    inner.data_root = fake_roots[inner.type]
    inner.num_val = 1
    sample = DATASETS.build(cfg.train_dataloader.dataset)[0]['data_samples']
    np.testing.assert_allclose(float(sample.gt_density.data.sum()),
                               sample.gt_count, atol=1e-3)
