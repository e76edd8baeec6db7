"""Shared test fixtures and settings."""
import os

import torch

# The real-data fixture and the hook that fails its skips under
# HSRCOUNT_REQUIRE_REAL_DATA=1. pytest puts tests/ on sys.path for this
# file; projects/*/tests import it as tests.conftest instead.
try:
    from real_data import (REPO_ROOT, pytest_runtest_makereport,  # noqa
                           shanghaitech_root, shared_data_root)
except ImportError:
    from tests.real_data import REPO_ROOT  # noqa
    from tests.real_data import (pytest_runtest_makereport, shanghaitech_root,
                                 shared_data_root)

# Two cores on CI: at most two threads per op keep parallel helpers from
# thrashing; under pytest-xdist (`make test` runs two workers) one each.
if os.environ.get('PYTEST_XDIST_WORKER'):
    torch.set_num_threads(1)
else:
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_collection_modifyitems(items):
    """Files with slow tests first, each file's tests in their order.

    `make test` hands whole files to two workers (`--dist loadfile`) in
    collection order; a long file started last would run alone at the end.
    """
    slow_files = {item.path for item in items
                  if item.get_closest_marker('slow') is not None}
    items.sort(key=lambda item: item.path not in slow_files)

__all__ = ['REPO_ROOT', 'pytest_runtest_makereport', 'shanghaitech_root',
           'shared_data_root']
