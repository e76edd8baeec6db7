"""Point matching against brute force, and precision/recall/F1 by hand."""
import itertools

import numpy as np
import pytest
import torch

from hsrcount.evaluation import (LocalizationMetric, match_points,
                                 nwpu_thresholds, precision_recall_f1)
from hsrcount.structures import CrowdDataSample


def brute_force_matches(pred, gt, threshold):
    """The most pairs within threshold over every one-to-one assignment."""
    best = 0
    small, large, swap = (pred, gt, False) if len(pred) <= len(gt) else \
        (gt, pred, True)
    for perm in itertools.permutations(range(len(large)), len(small)):
        hits = 0
        for i, j in enumerate(perm):
            p, g = (large[j], small[i]) if swap else (small[i], large[j])
            gi = i if swap else j
            limit = threshold[gi] if np.ndim(threshold) else threshold
            hits += np.linalg.norm(p - g) <= limit
        best = max(best, hits)
    return best


@pytest.mark.parametrize('seed', range(25))
def test_matching_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    pred = rng.uniform(0, 20, (rng.integers(0, 6), 2))
    gt = rng.uniform(0, 20, (rng.integers(0, 6), 2))
    threshold = rng.uniform(1, 6, len(gt)) if seed % 2 else 4.0
    assert match_points(pred, gt, threshold) == brute_force_matches(
        pred, gt, threshold)


def test_matching_is_one_to_one():
    # Two predictions on one head: one match only.
    assert match_points([[0, 0], [0.5, 0]], [[0, 0]], 2.0) == 1
    # Greedy nearest-first would pair (1, 0)-(0, 0) and lose (2, 0).
    assert match_points([[1, 0], [-1.5, 0]], [[0, 0], [2, 0]], 1.6) == 2


def test_precision_recall_f1_by_hand():
    p, r, f1 = precision_recall_f1(tp=6, num_pred=8, num_gt=10)
    assert (p, r) == (0.75, 0.6)
    assert f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert precision_recall_f1(0, 0, 0) == (1.0, 1.0, 1.0)
    assert precision_recall_f1(0, 0, 3) == (1.0, 0.0, 0.0)


def test_nwpu_threshold_is_half_the_box_diagonal():
    np.testing.assert_allclose(nwpu_thresholds([[6, 8], [2, 0]]), [5.0, 1.0])


def _sample(pred, gt, sizes=None):
    sample = CrowdDataSample(metainfo=dict(img_path='a.jpg'))
    sample.pred_points = torch.tensor(pred, dtype=torch.float32).reshape(-1, 2)
    sample.gt_points = torch.tensor(gt, dtype=torch.float32).reshape(-1, 2)
    if sizes is not None:
        sample.gt_head_sizes = torch.tensor(sizes, dtype=torch.float32)
    return sample


def test_metric_sums_over_images():
    metric = LocalizationMetric(thresholds=(2, 8), nwpu_box=True)
    # Image 1: 2 predictions, 3 heads; at 2 px one match, at 8 px two.
    metric.process(None, [_sample([[0, 0], [5, 0]], [[0, 0], [10, 0],
                                                      [50, 50]],
                                  sizes=[[2, 2]] * 3)])
    # Image 2: no heads, one prediction: a false positive.
    metric.process(None, [_sample([[3, 3]], [], sizes=np.zeros((0, 2)))])
    out = metric.evaluate(2)
    # tp@2 = 1, tp@8 = 2, tp@box (sqrt(8)/2 = 1.41 px) = 1; 3 pred, 3 gt.
    assert out['precision@2'] == pytest.approx(1 / 3)
    assert out['recall@8'] == pytest.approx(2 / 3)
    assert out['F1@8'] == pytest.approx(2 / 3)
    assert out['F1@box'] == pytest.approx(1 / 3)


def test_metric_errors_name_the_image():
    metric = LocalizationMetric()
    sample = CrowdDataSample(metainfo=dict(img_path='b.jpg'))
    sample.gt_points = torch.zeros(1, 2)
    with pytest.raises(KeyError, match='b.jpg.*point_extractor'):
        metric.process(None, [sample])
    with pytest.raises(KeyError, match='gt_head_sizes'):
        LocalizationMetric(nwpu_box=True).process(None, [_sample([], [])])
    with pytest.raises(ValueError, match='thresholds'):
        LocalizationMetric(thresholds=(0, ))


def test_localization_submission_in_original_pixels(tmp_path):
    from hsrcount.evaluation.metrics import LocalizationSubmissionMetric
    out = tmp_path / 'loc.txt'
    metric = LocalizationSubmissionMetric(str(out))
    resized = CrowdDataSample(metainfo=dict(img_path='d/3611.jpg',
                                            scale_factor=(2.0, 0.5)))
    resized.pred_points = torch.tensor([[10.4, 3.0], [5.0, 7.6]])
    plain = CrowdDataSample(metainfo=dict(img_path='d/3610.jpg'))
    plain.pred_points = torch.zeros(0, 2)
    metric.process(None, [resized.to_dict(), plain.to_dict()])
    metric.evaluate(2)
    # Sorted by id; (10.4 / 2, 3 / 0.5) = (5.2, 6) -> 5 6; (2.5, 15.2) -> 2
    # 15 (numpy rounds half to even).
    assert out.read_text() == '3610 0\n3611 2 5 6 2 15\n'
    with pytest.raises(KeyError, match='point_extractor'):
        metric.process(None, [CrowdDataSample(
            metainfo=dict(img_path='d/1.jpg')).to_dict()])
