"""Shared test fixtures and settings."""
import os
import os.path as osp

import pytest
import torch

# Two cores on CI: one thread per op keeps parallel helpers from thrashing.
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def shared_data_root():
    """Where the real ShanghaiTech release lies, or None.

    ``HSRCOUNT_SHARED_DATA`` overrides the default ``../shared/data`` beside
    the checkout.
    """
    root = os.environ.get('HSRCOUNT_SHARED_DATA',
                          osp.join(REPO_ROOT, '..', 'shared', 'data'))
    return root if osp.isdir(root) else None


@pytest.fixture
def shanghaitech_root():
    """The real ShanghaiTech root; skips the test, saying why, if absent."""
    root = shared_data_root()
    if root is None or not osp.isdir(osp.join(root, 'ShanghaiTech')):
        pytest.skip('real ShanghaiTech data not found: set '
                    'HSRCOUNT_SHARED_DATA or place it at ../shared/data')
    return osp.join(root, 'ShanghaiTech')
