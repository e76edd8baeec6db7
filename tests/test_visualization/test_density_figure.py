import numpy as np
import pytest
import torch
from matplotlib import colormaps

from hsrcount.visualization import (Panel, Points, draw_density_panels,
                                    draw_overlay, draw_panels, panel_titles,
                                    robust_vmax)
from hsrcount.visualization.density_figure import DENSITY_AREA

BAND = 40  # draw_panels' default band_height


def jet_rgb(value):
    return np.array(colormaps['jet'](value)[:3]) * 255


def centre(drawn, col, panel_width, panel_height, title_height, row=0):
    y = row * (panel_height + title_height) + title_height + panel_height // 2
    x = col * panel_width + panel_width // 2
    return drawn[y, x].astype(float)


def is_red(pixel):
    r, g, b = (int(v) for v in pixel)
    return r > 180 and g < 80 and b < 80


def is_yellow(pixel):
    r, g, b = (int(v) for v in pixel)
    return r > 180 and g > 180 and b < 80


def test_panel_titles_write_counts_and_the_error():
    assert panel_titles(12, 11.345) == [
        'Image', 'GT: 12.0', 'Prediction: 11.3 (error -0.7)'
    ]
    assert panel_titles() == ['Image', 'GT', 'Prediction']
    assert panel_titles(None, 4.25) == ['Image', 'GT', 'Prediction: 4.2']
    assert panel_titles(3, 4.25, titles=('a', 'b', 'c')) == [
        'a', 'b: 3.0', 'c: 4.2 (error +1.2)'
    ]


def test_panel_titles_move_counts_of_missing_maps_to_image_title():
    assert panel_titles(12, 9.96, has_gt_density=False) == [
        'Image, GT: 12.0', 'Prediction: 10.0 (error -2.0)'
    ]
    assert panel_titles(None, 2, has_gt_density=False,
                        has_pred_density=False) == ['Image, Prediction: 2.0']
    with pytest.raises(ValueError, match='3 panels'):
        panel_titles(1, 2, titles=('a', 'b'))


def test_robust_vmax_is_the_largest_percentile_of_the_maps():
    ramp = np.arange(100, dtype=float).reshape(10, 10)  # 0 .. 99
    flat = np.full((4, 4), 50.5)
    # numpy's linear percentile of 0..99: the 99th is 98.01.
    assert robust_vmax([ramp, flat]) == pytest.approx(98.01)
    assert robust_vmax([ramp * 0.1, flat]) == pytest.approx(50.5)
    assert robust_vmax([ramp], percentile=50) == pytest.approx(49.5)
    assert robust_vmax([ramp], percentile=100) == pytest.approx(99)
    # Mostly empty map: the percentile is 0, so the maximum is used.
    sparse = np.zeros((20, 20))
    sparse[3, 4] = 0.2
    assert robust_vmax([sparse]) == pytest.approx(0.2)
    # NaNs are ignored; nothing positive gives 1 in display units.
    assert robust_vmax([np.where(ramp > 90, np.nan, ramp)],
                       100) == pytest.approx(90)
    assert robust_vmax([np.zeros((3, 3)), -np.ones((2, 2))]) == \
        pytest.approx(1 / DENSITY_AREA)
    assert robust_vmax([]) == pytest.approx(1 / DENSITY_AREA)
    with pytest.raises(ValueError, match='percentile'):
        robust_vmax([ramp], percentile=101)


@pytest.mark.parametrize('panel_width', [29, 64])
def test_draw_density_panels_size_and_shared_colour_scale(panel_width):
    image = np.zeros((20, 40, 3), np.uint8)
    image[..., 0] = 255  # pure red
    gt = np.full((20, 40), 1.0)
    pred = np.full((20, 40), 2.0)
    drawn = draw_density_panels(image, gt, pred, 20, 40,
                                panel_width=panel_width, title_height=10)
    panel_height = round(panel_width * 20 / 40)
    # The colour bar band sits under the panels.
    assert drawn.shape == (panel_height + 10 + BAND, 3 * panel_width, 3)
    assert drawn.dtype == np.uint8
    args = (panel_width, panel_height, 10)
    np.testing.assert_allclose(centre(drawn, 0, *args), [255, 0, 0], atol=2)
    # One scale [0, 2] for both maps, square root: GT sits at sqrt(1 / 2)
    # of it, pred at the top.
    np.testing.assert_allclose(centre(drawn, 1, *args), jet_rgb(0.5**0.5),
                               atol=3)
    np.testing.assert_allclose(centre(drawn, 2, *args), jet_rgb(1.0), atol=3)
    linear = draw_density_panels(image, gt, pred, panel_width=panel_width,
                                 title_height=10, density_gamma=1)
    np.testing.assert_allclose(centre(linear, 1, *args), jet_rgb(0.5),
                               atol=3)


