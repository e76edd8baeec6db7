"""tools/analysis_tools: analyze_logs on work dirs holding several runs,
browse_dataset's pictures."""
import importlib.util
import json
import os.path as osp

import mmcv
import pytest
from mmengine.config import Config

from hsrcount.registry import DATASETS

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'tools', 'analysis_tools')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_run(work_dir, timestamp, train, val):
    """``<work_dir>/<timestamp>/vis_data/scalars.json`` as MMEngine writes
    it: one JSON object per line, training lines with ``lr``."""
    vis = work_dir / timestamp / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for step, loss in train:
            f.write(json.dumps(dict(lr=1e-3, loss=loss, step=step)) + '\n')
        for step, mae in val:
            f.write(json.dumps(dict(MAE=mae, MSE=mae + 1, step=step)) + '\n')


@pytest.fixture
def demo_twice(tmp_path):
    """A work dir after ``make demo`` ran twice: 300 iterations, then a run
    stopped after 20."""
    work = tmp_path / 'demo'
    first_train = [(10, 0.9), (100, 0.5), (200, 0.3), (300, 0.2)]
    first_val = [(100, 12.0), (200, 9.0), (300, 8.5)]
    second_train = [(10, 0.95), (20, 0.8)]
    write_run(work, '20260101_120000', first_train, first_val)
    write_run(work, '20260102_090000', second_train, [])
    return work, (first_train, first_val), (second_train, [])


def test_analyze_logs_draws_the_latest_run_by_default(demo_twice, tmp_path):
    work, _, second = demo_twice
    out = tmp_path / 'curves.png'
    plotted = load_tool('analyze_logs').plot_curves([str(work)], str(out))
    # One line, the latest run's: no line from iteration 300 back to 10.
    assert plotted == {'demo': (second[0], [])}
    assert mmcv.imread(str(out)) is not None


def test_analyze_logs_all_runs_draws_each_run_as_its_own_line(
        demo_twice, tmp_path):
    work, first, second = demo_twice
    out = tmp_path / 'all.png'
    load_tool('analyze_logs').main(
        [str(work), '--all-runs', '--out', str(out)])
    plotted = load_tool('analyze_logs').plot_curves([str(work)], str(out),
                                                   all_runs=True)
    assert plotted == {
        'demo 20260101_120000': first,
        'demo 20260102_090000': second,
    }
    for loss, _ in plotted.values():
        steps = [step for step, _ in loss]
        assert steps == sorted(steps)
    assert mmcv.imread(str(out)) is not None


def test_analyze_logs_names_a_work_dir_without_runs(tmp_path):
    with pytest.raises(FileNotFoundError, match='empty.*scalars.json'):
        load_tool('analyze_logs').plot_curves([str(tmp_path / 'empty')],
                                              str(tmp_path / 'x.png'))


def test_browse_dataset_pictures_show_points_and_the_colour_bar(tmp_path):
    data = tmp_path / 'synthetic'
    cfg = tmp_path / 'tiny.py'
    cfg.write_text(f"""
default_scope = 'hsrcount'
test_dataloader = dict(dataset=dict(
    type='SyntheticCrowdDataset', data_root={str(data)!r}, split='test',
    num_images=2, img_size=(32, 48), seed=1,
    pipeline=[dict(type='LoadCrowdImageFromFile'),
              dict(type='LoadCrowdAnnotations'),
              dict(type='GenerateDensity', kernel='fixed', sigma=2.0),
              dict(type='PackCrowdInputs')]))
""")
    out = tmp_path / 'browse'
    tool = load_tool('browse_dataset')
    tool.main([str(cfg), '--output-dir', str(out), '--split', 'test',
               '--num', '2', '--panel-width', '244'])
    picture = mmcv.imread(str(out / '00000.png'), channel_order='rgb')
    # Two 244 x 163 panels under 28-pixel titles, the 40-pixel band below.
    assert picture.shape == (163 + 28 + 40, 2 * 244, 3)

    sample = DATASETS.build(Config.fromfile(str(cfg)).test_dataloader
                            .dataset)[0]['data_samples']
    # The 48 x 32 image fills a 240 x 160 box (5 picture pixels per image
    # pixel), 2 pixels in from the left and 1.5 down in its cell.
    for x, y in sample.gt_points.numpy():
        row, col = round(28 + 1.5 + 5 * y), round(2 + 5 * x)
        patch = picture[row - 1:row + 2, col - 1:col + 2].reshape(-1, 3)
        assert any(r > 180 and g < 80 and b < 80 for r, g, b in patch), (x, y)
    # The band: the colour bar (jet's blues and reds) under the density
    # panel, the legend's red dot under the image.
    band = picture[191:].astype(int)
    density_side, image_side = band[:, 244:], band[:, :244]
    assert ((density_side[..., 2] > 120) & (density_side[..., 0] < 60)).any()
    assert ((density_side[..., 0] > 120) & (density_side[..., 2] < 60)).any()
    assert ((image_side[..., 0] > 180) & (image_side[..., 1] < 80)).any()
