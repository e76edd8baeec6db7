import numpy as np
import pytest
from matplotlib import colormaps

from hsrcount.visualization import (draw_density_panels, draw_panels,
                                    panel_titles)


def jet_rgb(value):
    return np.array(colormaps['jet'](value)[:3]) * 255


def centre(drawn, col, panel_width, panel_height, title_height, row=0):
    y = row * (panel_height + title_height) + title_height + panel_height // 2
    x = col * panel_width + panel_width // 2
    return drawn[y, x].astype(float)


def test_panel_titles_write_counts():
    assert panel_titles(12, 11.345) == [
        'Image', 'GT: 12.0', 'Prediction: 11.3'
    ]
    assert panel_titles() == ['Image', 'GT', 'Prediction']
    assert panel_titles(3, 4.25, titles=('a', 'b', 'c')) == [
        'a', 'b: 3.0', 'c: 4.2'
    ]


def test_panel_titles_move_counts_of_missing_maps_to_image_title():
    assert panel_titles(12, 9.96, has_gt_density=False) == [
        'Image, GT: 12.0', 'Prediction: 10.0'
    ]
    assert panel_titles(None, 2, has_gt_density=False,
                        has_pred_density=False) == ['Image, Prediction: 2.0']
    with pytest.raises(ValueError, match='3 panels'):
        panel_titles(1, 2, titles=('a', 'b'))


@pytest.mark.parametrize('panel_width', [29, 64])
def test_draw_density_panels_size_and_shared_colour_scale(panel_width):
    image = np.zeros((20, 40, 3), np.uint8)
    image[..., 0] = 255  # pure red
    gt = np.full((20, 40), 1.0)
    pred = np.full((20, 40), 2.0)
    drawn = draw_density_panels(image, gt, pred, 20, 40,
                                panel_width=panel_width, title_height=10)
    panel_height = round(panel_width * 20 / 40)
    assert drawn.shape == (panel_height + 10, 3 * panel_width, 3)
    assert drawn.dtype == np.uint8
    args = (panel_width, panel_height, 10)
    np.testing.assert_allclose(centre(drawn, 0, *args), [255, 0, 0], atol=2)
    # One scale [0, 2] for both maps: GT sits mid-scale, pred at the top.
    np.testing.assert_allclose(centre(drawn, 1, *args), jet_rgb(0.5), atol=3)
    np.testing.assert_allclose(centre(drawn, 2, *args), jet_rgb(1.0), atol=3)


def test_draw_panels_grid_heatmap_and_explicit_vmax():
    ones = np.ones((8, 8))
    drawn = draw_panels([(ones, 'a', 'density'), (ones * 5, 'b', 'heatmap'),
                         (ones * 0.25, 'c', 'density')],
                        ncols=2, panel_width=40, title_height=12,
                        density_vmax=1.0)
    assert drawn.shape == (2 * (40 + 12), 80, 3)
    args = (40, 40, 12)
    np.testing.assert_allclose(centre(drawn, 0, *args), jet_rgb(1.0), atol=3)
    np.testing.assert_allclose(centre(drawn, 0, *args, row=1), jet_rgb(0.25),
                               atol=3)
    # The empty fourth cell stays white.
    np.testing.assert_array_equal(centre(drawn, 1, *args, row=1),
                                  [255, 255, 255])


def test_draw_panels_rejects_bad_input():
    with pytest.raises(ValueError, match='kind'):
        draw_panels([(np.ones((4, 4)), 'x', 'points')])
    with pytest.raises(ValueError, match=r"'d'.*\(4, 4, 2\)"):
        draw_panels([(np.ones((4, 4, 2)), 'd', 'density')])
    with pytest.raises(ValueError, match='at least one'):
        draw_panels([])
    with pytest.raises(ValueError, match='image_rgb'):
        draw_density_panels(np.ones((4, 4)))