def test_one_sharp_gt_peak_does_not_blank_the_prediction():
    # A far-away head: one pixel holding 1 person, 100x the rest of the map.
    gt = np.full((40, 40), 0.01)
    gt[5, 5] = 1.0
    pred = np.full((40, 40), 0.01)
    drawn = draw_density_panels(np.zeros((40, 40, 3), np.uint8), gt, pred,
                                panel_width=60, title_height=10)
    args = (60, 60, 10)
    # The scale tops out at the maps' 99th percentile (0.01), not at the
    # peak: the prediction is drawn at the top colour, not as background.
    np.testing.assert_allclose(centre(drawn, 2, *args), jet_rgb(1.0), atol=3)
    np.testing.assert_allclose(centre(drawn, 1, *args), jet_rgb(1.0), atol=3)


def test_colour_bar_spans_the_scale_under_the_density_columns():
    ramp = np.tile(np.linspace(0, 0.02, 50), (50, 1))
    drawn = draw_panels([(np.zeros((50, 50, 3), np.uint8), 'img', 'image'),
                         (ramp, 'map', 'density')],
                        panel_width=200, title_height=20,
                        density_percentile=100)
    assert drawn.shape == (200 + 20 + BAND, 400, 3)
    band = drawn[220:]
    # The bar's middle row: jet from 0 at its left end to 1 at its right.
    bar_row = band[4 + 4]
    coloured = np.flatnonzero(np.ptp(bar_row.astype(int), axis=1) > 60)
    assert coloured.min() >= 200  # nothing under the image column
    np.testing.assert_allclose(bar_row[coloured.min() + 2], jet_rgb(0.0),
                               atol=40)
    np.testing.assert_allclose(bar_row[coloured.max() - 2], jet_rgb(1.0),
                               atol=40)


def test_no_band_without_density_panels_or_labelled_points():
    ones = np.ones((8, 8))
    assert draw_panels([(ones, 'h', 'heatmap')], panel_width=40,
                       title_height=12).shape == (52, 40, 3)
    assert draw_panels([(ones, 'd', 'density')], panel_width=40,
                       title_height=12, colorbar=False).shape == (52, 40, 3)
    image = np.zeros((8, 8, 3), np.uint8)
    labelled = Panel(image, 'i', points=[Points([[1, 1]], label='heads')])
    assert draw_panels([labelled], panel_width=40,
                       title_height=12).shape == (52 + BAND, 40, 3)


def test_draw_panels_grid_heatmap_and_explicit_vmax():
    ones = np.ones((8, 8))
    drawn = draw_panels([(ones, 'a', 'density'), (ones * 5, 'b', 'heatmap'),
                         (ones * 0.25, 'c', 'density')],
                        ncols=2, panel_width=40, title_height=12,
                        density_vmax=1.0)
    assert drawn.shape == (2 * (40 + 12) + BAND, 80, 3)
    args = (40, 40, 12)
    np.testing.assert_allclose(centre(drawn, 0, *args), jet_rgb(1.0), atol=3)
    # 0.25 of the scale is drawn at sqrt(0.25) of the colormap.
    np.testing.assert_allclose(centre(drawn, 0, *args, row=1), jet_rgb(0.5),
                               atol=3)
    # The empty fourth cell stays white.
    np.testing.assert_array_equal(centre(drawn, 1, *args, row=1),
                                  [255, 255, 255])


def test_heatmap_spans_its_own_percentiles_not_its_outliers():
    ramp = np.tile(np.linspace(0, 1, 40), (40, 1))
    ramp[0, 0] = 1000.0  # one outlier
    drawn = draw_panels([(ramp, 'h', 'heatmap')], panel_width=40,
                        title_height=10)
    low, high = np.percentile(ramp, [1, 99])
    value = ramp[20, 20]
    np.testing.assert_allclose(drawn[10 + 20, 20],
                               jet_rgb((value - low) / (high - low)), atol=8)


def test_long_titles_shrink_to_their_cell():
    ones = np.ones((10, 10))
    title = 'Prediction: 48.2 (error -24.8)'
    drawn = draw_panels([(ones, '', 'heatmap'), (ones, title, 'heatmap'),
                         (ones, '', 'heatmap')], panel_width=100,
                        title_height=28)
    bands = drawn[:28].astype(int)
    # Nothing spills into the neighbours' title bands...
    assert (bands[:, :100] == 255).all()
    assert (bands[:, 200:] == 255).all()
    # ... and the title is there.
    assert (bands[:, 100:200] < 128).any()


