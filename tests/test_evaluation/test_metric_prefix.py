"""Our metrics report plain keys ('MAE', not 'prefix/MAE') without
MMEngine's "prefix is not set" warning."""
import logging

import pytest
from mmengine.logging import MMLogger

from hsrcount.evaluation.metrics import CountDumpMetric, CrowdCountingMetric


@pytest.fixture
def warnings_logged():
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def counts(metric, pairs):
    for gt, pred in pairs:
        metric.process(None, [dict(img_path='a.jpg', gt_count=gt,
                                   pred_count=pred)])
    return metric.evaluate(len(pairs))


def test_no_prefix_warning_and_plain_keys(warnings_logged, tmp_path):
    metric = CrowdCountingMetric()
    CountDumpMetric(str(tmp_path / 'counts.csv'))
    assert [r.getMessage() for r in warnings_logged] == []
    assert counts(metric, [(10, 12), (4, 3)]) == pytest.approx(
        # NAE: mean of |error| / gt = (2 / 10 + 1 / 4) / 2.
        dict(MAE=1.5, MSE=(2.5**0.5), NAE=0.225))


def test_an_explicit_prefix_still_applies():
    metric = CrowdCountingMetric(prefix='val')
    assert set(counts(metric, [(1, 2)])) == {'val/MAE', 'val/MSE',
                                                 'val/NAE'}
