"""The dataset tools, run briefly on a tiny synthetic config."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

from hsrcount.datasets import SyntheticCrowdDataset
from hsrcount.datasets.density import render_density

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'tools')


def load_tool(rel):
    spec = importlib.util.spec_from_file_location(
        osp.basename(rel)[:-3], osp.join(TOOLS, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tiny_config(tmp_path):
    data = tmp_path / 'synthetic'
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(f"""
default_scope = 'hsrcount'
train_dataloader = dict(dataset=dict(
    type='PatchRepeatDataset', patches_per_image=2,
    dataset=dict(type='SyntheticCrowdDataset', data_root={str(data)!r},
                 num_images=3, img_size=(32, 48), seed=1,
                 pipeline=[dict(type='LoadCrowdImageFromFile'),
                           dict(type='LoadCrowdAnnotations'),
                           dict(type='PaperCrop'),
                           dict(type='GenerateDensity', kernel='fixed',
                                sigma=3.0),
                           dict(type='PackCrowdInputs')])))
""")
    return str(cfg), str(data)


def test_precompute_density(tiny_config, tmp_path):
    cfg, data = tiny_config
    out = tmp_path / 'maps'
    load_tool('dataset_converters/precompute_density.py').main(
        [cfg, '--out-dir', str(out), '--kernel', 'fixed', '--sigma', '2'])
    ds = SyntheticCrowdDataset(data, num_images=3, img_size=(32, 48),
                               seed=1)
    assert sorted(p.name for p in out.iterdir()) == [
        '00000.npy', '00001.npy', '00002.npy']
    info = ds.get_data_info(2)
    expected = render_density(info['gt_points'], (32, 48), kernel='fixed',
                              sigma=2.0)
    np.testing.assert_array_equal(np.load(out / '00002.npy'), expected)


def test_precompute_density_follows_the_config(tiny_config, tmp_path):
    """Without flags the maps are rendered as the config's GenerateDensity
    renders them (here fixed sigma 3), for the whole image."""
    cfg, data = tiny_config
    out = tmp_path / 'maps'
    load_tool('dataset_converters/precompute_density.py').main(
        [cfg, '--out-dir', str(out)])
    ds = SyntheticCrowdDataset(data, num_images=3, img_size=(32, 48),
                               seed=1)
    for i in range(3):
        info = ds.get_data_info(i)
        expected = render_density(info['gt_points'], (32, 48),
                                  kernel='fixed', sigma=3.0)
        np.testing.assert_array_equal(np.load(out / f'{i:05d}.npy'),
                                      expected)


def test_precompute_density_flags_reach_whole_image_sigmas(tmp_path):
    """A config whose loader computes the adaptive sigmas (head_sigmas):
    --k and --beta change them, not only GenerateDensity's fallback."""
    data = tmp_path / 'synthetic'
    cfg = tmp_path / 'adaptive.py'
    cfg.write_text(f"""
default_scope = 'hsrcount'
train_dataloader = dict(dataset=dict(
    type='SyntheticCrowdDataset', data_root={str(data)!r}, num_images=1,
    img_size=(32, 48), seed=1,
    pipeline=[dict(type='LoadCrowdImageFromFile'),
              dict(type='LoadCrowdAnnotations',
                   head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
              dict(type='GenerateDensity', kernel='adaptive'),
              dict(type='PackCrowdInputs')]))
""")
    out = tmp_path / 'maps'
    load_tool('dataset_converters/precompute_density.py').main(
        [str(cfg), '--out-dir', str(out), '--k', '1', '--beta', '0.5'])
    info = SyntheticCrowdDataset(str(data), num_images=1, img_size=(32, 48),
                                 seed=1).get_data_info(0)
    expected = render_density(info['gt_points'], (32, 48), k=1, beta=0.5)
    np.testing.assert_allclose(np.load(out / '00000.npy'), expected,
                               atol=1e-6)


def test_browse_dataset(tiny_config, tmp_path):
    cfg, _ = tiny_config
    out = tmp_path / 'browse'
    load_tool('analysis_tools/browse_dataset.py').main(
        [cfg, '--output-dir', str(out), '--num', '2'])
    pics = sorted(out.iterdir())
    assert [p.name for p in pics] == ['00000.png', '00001.png']
    assert all(p.stat().st_size > 1000 for p in pics)