def test_points_are_drawn_where_the_heads_are():
    image = np.full((20, 40, 3), 255, np.uint8)
    # Head at the centre of pixel (row 5, column 30).
    points = np.array([[30.5, 5.5]])
    size = dict(panel_width=84, panel_height=40, title_height=10)
    drawn = draw_density_panels(image, gt_points=points, **size)
    # The 40 x 20 image fills the 80 x 40 box (84 minus 2-pixel gutters):
    # 2 picture pixels per image pixel, 2 pixels in from the left.
    y, x = 10 + round(5.5 * 2), 2 + round(30.5 * 2)
    assert is_red(drawn[y, x])
    assert not is_red(drawn[10 + 11, 2 + 20])  # away from the head
    # Without points the same place stays white.
    plain = draw_density_panels(image, **size)
    np.testing.assert_array_equal(plain[y, x], [255, 255, 255])


def test_predicted_points_have_their_own_colour_and_legend():
    image = np.full((20, 20, 3), 255, np.uint8)
    drawn = draw_density_panels(image, gt_points=[[5.5, 5.5]],
                                pred_points=[[15.5, 15.5]], panel_width=204,
                                panel_height=200, title_height=10)
    # The legend needs the band even without a density panel.
    assert drawn.shape == (200 + 10 + BAND, 204, 3)
    # 10 picture pixels per image pixel.
    assert is_red(drawn[10 + 55, 2 + 55])
    assert is_yellow(drawn[10 + 155, 2 + 155])
    # The legend in the band shows both markers.
    band = drawn[210:].reshape(-1, 3)
    assert any(is_red(px) for px in band)
    assert any(is_yellow(px) for px in band)


def test_draw_overlay_blends_density_over_the_image():
    image = np.zeros((30, 60, 3), np.uint8)
    image[..., 1] = 200  # green
    density = np.zeros((30, 60))
    density[:, 30:] = 0.05
    drawn = draw_overlay(image, density, 45.0, panel_width=120,
                         title_height=10)
    # A lone panel has no gutter: 2 picture pixels per image pixel.
    assert drawn.shape == (10 + 60 + BAND, 120, 3)
    # Zero density: the image shows through unchanged.
    np.testing.assert_allclose(drawn[10 + 30, 40], [0, 200, 0], atol=3)
    # Density at the top of the scale: 75 % jet's top colour over green.
    top = 0.75 * jet_rgb(1.0) + 0.25 * np.array([0, 200, 0])
    np.testing.assert_allclose(drawn[10 + 30, 100], top, atol=4)
    # Native size by default, the image pixels as they are.
    native = draw_overlay(image, np.zeros((30, 60)))
    assert native.shape == (28 + 30 + BAND, 60, 3)
    np.testing.assert_array_equal(native[28:58], image)
    with pytest.raises(ValueError, match='must match'):
        draw_overlay(image, density[:10])


def test_draw_panels_rejects_bad_input():
    with pytest.raises(ValueError, match='kind'):
        draw_panels([(np.ones((4, 4)), 'x', 'points')])
    with pytest.raises(ValueError, match=r"'d'.*\(4, 4, 2\)"):
        draw_panels([(np.ones((4, 4, 2)), 'd', 'density')])
    with pytest.raises(ValueError, match='at least one'):
        draw_panels([])
    with pytest.raises(ValueError, match='image_rgb'):
        draw_density_panels(np.ones((4, 4)))
    with pytest.raises(ValueError, match=r'heads.*\(N, 2\).*\(3,\)'):
        Points([1, 2, 3], label='heads')
    with pytest.raises(ValueError, match='background'):
        draw_panels([Panel(np.ones((4, 4)), 'o', 'overlay')])
    with pytest.raises(ValueError, match='density_gamma'):
        draw_panels([(np.ones((4, 4)), 'd', 'density')], density_gamma=0)


def test_predicted_points_are_drawn_only_when_asked():
    from hsrcount.structures import CrowdDataSample
    from hsrcount.visualization.density_figure import draw_data_sample
    sample = CrowdDataSample(metainfo=dict(img_shape=(40, 60)))
    sample.pred_density = torch.full((1, 40, 60), 1e-3)
    sample.pred_count = 2.4
    sample.pred_points = torch.tensor([[10.5, 10.5], [40.5, 30.5]])
    image = np.full((40, 60, 3), 128, np.uint8)
    marked = draw_data_sample(image, sample, panel_width=120)
    plain = draw_data_sample(image, sample, draw_pred_points=False,
                             panel_width=120)
    assert marked.shape == plain.shape
    assert (marked != plain).any()
