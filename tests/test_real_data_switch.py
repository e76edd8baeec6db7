"""HSRCOUNT_REQUIRE_REAL_DATA=1 (set by .ci/run) turns the skips of the
real-data tests into failures that say what is missing and where to point
HSRCOUNT_SHARED_DATA; without it they skip. Checked by running pytest on a
small test file, with the data folder pointed at empty folders."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from real_data import REPO_ROOT

CONFTEST = '''
from tests.real_data import pytest_runtest_makereport  # noqa: F401
from tests.real_data import shanghaitech_root  # noqa: F401
'''

TESTS = '''
import os.path as osp

import pytest


@pytest.fixture
def data_elsewhere(monkeypatch):
    monkeypatch.setenv('HSRCOUNT_SHARED_DATA', NOTHING)


def test_release_absent(data_elsewhere, shanghaitech_root):
    pass


def test_split_absent(shanghaitech_root):
    if not osp.isdir(osp.join(shanghaitech_root, 'part_B', 'test_data')):
        pytest.skip('part_B/test_data not present')


def test_unrelated_skip():
    pytest.skip('no browser')
'''


def run_pytest(tmp_path, require):
    """Outcome and message of each test of TESTS: ``{name: (outcome,
    message)}``, outcome one of passed, skipped, failure, error."""
    suite = tmp_path / 'suite'
    suite.mkdir(exist_ok=True)
    (suite / 'conftest.py').write_text(CONFTEST)
    (suite / 'test_real.py').write_text(
        TESTS.replace('NOTHING', repr(str(tmp_path / 'nothing'))))
    data = tmp_path / 'data'
    (data / 'ShanghaiTech').mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT,
               HSRCOUNT_SHARED_DATA=str(data))
    env.pop('HSRCOUNT_REQUIRE_REAL_DATA', None)
    if require:
        env['HSRCOUNT_REQUIRE_REAL_DATA'] = '1'
    report = tmp_path / f'report{int(require)}.xml'
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '--rootdir', str(suite), '--junitxml', str(report), str(suite)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    outcomes = {}
    for case in ET.parse(report).getroot().iter('testcase'):
        kind = next((c for c in case
                     if c.tag in ('skipped', 'failure', 'error')), None)
        outcomes[case.get('name')] = (
            'passed' if kind is None else kind.tag,
            '' if kind is None else (kind.get('message') or '') +
            (kind.text or ''))
    return proc.returncode, outcomes


def test_real_data_tests_skip_without_the_variable(tmp_path):
    code, outcomes = run_pytest(tmp_path, require=False)
    assert code == 0
    assert {name: kind for name, (kind, _) in outcomes.items()} == {
        'test_release_absent': 'skipped',
        'test_split_absent': 'skipped',
        'test_unrelated_skip': 'skipped',
    }
    assert str(tmp_path / 'nothing' / 'ShanghaiTech') in \
        outcomes['test_release_absent'][1]


def test_real_data_tests_fail_with_the_variable(tmp_path):
    code, outcomes = run_pytest(tmp_path, require=True)
    assert code == 1
    kind, message = outcomes['test_release_absent']
    assert kind == 'error'  # the fixture fails in the test's setup
    assert 'real ShanghaiTech data not found at ' + str(
        tmp_path / 'nothing' / 'ShanghaiTech') in message
    kind, message = outcomes['test_split_absent']
    assert kind == 'failure'
    assert 'part_B/test_data not present' in message
    for _, message in (outcomes['test_release_absent'],
                       outcomes['test_split_absent']):
        assert 'HSRCOUNT_REQUIRE_REAL_DATA=1 requires the real data' in message
        assert 'Point HSRCOUNT_SHARED_DATA at the folder that holds ' \
            'ShanghaiTech/' in message
    # Only the real-data tests are concerned.
    assert outcomes['test_unrelated_skip'][0] == 'skipped'
