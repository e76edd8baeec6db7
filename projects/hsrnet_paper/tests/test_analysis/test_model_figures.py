"""Figures 3 and 5 on a tiny random counter and a synthetic test set."""
import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hsrcount.models.heads import BaseDensityHead
from hsrcount.visualization.density_figure import draw_panels
from projects.hsrnet_paper.analysis import (collect_examples, dataset_item,
                                            draw_examples, draw_scale_pyramid,
                                            load_model_and_dataset,
                                            scale_pyramid)
from projects.hsrnet_paper.analysis.density_examples import example_panels
from .helpers import load_tool


@pytest.fixture(scope='module')
def model_and_dataset(tiny_run):
    cfg, ckpt = tiny_run
    return load_model_and_dataset(cfg, ckpt)


def test_fig3_counts_and_maps_come_from_model_and_dataset(model_and_dataset):
    model, dataset = model_and_dataset
    examples = collect_examples(model, dataset, [2, 0])
    for example, index in zip(examples, (2, 0)):
        info = dataset.get_data_info(index)
        assert example['img_path'] == info['img_path']
        assert example['gt_count'] == len(info['gt_points'])
        # The map is the test pipeline's: it sums to the count.
        assert example['gt_density'].sum() == pytest.approx(
            example['gt_count'], rel=1e-4)
        # Independent prediction: the model's forward on the same image.
        inputs, _ = dataset_item(dataset, index)
        x = model.data_preprocessor(dict(inputs=[inputs]), False)['inputs']
        with torch.no_grad():
            d0 = model(x, mode='tensor')[0, 0, :32, :48] / \
                model.head.density_scale
        np.testing.assert_allclose(example['pred_density'], d0.numpy(),
                                   rtol=1e-5, atol=1e-9)
        assert example['pred_count'] == pytest.approx(float(d0.sum()),
                                                      rel=1e-5)
        # The image is the dataset's, in RGB.
        np.testing.assert_array_equal(example['image'],
                                      inputs.numpy().transpose(1, 2, 0)[...,
                                                                        ::-1])


def test_fig3_titles_and_layout(model_and_dataset):
    model, dataset = model_and_dataset
    examples = collect_examples(model, dataset, [0, 1, 3])
    picture, titles = draw_examples(examples, 'columns', panel_width=40,
                                    panel_height=30)
    for e, t in zip(examples, titles):
        error = e['pred_count'] - e['gt_count']
        assert t == [e['name'], f'GT: {e["gt_count"]:.1f}',
                     f'Prediction: {e["pred_count"]:.1f} (error {error:+.1f})']
    # Default title band of draw_panels: 28 pixels; each image's colour bar
    # band: 40 pixels.
    assert picture.shape == (3 * (30 + 28) + 40, 3 * 40, 3)
    rows, _ = draw_examples(examples, 'rows', panel_width=40,
                            panel_height=30)
    assert rows.shape == (3 * (30 + 28 + 40), 3 * 40, 3)
    # The same drawing code as --show-dir: a column is draw_panels' output.
    column = draw_panels(example_panels(examples[1]), ncols=1,
                         panel_width=40, panel_height=30)
    np.testing.assert_array_equal(picture[:, 40:80], column)


def test_fig3_image_outside_the_dataset_has_no_gt(model_and_dataset,
                                                  tmp_path):
    model, dataset = model_and_dataset
    path = str(tmp_path / 'other.png')
    mmcv.imwrite(np.full((32, 48, 3), 200, np.uint8), path)
    inside = dataset.get_data_info(1)['img_path']
    examples = collect_examples(model, dataset, [path, inside])
    assert examples[0]['gt_count'] is None
    assert examples[0]['gt_density'] is None
    assert examples[1]['gt_count'] == len(dataset.get_data_info(1)
                                          ['gt_points'])
    _, titles = draw_examples(examples, panel_width=40)
    assert titles[0][1] == 'GT (no map)'
    with pytest.raises(IndexError, match='has 4 images'):
        collect_examples(model, dataset, [4])


