"""Where the tests find the real ShanghaiTech release, and what they do
when it is absent: skip, saying why, or fail under
``HSRCOUNT_REQUIRE_REAL_DATA=1`` (as .ci/run sets it), so a missing data
folder cannot pass as green. Imported by tests/conftest.py; kept free of
torch so a pytest run on it alone starts quickly."""
import os
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REQUIRE_REAL_DATA = 'HSRCOUNT_REQUIRE_REAL_DATA'


def shared_data_path():
    """Where the real data is looked for: ``HSRCOUNT_SHARED_DATA``, or
    ``../shared/data`` beside the checkout."""
    return os.environ.get('HSRCOUNT_SHARED_DATA',
                          osp.join(REPO_ROOT, '..', 'shared', 'data'))


def shared_data_root():
    """Where the real ShanghaiTech release lies, or None.

    ``HSRCOUNT_SHARED_DATA`` overrides the default ``../shared/data`` beside
    the checkout.
    """
    root = shared_data_path()
    return root if osp.isdir(root) else None


def real_data_required():
    """Whether ``HSRCOUNT_REQUIRE_REAL_DATA`` asks for the real data."""
    return os.environ.get(REQUIRE_REAL_DATA, '').strip().lower() in (
        '1', 'true', 'yes', 'on')


def required_hint():
    """The second half of a failure's message: what to set."""
    return (f'{REQUIRE_REAL_DATA}=1 requires the real data. Point '
            'HSRCOUNT_SHARED_DATA at the folder that holds ShanghaiTech/ '
            f'(now looked for in {osp.abspath(shared_data_path())}), or '
            f'unset {REQUIRE_REAL_DATA} to skip these tests')


@pytest.fixture
def shanghaitech_root():
    """The real ShanghaiTech root. Skips the test, saying why, if absent;
    fails it instead under ``HSRCOUNT_REQUIRE_REAL_DATA=1``."""
    root = shared_data_root()
    if root is None or not osp.isdir(osp.join(root, 'ShanghaiTech')):
        where = osp.join(osp.abspath(shared_data_path()), 'ShanghaiTech')
        reason = (f'real ShanghaiTech data not found at {where}: set '
                  'HSRCOUNT_SHARED_DATA or place it at ../shared/data')
        if real_data_required():
            pytest.fail(f'{reason}. {required_hint()}', pytrace=False)
        pytest.skip(reason)
    return osp.join(root, 'ShanghaiTech')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under ``HSRCOUNT_REQUIRE_REAL_DATA=1``, a test on the real data that
    skips itself (a split or a kind of image missing from the release)
    fails, with its reason."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and real_data_required()
            and 'shanghaitech_root' in getattr(item, 'fixturenames', ())
            and not hasattr(report, 'wasxfail')):
        return
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    report.outcome = 'failed'
    report.longrepr = f'{reason}. {required_hint()}'
