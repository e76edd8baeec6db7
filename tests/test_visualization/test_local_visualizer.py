import os.path as osp

import cv2
import numpy as np
import torch

from hsrcount.registry import VISUALIZERS
from hsrcount.structures import CrowdDataSample
from hsrcount.visualization import CrowdLocalVisualizer

BAND = 40  # the colour bar band under the panels


def make_output(h=20, w=40):
    sample = CrowdDataSample(metainfo=dict(img_path='/data/a.jpg'))
    sample.gt_density = torch.full((1, h, w), 0.01)
    sample.pred_density = torch.full((1, h, w), 0.02)
    sample.gt_count = 8.0
    sample.pred_count = 16.0
    return sample


def red_image(h=20, w=40):
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 0] = 255
    return image


def test_writes_png_of_expected_size_in_bgr(tmp_path):
    vis = VISUALIZERS.build(
        dict(type='CrowdLocalVisualizer', name='vis_png', panel_width=64))
    assert isinstance(vis, CrowdLocalVisualizer)
    out_file = str(tmp_path / 'sub' / 'a.png')
    vis.add_datasample('a', red_image(), make_output(), out_file=out_file)
    written = cv2.imread(out_file)
    # Three 64 x 32 panels under 28-pixel title bands, over the colour bar.
    assert written.shape == (32 + 28 + BAND, 3 * 64, 3)
    # Red RGB image reads back as BGR (0, 0, 255) in the image panel.
    np.testing.assert_allclose(written[28 + 16, 32], [0, 0, 255], atol=2)
    np.testing.assert_array_equal(vis.get_image(), written[..., ::-1])


def test_draw_gt_false_drops_the_gt_panel(tmp_path):
    vis = CrowdLocalVisualizer(name='vis_nogt', panel_width=50)
    out_file = str(tmp_path / 'b.png')
    vis.add_datasample('b', red_image(), make_output(), draw_gt=False,
                       out_file=out_file)
    assert cv2.imread(out_file).shape == (25 + 28 + BAND, 2 * 50, 3)


def test_without_out_file_goes_to_vis_backends(tmp_path):
    vis = CrowdLocalVisualizer(
        name='vis_backend',
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path),
        panel_width=32)
    vis.add_datasample('c.jpg', red_image(), make_output(), step=3)
    saved = osp.join(str(tmp_path), 'vis_data', 'vis_image', 'c.jpg_3.png')
    assert osp.isfile(saved)
    assert cv2.imread(saved).shape == (16 + 28 + BAND, 3 * 32, 3)


def test_counts_reach_the_panel_titles(monkeypatch):
    from hsrcount.visualization import density_figure
    drawn_titles = []
    real_draw_panels = density_figure.draw_panels

    def spy(panels, **kwargs):
        drawn_titles.append([panel.title for panel in panels])
        return real_draw_panels(panels, **kwargs)

    monkeypatch.setattr(density_figure, 'draw_panels', spy)
    vis = CrowdLocalVisualizer(name='vis_titles', panel_width=32)
    vis.add_datasample('d', red_image(), make_output())
    vis.add_datasample('d', red_image(), make_output(), draw_pred=False)
    assert drawn_titles == [
        ['Image', 'GT: 8.0', 'Prediction: 16.0 (error +8.0)'],
        ['Image', 'GT: 8.0']
    ]


def test_gt_points_of_the_sample_are_marked_on_the_image(tmp_path):
    sample = make_output(h=20, w=40)
    sample.gt_points = torch.tensor([[30.5, 5.5]])
    white = np.full((20, 40, 3), 255, np.uint8)
    # 84-pixel cells: the 40 x 20 image fills the 80 x 40 box, 2 picture
    # pixels per image pixel.
    vis = CrowdLocalVisualizer(name='vis_points', panel_width=84)
    vis.add_datasample('e', white, sample)
    drawn = vis.get_image()
    y, x = 28 + 1 + 11, 2 + 61
    r, g, b = drawn[y, x]
    assert r > 180 and g < 80 and b < 80
    vis.add_datasample('e', white, sample, draw_gt=False)
    np.testing.assert_array_equal(vis.get_image()[y, x], [255, 255, 255])


def test_points_follow_the_image_when_the_pipeline_resized_it():
    # The pipeline saw a 10 x 20 image; the file drawn is 20 x 40.
    sample = make_output(h=10, w=20)
    sample.set_metainfo(dict(img_shape=(10, 20)))
    sample.gt_points = torch.tensor([[15.25, 2.75]])
    white = np.full((20, 40, 3), 255, np.uint8)
    vis = CrowdLocalVisualizer(name='vis_scaled', panel_width=84)
    vis.add_datasample('f', white, sample)
    # Pipeline (15.25, 2.75) is file pixel (30.5, 5.5): as in the test above.
    r, g, b = vis.get_image()[28 + 1 + 11, 2 + 61]
    assert r > 180 and g < 80 and b < 80
