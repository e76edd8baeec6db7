import warnings

import pytest

from projects.hsrnet_paper.analysis.run_results import (final_metrics,
                                                        metrics_or_none,
                                                        parse_run_specs)
from .helpers import write_metrics_json, write_work_dir


def test_parse_run_specs_keeps_order_and_splits_at_first_equals():
    runs = parse_run_specs(['64@A=wd/a=b', 'sc=wd/c'])
    assert list(runs.items()) == [('64@A', 'wd/a=b'), ('sc', 'wd/c')]


@pytest.mark.parametrize('spec', ['nodir', '=wd', 'key='])
def test_parse_run_specs_rejects_malformed(spec):
    with pytest.raises(ValueError, match='KEY=PATH'):
        parse_run_specs([spec])


def test_parse_run_specs_rejects_repeated_key():
    with pytest.raises(ValueError, match='twice'):
        parse_run_specs(['a=x', 'a=y'])


def test_last_validation_record_across_resumed_runs(tmp_path):
    wd = tmp_path / 'run'
    write_work_dir(wd, [{'MAE': 9.0, 'MSE': 12.0, 'step': 100}],
                   timestamp='20260101_000000')
    # A resumed run writes a newer timestamp folder; its record is the last.
    write_work_dir(wd, [{'MAE': 5.0, 'MSE': 7.5, 'step': 200},
                        {'MAE': 6.0, 'MSE': 8.0, 'step': 300}],
                   timestamp='20260102_000000')
    m = final_metrics(str(wd))
    assert (m['MAE'], m['MSE'], m['step']) == (6.0, 8.0, 300)
    best = final_metrics(str(wd), select='best')
    assert (best['MAE'], best['MSE'], best['step']) == (5.0, 7.5, 200)


def test_metrics_json_takes_precedence(tmp_path):
    wd = tmp_path / 'run'
    write_work_dir(wd, [{'MAE': 9.0, 'MSE': 12.0, 'step': 100}])
    write_metrics_json(wd, 3.25, 4.5)
    m = final_metrics(str(wd))
    assert (m['MAE'], m['MSE'], m['step']) == (3.25, 4.5, None)
    assert m['source'].endswith('metrics.json')


def test_metrics_json_without_mse_is_an_error(tmp_path):
    wd = tmp_path / 'run'
    wd.mkdir()
    (wd / 'metrics.json').write_text('{"MAE": 1.0}')
    with pytest.raises(ValueError, match=r"metrics.json: lacks \['MSE'\]"):
        final_metrics(str(wd))


def test_no_validation_metrics_is_an_error(tmp_path):
    wd = write_work_dir(tmp_path / 'run', [{'GAME0': 1.0, 'step': 5}])
    with pytest.raises(ValueError, match='no validation record'):
        final_metrics(wd)


def test_missing_run_warns_and_gives_none(tmp_path):
    with pytest.warns(UserWarning, match="run 'sc'.*no such work dir"):
        assert metrics_or_none(str(tmp_path / 'absent'), 'sc') is None
    with pytest.warns(UserWarning, match='no work dir given'):
        assert metrics_or_none(None, 'sc') is None
    (tmp_path / 'empty').mkdir()
    with pytest.warns(UserWarning, match='neither metrics.json'):
        assert metrics_or_none(str(tmp_path / 'empty'), 'x') is None


def test_broken_scalars_still_raise(tmp_path):
    vis = tmp_path / 'run' / 't' / 'vis_data'
    vis.mkdir(parents=True)
    (vis / 'scalars.json').write_text('{"MAE": 1\n')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        with pytest.raises(ValueError, match='not JSON'):
            metrics_or_none(str(tmp_path / 'run'), 'x')
