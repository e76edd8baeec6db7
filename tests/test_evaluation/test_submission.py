"""The benchmarks' prediction files (NWPU-Crowd, JHU-Crowd++) and
tools/test.py --format-only."""
import os.path as osp

import fake_releases as fake
import numpy as np
import pytest

from hsrcount.evaluation.metrics.submission import (CountSubmissionMetric,
                                                    format_submission,
                                                    read_submission)
from hsrcount.structures import CrowdDataSample


def prediction(img_path, count):
    sample = CrowdDataSample(metainfo=dict(img_path=img_path))
    sample.pred_count = count
    return sample


def test_nwpu_submission_by_hand():
    text = format_submission([('3611', 2.24561), ('5109', 8976.01734),
                              ('3610', 100.0)], 'nwpu')
    # The benchmark's example: one "id count" line per image, by id.
    assert text == '3610 100.0000\n3611 2.2456\n5109 8976.0173\n'
    with pytest.raises(ValueError, match=r"\['3610'\] predicted more"):
        format_submission([('3610', 1.0), ('3610', 2.0)], 'nwpu')


@pytest.mark.parametrize('benchmark', ['nwpu', 'jhu'])
def test_metric_writes_a_file_that_reads_back(tmp_path, benchmark):
    out = tmp_path / 'sub' / 'pred.txt'
    metric = CountSubmissionMetric(benchmark, str(out))
    # Gathered records arrive as dicts; samples need no ground truth.
    metric.process({}, [prediction('/d/images/0012.jpg', 3.25).to_dict(),
                        prediction('/d/images/0002.jpg', 0.0)])
    metric.process({}, [prediction('/d/images_part1/0100.jpg', 12345.678)])
    assert metric.compute_metrics(metric.results) == {}
    assert read_submission(str(out)) == {
        '0002': 0.0, '0012': 3.25, '0100': pytest.approx(12345.678, abs=5e-5)}
    assert out.read_text().splitlines()[0] == '0002 0.0000'


def test_bad_input():
    with pytest.raises(ValueError, match='benchmark must be one of'):
        CountSubmissionMetric('ucf', 'x.txt')
    metric = CountSubmissionMetric('nwpu', 'x.txt')
    with pytest.raises(ValueError, match='IMG_1.jpg: NWPU-Crowd submissions '
                       'name images by number'):
        metric.process({}, [prediction('/d/IMG_1.jpg', 1.0)])
    with pytest.raises(KeyError, match='0001.jpg has no pred_count'):
        metric.process({}, [CrowdDataSample(metainfo=dict(
            img_path='/d/0001.jpg'))])


def test_read_submission_names_the_line(tmp_path):
    path = tmp_path / 'sub.txt'
    path.write_text('3610 1.5\n3611\n')
    with pytest.raises(ValueError, match=r'sub.txt, line 2: expected'):
        read_submission(str(path))
    path.write_text('3610 1.5\n3610 2\n')
    with pytest.raises(ValueError, match='line 2: image 3610 appears twice'):
        read_submission(str(path))


@pytest.mark.slow
def test_test_tool_format_only_writes_the_nwpu_submission(
        tmp_path, monkeypatch):
    """tools/test.py --format-only on a split without labels (a fake
    NWPU-Crowd test split), with the demo model's weights: one line per
    test image, the counts the same weights give in process."""
    monkeypatch.syspath_prepend(
        osp.join(osp.dirname(osp.dirname(__file__)), 'test_reliability'))
    from reliability_helpers import DEMO_CONFIG, run_tool, save_demo_checkpoint

    from hsrcount.apis import inference_model
    root = tmp_path / 'nwpu'
    expected = fake.write_nwpu_crowd(str(root))
    ckpt = tmp_path / 'demo.pth'
    model = save_demo_checkpoint(ckpt)
    config = tmp_path / 'nwpu_demo.py'
    out = tmp_path / 'submission.txt'
    loc = tmp_path / 'localization.txt'
    config.write_text(
        f"_base_ = [{DEMO_CONFIG!r}]\n"
        "test_dataloader = dict(num_workers=0, persistent_workers=False, "
        "dataset=dict(_delete_=True, type='NWPUCrowdDataset', "
        f"data_root={str(root)!r}, split='test', check_size=False, "
        "test_mode=True, pipeline=[dict(type='LoadCrowdImageFromFile'), "
        "dict(type='PackCrowdInputs')]))\n"
        "format_evaluator = [dict(type='CountSubmissionMetric', "
        f"benchmark='nwpu', out_file={str(out)!r}), "
        "dict(type='LocalizationSubmissionMetric', "
        f"out_file={str(loc)!r})]\n")
    # float32, as the in-process reference (the CPU default is bf16).
    proc = run_tool('test.py', config, ckpt, '--work-dir', tmp_path / 'w',
                    '--format-only', '--fp32')
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = read_submission(str(out))
    assert sorted(counts) == [e['id'] for e in expected['test']]
    lines = {line.split()[0]: line.split()
             for line in loc.read_text().splitlines()}
    assert sorted(lines) == sorted(counts)
    for entry in expected['test']:
        own = inference_model(model, entry['img_path'])
        assert counts[entry['id']] == pytest.approx(own.pred_count, abs=2e-4)
        # NWPU's localization line: id, N, then N integer x, y pairs.
        fields = lines[entry['id']]
        assert int(fields[1]) == len(own.pred_points)
        np.testing.assert_array_equal(
            np.array(fields[2:], dtype=np.int64).reshape(-1, 2),
            np.rint(own.pred_points.numpy()).astype(np.int64))
    # Without --format-only the metric says what to do.
    proc = run_tool('test.py', config, ckpt, '--work-dir', tmp_path / 'w')
    assert proc.returncode != 0
    assert '--format-only' in proc.stderr
