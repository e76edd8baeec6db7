"""projects/hsrnet_paper/tools/budget_train.py and its experiments package."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from hsrcount.utils import register_all_modules
from projects.hsrnet_paper.experiments import (BudgetConfigError,
                                               BudgetSettings, fit_iterations,
                                               markdown_table, prepare_runs,
                                               read_run, replace_train_crop)
from projects.hsrnet_paper.tools import budget_train

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
SCRATCH_B = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_scratch_shtech_b.py')
ROW1_B = osp.join(REPO, 'configs', 'hsrnet_ablation',
                  'hsrnet_vgg16-conv1x1-l2_1xb1-100k_shtech-b.py')
PAPER_B = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_shtech_b.py')

ITERS, BATCH, CROP = 3, 2, (48, 64)
NUM_TRAIN, NUM_VAL = 4, 3

# Table 5, row 2 style (SRM on the raw backbone features, Euclidean loss):
# a second model of the demo whose shapes do not depend on its widths.
ROW2_CONFIG = """_base_ = [{demo!r}]
model = dict(
    neck=None,
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
"""


def small_synthetic(data_root):
    """--cfg-options that shrink the demo's synthetic data."""
    size = [64, 96]
    return {
        'train_dataloader.dataset.dataset.data_root': data_root,
        'train_dataloader.dataset.dataset.num_images': NUM_TRAIN,
        'train_dataloader.dataset.dataset.img_size': size,
        'val_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.num_images': NUM_VAL,
        'val_dataloader.dataset.img_size': size,
    }


@pytest.fixture(scope='module')
def comparison(tmp_path_factory):
    """One CPU run of the tool on two demo models; returns its out dir."""
    tmp = tmp_path_factory.mktemp('budget')
    row2 = tmp / 'row2_demo.py'
    row2.write_text(ROW2_CONFIG.format(demo=DEMO))
    out_dir = str(tmp / 'out')
    options = [f'{k}={json.dumps(v)}'
               for k, v in small_synthetic(str(tmp / 'data')).items()]
    budget_train.main([
        DEMO, str(row2), '--iters', str(ITERS), '--batch', str(BATCH),
        '--crop', str(CROP[0]), str(CROP[1]), '--out-dir', out_dir,
        '--device', 'cpu', '--num-pictures', '2', '--cfg-options', *options
    ])
    return out_dir


def _load(path):
    with open(path) as f:
        return json.load(f)


@pytest.mark.slow
def test_run_metrics_match_their_counts(comparison):
    summary = _load(osp.join(comparison, 'metrics.json'))
    names = [r['name'] for r in summary['runs']]
    assert names == ['hsrnet_demo', 'row2_demo']
    for run in summary['runs']:
        assert run['status'] == 'ok'
        own = _load(osp.join(comparison, run['name'], 'metrics.json'))
        counts = _load(osp.join(comparison, run['name'], 'counts.json'))
        assert len(counts) == NUM_VAL == own['num_val_images']
        err = np.array([c['pred_count'] - c['gt_count'] for c in counts])
        assert np.isfinite(own['MAE']) and np.isfinite(own['MSE'])
        assert own['MAE'] == pytest.approx(np.abs(err).mean(), rel=1e-6)
        assert own['MSE'] == pytest.approx(np.sqrt((err**2).mean()),
                                           rel=1e-6)
        for key in ('MAE', 'MSE', 'iters', 'batch', 'crop', 'train_seconds'):
            assert run[key] == own[key]


@pytest.mark.slow
def test_uniform_budget_applied_and_recorded(comparison):
    from mmengine.config import Config
    runs = _load(osp.join(comparison, 'metrics.json'))['runs']
    for run in runs:
        assert run['iters'] == ITERS and run['batch'] == BATCH
        assert run['crop'] == list(CROP)
        assert run['train_images'] == ITERS * BATCH
        assert run['train_images_per_s'] == pytest.approx(
            run['train_images'] / run['train_seconds'])
        assert run['images_cached'] == NUM_TRAIN
        cfg = Config.fromfile(osp.join(comparison, run['name'], 'config.py'))
        assert cfg.train_cfg.max_iters == ITERS
        assert cfg.train_cfg.val_interval == ITERS
        assert cfg.train_dataloader.batch_size == BATCH
        # InMemoryDataset(PatchRepeatDataset(SyntheticCrowdDataset)).
        assert cfg.train_dataloader.dataset.type == 'InMemoryDataset'
        pipeline = cfg.train_dataloader.dataset.dataset.dataset.pipeline
        assert 'PaperCrop' not in [t['type'] for t in pipeline]
        crop = [t for t in pipeline if t['type'] == 'RandomCrop']
        assert [tuple(t['size']) for t in crop] == [CROP]
    assert runs[0]['settings'] == runs[1]['settings']


@pytest.mark.slow
def test_markdown_rows_match_json(comparison):
    runs = _load(osp.join(comparison, 'metrics.json'))['runs']
    with open(osp.join(comparison, 'results.md')) as f:
        lines = f.read().splitlines()
    header = next(i for i, ln in enumerate(lines)
                  if ln.startswith('| config |'))
    columns = [c.strip() for c in lines[header].strip('|').split('|')]
    rows = [[c.strip() for c in ln.strip('|').split('|')]
            for ln in lines[header + 2:header + 2 + len(runs)]]
    assert len(rows) == len(runs)
    for run, row in zip(runs, rows):
        cell = dict(zip(columns, row))
        assert cell['config'] == run['name']
        assert float(cell['MAE']) == pytest.approx(run['MAE'], abs=0.005)
        assert float(cell['MSE']) == pytest.approx(run['MSE'], abs=0.005)
        assert int(cell['iterations']) == run['iters']
        assert int(cell['batch']) == run['batch']
        assert cell['crop'] == f'{CROP[0]}x{CROP[1]}'
        assert float(cell['train s']) == pytest.approx(
            run['train_seconds'], abs=0.05)
        assert float(cell['train images/s']) == pytest.approx(
            run['train_images_per_s'], abs=0.05)


@pytest.mark.slow
def test_pictures_written(comparison):
    for name in ('hsrnet_demo', 'row2_demo'):
        run = _load(osp.join(comparison, name, 'metrics.json'))
        assert len(run['pictures']) == 2
        for rel in run['pictures']:
            img = cv2.imread(osp.join(comparison, name, rel))
            # Three panels (image, GT, prediction), 320 px each.
            assert img is not None and img.shape[1] == 3 * 320


def test_replace_train_crop():
    pipeline = [dict(type='LoadCrowdImageFromFile'), dict(type='PaperCrop'),
                dict(type='RandomFlip', prob=0.5)]
    new = replace_train_crop(pipeline, (32, 40))
    assert new[1] == dict(type='RandomCrop', size=(32, 40))
    assert pipeline[1] == dict(type='PaperCrop')  # not modified
    with pytest.raises(BudgetConfigError, match='exactly one crop'):
        replace_train_crop(pipeline[:1], (32, 40))
    with pytest.raises(BudgetConfigError, match='exactly one crop'):
        replace_train_crop(pipeline + [dict(type='RandomCrop', size=8)],
                           (32, 40))


def _settings(**kwargs):
    return BudgetSettings(iters=10, batch=2, crop=(64, 64), **kwargs)


def test_different_schedules_refused(tmp_path):
    # The scratch config trains at 1e-4, the Table 5 row at the paper's 1e-5.
    with pytest.raises(BudgetConfigError, match='--lr'):
        prepare_runs([SCRATCH_B, ROW1_B], _settings(scratch=True),
                     str(tmp_path))
    runs = prepare_runs([SCRATCH_B, ROW1_B], _settings(scratch=True),
                        str(tmp_path), allow_different_schedules=True)
    assert [c.optim_wrapper.optimizer.lr for _, c in runs] == [1e-4, 1e-5]
    runs = prepare_runs([SCRATCH_B, ROW1_B], _settings(scratch=True, lr=3e-4),
                        str(tmp_path))
    assert [c.optim_wrapper.optimizer.lr for _, c in runs] == [3e-4, 3e-4]
    for _, cfg in runs:
        backbone = cfg.model.backbone
        assert backbone.with_bn and backbone.num_pretrained_convs == 0
        assert backbone.init_cfg is None


def test_download_refused_without_scratch(tmp_path):
    with pytest.raises(BudgetConfigError, match='torchvision://vgg16'):
        prepare_runs([PAPER_B], _settings(), str(tmp_path))


def test_presets_set_roots_and_splits(tmp_path):
    runs = prepare_runs([SCRATCH_B, SCRATCH_B], _settings(), str(tmp_path),
                        preset='shtech_a_val', data_root='/d/ST', num_val=7,
                        split_seed=3)
    assert [name for name, _ in runs] == ['hsrnet_scratch_shtech_b',
                                         'hsrnet_scratch_shtech_b_2']
    cfg = runs[0][1]
    # InMemoryDataset(PatchRepeatDataset(ShanghaiTechDataset)).
    train = cfg.train_dataloader.dataset.dataset.dataset
    val = cfg.val_dataloader.dataset
    common = dict(type='ShanghaiTechDataset', data_root='/d/ST/part_A',
                  split='train', num_val=7, seed=3)
    assert {k: train[k] for k in common} == common
    assert {k: val[k] for k in common} == common
    assert (train.val_split, val.val_split) == ('train', 'val')
    assert val.test_mode
    assert cfg.train_dataloader.dataset.type == 'InMemoryDataset'
    assert cfg.train_dataloader.dataset.dataset.type == 'PatchRepeatDataset'

    cfg = prepare_runs([SCRATCH_B], _settings(), str(tmp_path),
                       preset='shtech_b', data_root='/d/ST')[0][1]
    train = cfg.train_dataloader.dataset.dataset.dataset
    assert (train.data_root, train.split) == ('/d/ST/part_B', 'train')
    val = cfg.val_dataloader.dataset
    assert (val.data_root, val.split) == ('/d/ST/part_B', 'test')


def test_preset_a_val_on_real_data(shanghaitech_root, tmp_path):
    from hsrcount.registry import DATASETS
    register_all_modules()
    cfg = prepare_runs([SCRATCH_B], _settings(), str(tmp_path),
                       preset='shtech_a_val',
                       data_root=shanghaitech_root)[0][1]
    train = DATASETS.build(cfg.train_dataloader.dataset.dataset.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    train_paths = {train.get_data_info(i)['img_path']
                   for i in range(len(train))}
    val_paths = {val.get_data_info(i)['img_path'] for i in range(len(val))}
    assert (len(train_paths), len(val_paths)) == (240, 60)
    assert not train_paths & val_paths


def test_failed_run_reported(tmp_path):
    run_dir = tmp_path / 'broken'
    run_dir.mkdir()
    (run_dir / 'error.txt').write_text(
        'Traceback (most recent call last):\n  ...\nRuntimeError: boom\n')
    result = read_run(str(run_dir), 'broken')
    assert result == dict(name='broken', status='failed',
                          error='RuntimeError: boom')
    table = markdown_table([result])
    assert table[-1].startswith('| broken | failed | failed |')


def test_fit_iterations_by_slowest_run():
    calibration = [
        dict(name='a', status='ok', train_images_per_s=40.0,
             train_seconds=10.0, wall_seconds=30.0),
        dict(name='b', status='ok', train_images_per_s=25.0,
             train_seconds=16.0, wall_seconds=26.0),
    ]
    # 300 s minus a's 20 s of overhead, at b's 25 images/s, batch 8:
    # 280 * 25 / 8 = 875 iterations.
    assert fit_iterations(calibration, 300, 8) == 875
    with pytest.raises(ValueError, match='no iteration fits'):
        fit_iterations(calibration, 20, 8)
    calibration[1]['status'] = 'failed'
    with pytest.raises(ValueError, match=r"failed: \['b'\]"):
        fit_iterations(calibration, 300, 8)
