import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import torch

from hsrcount.engine import CrowdVisualizationHook
from hsrcount.registry import HOOKS
from hsrcount.structures import CrowdDataSample
from hsrcount.visualization import CrowdLocalVisualizer

PANEL_WIDTH = 48
TITLE_HEIGHT = 28  # draw_panels' default
BAND_HEIGHT = 40  # draw_panels' colour bar band


def write_image(path, h, w):
    rng = np.random.default_rng(h * 1000 + w)
    assert cv2.imwrite(str(path), rng.integers(0, 256, (h, w, 3), np.uint8))
    return str(path)


def make_output(img_path, h, w):
    sample = CrowdDataSample(
        metainfo=dict(img_path=img_path, ori_shape=(h, w), img_shape=(h, w)))
    sample.gt_points = torch.tensor([[1.0, 2.0]])
    sample.gt_count = 1.0
    sample.gt_density = torch.full((1, h, w), 1.0 / (h * w))
    sample.pred_density = torch.full((1, h, w), 1.5 / (h * w))
    sample.pred_count = 1.5
    return sample


def make_runner(tmp_path, name, **vis_kwargs):
    visualizer = CrowdLocalVisualizer(
        name=name, panel_width=PANEL_WIDTH, **vis_kwargs)
    return SimpleNamespace(
        visualizer=visualizer,
        work_dir=str(tmp_path / 'work'),
        timestamp='20260101_000000',
        iter=7)


def expected_shape(h, w):
    return (round(PANEL_WIDTH * h / w) + TITLE_HEIGHT + BAND_HEIGHT,
            3 * PANEL_WIDTH, 3)


def test_after_test_iter_writes_one_png_per_image(tmp_path):
    sizes = {'a': (24, 32), 'b': (30, 20)}
    outputs = [
        make_output(write_image(tmp_path / f'{stem}.jpg', h, w), h, w)
        for stem, (h, w) in sizes.items()
    ]
    out_dir = tmp_path / 'vis'
    hook = HOOKS.build(
        dict(type='CrowdVisualizationHook', draw=True,
             test_out_dir=str(out_dir)))
    hook.after_test_iter(make_runner(tmp_path, 'hook_test'), 0, {}, outputs)
    assert sorted(p.name for p in out_dir.iterdir()) == ['a.png', 'b.png']
    for stem, (h, w) in sizes.items():
        drawn = cv2.imread(str(out_dir / f'{stem}.png'))
        assert drawn.shape == expected_shape(h, w)


def test_relative_test_out_dir_is_under_work_dir_and_timestamp(tmp_path):
    img_path = write_image(tmp_path / 'c.png', 16, 16)
    hook = CrowdVisualizationHook(draw=True, test_out_dir='show')
    runner = make_runner(tmp_path, 'hook_rel')
    hook.after_test_iter(runner, 0, {}, [make_output(img_path, 16, 16)])
    out_file = osp.join(runner.work_dir, runner.timestamp, 'show', 'c.png')
    assert cv2.imread(out_file).shape == expected_shape(16, 16)


def test_draw_false_draws_nothing(tmp_path):
    img_path = write_image(tmp_path / 'd.jpg', 16, 16)
    hook = CrowdVisualizationHook(test_out_dir=str(tmp_path / 'vis'))
    calls = []
    runner = make_runner(tmp_path, 'hook_off')
    runner.visualizer = SimpleNamespace(
        add_datasample=lambda *args, **kwargs: calls.append(args))
    hook.after_test_iter(runner, 0, {}, [make_output(img_path, 16, 16)])
    hook.after_val_iter(runner, 49, {}, [make_output(img_path, 16, 16)])
    assert calls == []
    assert not (tmp_path / 'vis').exists()
    hook.draw = True  # the same calls now draw, so the spy above can fail
    hook.after_test_iter(runner, 0, {}, [make_output(img_path, 16, 16)])
    hook.after_val_iter(runner, 49, {}, [make_output(img_path, 16, 16)])
    assert [name for name, _ in calls] == ['test_d.jpg', 'val_d.jpg']


