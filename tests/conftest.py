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

# Two cores on CI: one thread per op keeps parallel helpers from thrashing.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

__all__ = ['REPO_ROOT', 'pytest_runtest_makereport', 'shanghaitech_root',
           'shared_data_root']
