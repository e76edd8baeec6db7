"""CountDumpMetric (tools/test.py --out): records, files, errors."""
import pytest

from hsrcount.evaluation.metrics.count_dump import CountDumpMetric, read_counts
from hsrcount.structures import CrowdDataSample


def sample(name, gt, pred):
    s = CrowdDataSample(metainfo=dict(img_path=name))
    s.gt_count, s.pred_count = gt, pred
    return s


@pytest.mark.parametrize('ext', ['json', 'csv'])
def test_writes_one_record_per_image(tmp_path, ext):
    out = tmp_path / 'sub' / f'counts.{ext}'
    metric = CountDumpMetric(str(out))
    metric.process({}, [sample('a.jpg', 3, 2.5)])
    metric.process({}, [sample('b.jpg', 0, 0.25).to_dict()])  # as gathered
    assert metric.compute_metrics(metric.results) == {}
    assert read_counts(str(out)) == [
        dict(img_path='a.jpg', gt_count=3.0, pred_count=2.5),
        dict(img_path='b.jpg', gt_count=0.0, pred_count=0.25)
    ]


def test_missing_prediction_names_the_image(tmp_path):
    metric = CountDumpMetric(str(tmp_path / 'c.json'))
    s = CrowdDataSample(metainfo=dict(img_path='x/IMG_7.jpg'))
    s.gt_count = 4
    with pytest.raises(KeyError, match="IMG_7.jpg has no 'pred_count'"):
        metric.process({}, [s])


def test_refuses_other_file_types(tmp_path):
    with pytest.raises(ValueError, match='.json or .csv'):
        CountDumpMetric(str(tmp_path / 'c.txt'))
    (tmp_path / 'c.txt').write_text('x')
    with pytest.raises(ValueError, match='.json or .csv'):
        read_counts(str(tmp_path / 'c.txt'))