def test_after_val_iter_draws_every_interval_th_batch(tmp_path):
    runner = make_runner(
        tmp_path, 'hook_val', vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path / 'backend'))
    hook = CrowdVisualizationHook(draw=True, interval=2)
    for batch_idx in range(4):
        img_path = write_image(tmp_path / f'v{batch_idx}.jpg', 16, 24)
        hook.after_val_iter(runner, batch_idx, {},
                            [make_output(img_path, 16, 24)])
    saved = tmp_path / 'backend' / 'vis_data' / 'vis_image'
    # every_n_inner_iters: batches 1 and 3; the step is runner.iter.
    assert sorted(p.name for p in saved.iterdir()) == [
        'val_v1.jpg_7.png', 'val_v3.jpg_7.png'
    ]


def test_unreadable_image_names_the_file(tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'not an image')
    hook = CrowdVisualizationHook(draw=True, test_out_dir=str(tmp_path))
    with pytest.raises(OSError, match='broken.jpg'):
        hook.after_test_iter(
            make_runner(tmp_path, 'hook_bad'), 0, {},
            [make_output(str(bad), 8, 8)])
    with pytest.raises(ValueError, match='interval'):
        CrowdVisualizationHook(interval=0)


class ToyCounter(torch.nn.Module):
    """Predicts a flat density holding 1.5 x the GT count."""

    def forward(self, inputs, data_samples=None, mode='tensor'):
        for img, sample in zip(inputs, data_samples):
            h, w = img.shape[-2:]
            sample.pred_density = torch.full((1, h, w),
                                             1.5 * sample.gt_count / (h * w))
            sample.pred_count = float(sample.pred_density.data.sum())
        return data_samples


class ToyDataset(torch.utils.data.Dataset):

    def __init__(self, items):
        self.items = items  # (img_path, h, w, gt_count)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        img_path, h, w, gt_count = self.items[idx]
        sample = make_output(img_path, h, w)
        sample.gt_count = float(gt_count)
        return dict(inputs=torch.zeros(3, h, w), data_samples=sample)


def test_runner_test_loop_with_metric_and_show_dir(tmp_path):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Model(BaseModel):

        def __init__(self):
            super().__init__()
            self.counter = ToyCounter()

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.counter(inputs, data_samples, mode)

    items = [(write_image(tmp_path / f'img{i}.jpg', 12, 16), 12, 16, count)
             for i, count in enumerate((2, 4, 6))]
    runner = Runner(
        model=Model(),
        work_dir=str(tmp_path / 'work'),
        test_dataloader=dict(
            dataset=ToyDataset(items),
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2),
        test_evaluator=dict(type='CrowdCountingMetric', game_levels=(1, )),
        test_cfg=dict(),
        default_hooks=dict(
            visualization=dict(
                type='CrowdVisualizationHook', draw=True,
                test_out_dir='vis')),
        visualizer=dict(type='CrowdLocalVisualizer', name='runner_vis',
                        panel_width=PANEL_WIDTH),
        default_scope='hsrcount')
    metrics = runner.test()
    # Errors are 0.5 x the GT counts 2, 4, 6.
    assert metrics['MAE'] == pytest.approx(2.0)
    assert metrics['MSE'] == pytest.approx(np.sqrt((1 + 4 + 9) / 3))
    # GAME(1) uses the one GT point at (1, 2) (top-left cell) and a flat
    # density of 1.5 c spread over four equal cells: |1.5c/4 - 1| + 3 * 1.5c/4.
    assert metrics['GAME1'] == pytest.approx((2.5 + 5.0 + 8.0) / 3)
    out_dir = osp.join(runner.work_dir, runner.timestamp, 'vis')
    for i in range(3):
        drawn = cv2.imread(osp.join(out_dir, f'img{i}.png'))
        assert drawn.shape == expected_shape(12, 16)
