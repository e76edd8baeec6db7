import math

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from hsrcount.evaluation import CrowdCountingMetric
from hsrcount.evaluation.functional import (cell_boundaries, game_errors,
                                            grid_cell_sums,
                                            points_to_count_map)
from hsrcount.registry import METRICS
from hsrcount.structures import CrowdDataSample


def make_sample(gt_count, pred_density=None, pred_count=None, gt_points=None,
                roi=None, scene=None, name='img.jpg'):
    """A model output as ``CrowdCounter.predict`` returns it."""
    metainfo = dict(img_path=f'/data/{name}')
    if scene is not None:
        metainfo['scene'] = scene
    sample = CrowdDataSample(metainfo=metainfo)
    sample.gt_count = float(gt_count)
    if pred_density is not None:
        sample.pred_density = torch.as_tensor(pred_density,
                                              dtype=torch.float32)
    if pred_count is not None:
        sample.pred_count = float(pred_count)
    if gt_points is not None:
        sample.gt_points = torch.as_tensor(gt_points, dtype=torch.float32)
    if roi is not None:
        sample.roi = torch.as_tensor(roi, dtype=torch.float32)
    return sample


def run_metric(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def reference_game(pred, points, level, roi=None):
    """Brute force eq. 12 with floored np.linspace boundaries."""
    h, w = pred.shape
    n = 2**level
    ys = np.floor(np.linspace(0, h, n + 1)).astype(int)
    xs = np.floor(np.linspace(0, w, n + 1)).astype(int)
    mask = np.ones_like(pred) if roi is None else roi
    total = 0.
    for i in range(n):
        for j in range(n):
            est = (pred * mask)[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].sum()
            gt = 0
            for x, y in points:
                col, row = int(math.floor(x)), int(math.floor(y))
                if (ys[i] <= row < ys[i + 1] and xs[j] <= col < xs[j + 1]
                        and mask[row, col] > 0):
                    gt += 1
            total += abs(est - gt)
    return total


# --- functional -----------------------------------------------------------


@pytest.mark.parametrize('size', [1, 3, 4, 5, 7, 16, 101, 768])
@pytest.mark.parametrize('num_cells', [1, 2, 4, 8])
def test_cell_boundaries_are_floored_linspace(size, num_cells):
    expected = np.floor(np.linspace(0, size, num_cells + 1)).astype(int)
    np.testing.assert_array_equal(cell_boundaries(size, num_cells), expected)


def test_grid_cell_sums_match_slicing_and_handle_empty_cells():
    rng = np.random.default_rng(0)
    value_map = rng.random((5, 7))
    sums = grid_cell_sums(value_map, 2)
    # 5 rows split at 2, 7 columns split at 3.
    np.testing.assert_allclose(sums, [
        [value_map[:2, :3].sum(), value_map[:2, 3:].sum()],
        [value_map[2:, :3].sum(), value_map[2:, 3:].sum()],
    ])
    tiny = grid_cell_sums(np.ones((2, 2)), 4)  # more cells than pixels
    assert tiny.shape == (4, 4)
    assert tiny.sum() == pytest.approx(4.0)
    assert np.count_nonzero(tiny) == 4


def test_points_to_count_map_floors_and_drops_outside_and_roi():
    points = np.array([[0.2, 0.9], [1.99, 0.0], [1.5, 0.5], [3.0, 1.0],
                       [3.01, 1.0], [-0.1, 1.0], [0.5, 2.5]])
    roi = np.ones((3, 3))
    roi[2, 0] = 0
    counts = points_to_count_map(points, (3, 3), roi)
    expected = np.zeros((3, 3))
    expected[0, 0] = 1  # (0.2, 0.9)
    expected[0, 1] = 2  # (1.99, 0.0) and (1.5, 0.5)
    expected[1, 2] = 1  # (3.0, 1.0): on the far edge, the last column
    # (3.01, 1.0) and (-0.1, 1.0) are off the image; (0.5, 2.5) is outside
    # the ROI.
    np.testing.assert_array_equal(counts, expected)


def test_game_by_hand_on_4x4():
    pred = np.zeros((4, 4))
    pred[0, 0], pred[1, 1] = 1.5, 0.5  # top-left cell: 2
    pred[0, 3] = 0.5  # top-right cell: 0.5
    pred[3, 3] = 1.0  # bottom-right cell: 1; bottom-left: 0
    points = [[0.5, 0.5], [3.5, 1.5], [1.0, 2.0], [2.0, 3.0]]
    # GAME(0) = |3.5 - 4|; GAME(1) = |2-1| + |0.5-1| + |0-1| + |1-1|.
    assert game_errors(pred, points, (0, 1)) == pytest.approx([0.5, 2.5])
    # GAME(2): 16 single-pixel cells.
    gt = np.zeros((4, 4))
    gt[0, 0] = gt[1, 3] = gt[2, 1] = gt[3, 2] = 1
    assert game_errors(pred, points, (2, ))[0] == pytest.approx(
        np.abs(pred - gt).sum())


def test_game_matches_brute_force_on_odd_sizes_with_roi():
    rng = np.random.default_rng(1)
    pred = rng.random((13, 21)) * 0.1
    points = rng.uniform([0, 0], [21, 13], size=(30, 2))
    roi = (rng.random((13, 21)) > 0.3).astype(np.float64)
    got = game_errors(pred, points, (0, 1, 2, 3), roi)
    for level, value in zip((0, 1, 2, 3), got):
        assert value == pytest.approx(
            reference_game(pred, points, level, roi))


# --- metric ---------------------------------------------------------------


def test_mae_and_root_mse_by_hand():
    samples = [
        make_sample(10, pred_count=12),
        make_sample(20, pred_count=17),
        make_sample(30, pred_count=30),
    ]
    metrics = run_metric(CrowdCountingMetric(), samples)
    assert set(metrics) == {'MAE', 'MSE', 'NAE'}
    assert metrics['MAE'] == pytest.approx((2 + 3 + 0) / 3)
    assert metrics['MSE'] == pytest.approx(math.sqrt((4 + 9 + 0) / 3))


def test_pred_count_from_density_inside_roi_when_missing():
    density = np.full((4, 4), 0.25)
    roi = np.zeros((4, 4))
    roi[:2] = 1  # 8 pixels inside: estimate 2
    metrics = run_metric(CrowdCountingMetric(),
                         [make_sample(5, pred_density=density, roi=roi)])
    assert metrics['MAE'] == pytest.approx(3.0)


def test_game_levels_and_roi_honoured():
    pred = np.zeros((4, 4))
    pred[0, 0] = 2.0
    pred[3, 3] = 5.0  # outside the ROI: ignored
    roi = np.ones((4, 4))
    roi[2:, 2:] = 0
    points = [[0.5, 0.5], [3.5, 0.5], [3.5, 3.5]]  # last one outside ROI
    sample = make_sample(2, pred_density=pred, pred_count=2.0,
                         gt_points=points, roi=roi)
    metrics = run_metric(CrowdCountingMetric(game_levels=(0, 1)), [sample])
    assert metrics['MAE'] == pytest.approx(0.0)
    assert metrics['GAME0'] == pytest.approx(0.0)
    # Top-left: |2 - 1|, top-right: |0 - 1|, others 0.
    assert metrics['GAME1'] == pytest.approx(2.0)


def test_game0_equals_mae_when_counts_are_consistent():
    """GT counts as the pipeline makes them (GenerateDensity), heads on the
    far image edges included: GAME0 equals MAE, and a prediction equal to
    the GT density scores 0 on both."""
    from hsrcount.datasets.transforms import GenerateDensity
    rng = np.random.default_rng(2)
    samples, perfect = [], []
    for i in range(4):
        points = rng.uniform([0, 0], [11, 9], size=(int(rng.integers(0, 20)),
                                                    2))
        points = np.concatenate([points, [[11.0, 4.0], [5.0, 9.0],
                                          [11.0, 9.0]]]).astype(np.float32)
        roi = (rng.random((9, 11)) > 0.2).astype(np.uint8)
        roi[4, 10] = roi[8, 5] = roi[8, 10] = 1  # the edge heads count
        gt = GenerateDensity(kernel='fixed', sigma=1.0)(
            dict(img=np.zeros((9, 11, 3), np.uint8), gt_points=points,
                 roi=roi))
        assert gt['gt_count'] >= 3
        pred = rng.random((9, 11)) * 0.3
        samples.append(
            make_sample(gt['gt_count'], pred_density=pred, gt_points=points,
                        roi=roi, name=f'{i}.jpg'))
        perfect.append(
            make_sample(gt['gt_count'], pred_density=gt['gt_density'],
                        gt_points=points, roi=roi, name=f'{i}.jpg'))
    metrics = run_metric(CrowdCountingMetric(game_levels=(0, 2)), samples)
    assert metrics['GAME0'] == pytest.approx(metrics['MAE'], rel=1e-6)
    assert metrics['GAME2'] >= metrics['GAME0'] - 1e-9
    metrics = run_metric(CrowdCountingMetric(game_levels=(0, )), perfect)
    assert metrics['MAE'] == pytest.approx(0.0, abs=1e-4)
    assert metrics['GAME0'] == pytest.approx(0.0, abs=1e-4)


def test_per_scene_mae_and_unweighted_average():
    samples = [
        make_sample(10, pred_count=11, scene='104207'),
        make_sample(10, pred_count=13, scene='104207'),
        make_sample(5, pred_count=5, scene='200608'),
    ]
    metrics = run_metric(CrowdCountingMetric(per_scene=True), samples)
    assert metrics['MAE_104207'] == pytest.approx(2.0)
    assert metrics['MAE_200608'] == pytest.approx(0.0)
    assert metrics['MAE_scene_avg'] == pytest.approx(1.0)
    assert metrics['MAE'] == pytest.approx(4 / 3)


def test_records_gathered_from_two_ranks_reduce_like_one():
    rng = np.random.default_rng(3)
    samples = []
    for i in range(6):
        pred = rng.random((8, 10)) * 0.2
        points = rng.uniform([0, 0], [10, 8], size=(7, 2))
        samples.append(
            make_sample(7, pred_density=pred, gt_points=points,
                        scene=f's{i % 2}', name=f'{i}.jpg'))
    kwargs = dict(game_levels=(0, 1, 2), per_scene=True)
    rank0, rank1, single = (CrowdCountingMetric(**kwargs) for _ in range(3))
    rank0.process({}, samples[::2])
    rank1.process({}, samples[1::2])
    single.process({}, samples)
    gathered = rank0.compute_metrics(rank0.results + rank1.results)
    expected = single.compute_metrics(single.results)
    assert gathered.keys() == expected.keys()
    for key in expected:
        assert gathered[key] == pytest.approx(expected[key])
    # Records are plain Python, so collect_results can pickle them.
    for record in rank0.results:
        assert all(
            isinstance(v, (str, float, list)) for v in record.values())


def test_evaluator_end_to_end_with_registry_and_prefix():
    pred = np.zeros((4, 4))
    pred[0, 0] = 3.0
    samples = [
        make_sample(2, pred_density=pred, pred_count=3.0,
                    gt_points=[[0.5, 0.5], [3.5, 3.5]]),
        make_sample(4, pred_count=1.0, pred_density=np.full((4, 4), 1 / 16),
                    gt_points=[[0.5, 0.5]] * 4),
    ]
    metric = METRICS.build(
        dict(type='CrowdCountingMetric', game_levels=(0, 1), prefix='val'))
    evaluator = Evaluator(metric)
    evaluator.process(samples[:1], {})  # Evaluator passes to_dict() forms
    evaluator.process(samples[1:], {})
    metrics = evaluator.evaluate(2)
    assert metrics['val/MAE'] == pytest.approx((1 + 3) / 2)
    assert metrics['val/MSE'] == pytest.approx(math.sqrt((1 + 9) / 2))
    # Image 1: cells TL |3-1|, BR |0-1|; image 2: TL |0.25-4|, 3 x 0.25.
    assert metrics['val/GAME1'] == pytest.approx((3 + 4.5) / 2)
    assert metrics['val/GAME0'] == pytest.approx((1 + 3) / 2)


def test_clear_errors():
    with pytest.raises(ValueError, match='game_levels'):
        CrowdCountingMetric(game_levels=(1, 1))
    with pytest.raises(ValueError, match='game_levels'):
        CrowdCountingMetric(game_levels=(-1, ))
    sample = CrowdDataSample(metainfo=dict(img_path='/data/a.jpg'))
    sample.pred_count = 1.0
    with pytest.raises(KeyError, match='a.jpg.*gt_count'):
        CrowdCountingMetric().process({}, [sample])
    with pytest.raises(KeyError, match='b.jpg.*scene'):
        CrowdCountingMetric(per_scene=True).process(
            {}, [make_sample(1, pred_count=1, name='b.jpg')])
    with pytest.raises(KeyError, match='c.jpg.*gt_points'):
        CrowdCountingMetric(game_levels=(1, )).process(
            {}, [make_sample(1, pred_density=np.zeros((2, 2)),
                             name='c.jpg')])
    with pytest.raises(ValueError, match='d.jpg.*roi'):
        CrowdCountingMetric().process({}, [
            make_sample(1, pred_density=np.zeros((2, 2)),
                        roi=np.ones((3, 3)), name='d.jpg')
        ])
    with pytest.raises(ValueError, match='no samples'):
        CrowdCountingMetric().compute_metrics([])


# --- NAE and the benchmarks' breakdowns -----------------------------------


def labelled(gt, pred, **metainfo):
    sample = make_sample(gt, pred_count=pred)
    sample.set_metainfo(metainfo)
    return sample.to_dict()  # as MMEngine's Evaluator passes it


def test_nae_over_images_with_heads_by_hand():
    samples = [labelled(10, 12), labelled(20, 17), labelled(0, 3),
               labelled(4, 4)]
    metrics = run_metric(CrowdCountingMetric(), samples)
    # |12-10|/10 = 0.2, |17-20|/20 = 0.15, 0 / 4 = 0; gt = 0 is left out.
    assert metrics['NAE'] == pytest.approx((0.2 + 0.15 + 0.0) / 3)
    assert metrics['MAE'] == pytest.approx((2 + 3 + 3 + 0) / 4)
    only_empty = run_metric(CrowdCountingMetric(), [labelled(0, 1)])
    assert math.isnan(only_empty['NAE'])


def test_jhu_breakdown_by_hand():
    # (gt, pred, weather): low 0-50, medium 51-500, high > 500.
    table = [(50, 40, 0), (0, 2, 1), (51, 61, 0), (500, 450, 2),
             (501, 601, 3), (2000, 1900, 0)]
    samples = [labelled(g, p, weather=w) for g, p, w in table]
    metrics = run_metric(CrowdCountingMetric(breakdown='jhu'), samples)
    assert metrics['MAE_low'] == pytest.approx((10 + 2) / 2)
    assert metrics['MSE_low'] == pytest.approx(math.sqrt((100 + 4) / 2))
    assert metrics['NAE_low'] == pytest.approx(10 / 50)
    assert metrics['MAE_medium'] == pytest.approx((10 + 50) / 2)
    assert metrics['NAE_medium'] == pytest.approx((10 / 51 + 50 / 500) / 2)
    assert metrics['MAE_high'] == pytest.approx((100 + 100) / 2)
    assert metrics['MSE_high'] == pytest.approx(100.0)
    # Adverse weather: the images with weather 1-3.
    assert metrics['MAE_weather'] == pytest.approx((2 + 50 + 100) / 3)
    assert metrics['MSE_weather'] == pytest.approx(
        math.sqrt((4 + 2500 + 10000) / 3))
    assert metrics['MAE'] == pytest.approx((10 + 2 + 10 + 50 + 100 + 100) / 6)
    with pytest.raises(KeyError, match="needs the metainfo 'weather'"):
        CrowdCountingMetric(breakdown='jhu').process({}, [labelled(1, 1)])
    with pytest.raises(ValueError, match='breakdown must be one of'):
        CrowdCountingMetric(breakdown='ucf')


def test_nwpu_breakdown_by_hand():
    # (gt, pred, scene level, luminance); no image of S4 or L3.
    table = [(0, 1, 0, 0), (0, 3, 0, 1), (80, 70, 1, 1), (300, 330, 2, 2),
             (3000, 2000, 3, 0)]
    samples = [labelled(g, p, scene_level=s, luminance=lum)
               for g, p, s, lum in table]
    metrics = run_metric(CrowdCountingMetric(breakdown='nwpu'), samples)
    assert metrics['MAE_S0'] == pytest.approx(2.0)
    assert (metrics['MAE_S1'], metrics['MAE_S2'], metrics['MAE_S3']) == \
        pytest.approx((10.0, 30.0, 1000.0))
    assert 'MAE_S4' not in metrics
    assert metrics['mMAE'] == pytest.approx((2 + 10 + 30 + 1000) / 4)
    assert metrics['MAE_L0'] == pytest.approx((1 + 1000) / 2)
    assert metrics['MAE_L1'] == pytest.approx((3 + 10) / 2)
    assert metrics['MAE_L2'] == pytest.approx(30.0)
    assert metrics['mMAE_luminance'] == pytest.approx(
        (500.5 + 6.5 + 30) / 3)
    assert metrics['NAE'] == pytest.approx((10 / 80 + 30 / 300 + 1000 / 3000)
                                           / 3)


def test_split_without_labels_points_to_format_only():
    sample = CrowdDataSample(metainfo=dict(img_path='/d/3610.jpg'))
    sample.pred_count = 3.0
    with pytest.raises(KeyError, match='3610.jpg.*--format-only'):
        CrowdCountingMetric().process({}, [sample])