def test_fig5_panel_counts_are_sums_of_levels_and_outputs(model_and_dataset):
    model, dataset = model_and_dataset
    inputs, sample = dataset_item(dataset, 1)
    gt = sample.gt_density.data.clone()
    pyramid = scale_pyramid(model, inputs, sample)
    assert pyramid['kernels'] == (1, 2, 4, 8, 16)

    # Independent GT pyramid: pool with kernel k, upsample bilinearly.
    # 32 x 48 is a multiple of every kernel, so no padding is involved.
    assert [t for t, _, _ in pyramid['gt']] == [
        'GT', 'GT pool 1', 'GT pool 2', 'GT pool 4', 'GT pool 8',
        'GT pool 16']
    for (_, level, count), k in zip(pyramid['gt'][1:], (1, 2, 4, 8, 16)):
        ref = F.interpolate(F.avg_pool2d(gt[None], k), size=(32, 48),
                            mode='bilinear', align_corners=False)[0, 0]
        np.testing.assert_allclose(level, ref.numpy(), rtol=1e-5, atol=1e-9)
        assert count == pytest.approx(float(level.sum()))
    assert pyramid['gt'][0][2] == pytest.approx(float(gt.sum()))

    # Independent scale outputs: the head on the padded input, / scale.
    x = model.data_preprocessor(dict(inputs=[inputs]), False)['inputs']
    with torch.no_grad():
        d0, scales = model.head(model.extract_feat(x), img_size=x.shape[-2:])
    refs = [d0] + list(scales)
    assert [t for t, _, _ in pyramid['pred']] == [
        'D0', 'D1', 'D2', 'D3', 'D4', 'D5']
    for (_, m, count), ref in zip(pyramid['pred'], refs):
        ref = ref[0, 0] / model.head.density_scale
        np.testing.assert_allclose(m, ref.numpy(), rtol=1e-5, atol=1e-9)
        assert count == pytest.approx(float(ref.sum()), rel=1e-5)
    # The scale outputs differ from each other (the biases were set apart).
    sums = [c for _, _, c in pyramid['pred'][1:]]
    assert len(set(np.round(sums, 6))) == 5

    picture, titles = draw_scale_pyramid(pyramid, panel_width=30)
    assert titles[0] == f'GT: {pyramid["gt"][0][2]:.1f}'
    assert titles[6:] == [f'{t}: {c:.1f}' for t, _, c in pyramid['pred']]
    assert picture.shape == (2 * (20 + 28), 6 * 30, 3)


class _D0Only(BaseDensityHead):
    """A head that returns D0 alone, like a single-scale head."""

    def __init__(self, head):
        super().__init__()
        self.inner = head

    def forward(self, feats, img_size=None):
        return self.inner(feats, img_size)[0], []


def test_fig5_needs_a_multi_scale_head(model_and_dataset, monkeypatch):
    model, dataset = model_and_dataset
    inputs, sample = dataset_item(dataset, 0)
    monkeypatch.setattr(model, 'head', _D0Only(model.head))
    with pytest.raises(TypeError, match='_D0Only returns no scale outputs'):
        scale_pyramid(model, inputs, sample)


def test_fig3_and_fig5_clis(tiny_run, tmp_path, monkeypatch):
    cfg, ckpt = tiny_run
    config = str(tmp_path / 'tiny.py')
    cfg.dump(config)
    fig3, fig5 = tmp_path / 'fig3.png', tmp_path / 'fig5.png'
    monkeypatch.setattr('sys.argv', [
        'paper_fig3.py', config, ckpt, '--indices', '0', '1', '--out',
        str(fig3), '--panel-width', '48'])
    load_tool('paper_fig3').main()
    # Two columns of 48 pixels, three rows of 32 + 28 pixels, the colour
    # bar band of 40 pixels.
    assert mmcv.imread(str(fig3)).shape == (3 * 60 + 40, 2 * 48, 3)
    monkeypatch.setattr('sys.argv', [
        'paper_fig5.py', config, ckpt, '2', '--out', str(fig5),
        '--panel-width', '48'])
    load_tool('paper_fig5').main()
    assert mmcv.imread(str(fig5)).shape == (2 * 60, 6 * 48, 3)
