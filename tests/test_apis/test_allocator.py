"""setup_allocator: large blocks are reused instead of page-faulted anew."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# Allocates and frees a 64 MiB tensor (above glibc's mmap threshold) and
# writes every page, 12 times; counts the minor page faults of the last 3
# (the heap reaches its working size in the first rounds).
SCRIPT = '''
import json, resource, sys
import torch
from hsrcount.utils import setup_allocator
tuned = setup_allocator()
def round_():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.empty(16 * 2**20)  # 64 MiB
    x.fill_(1.0)
    total = float(x.sum())
    del x
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
for _ in range(9):
    round_()
faults = [round_() for _ in range(3)]
print(json.dumps(dict(tuned=tuned, faults=faults)))
'''


def run(env_value):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    env.pop('HSRCOUNT_TUNE_MALLOC', None)
    if env_value is not None:
        env['HSRCOUNT_TUNE_MALLOC'] = env_value
    proc = subprocess.run([sys.executable, '-c', SCRIPT], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='mallopt is set on Linux with glibc only')
def test_tuned_allocator_reuses_large_blocks():
    pages = 64 * 2**20 // os.sysconf('SC_PAGE_SIZE')
    tuned = run(None)
    assert tuned['tuned'] is True
    # The freed block is handed out again: its pages are already mapped.
    assert max(tuned['faults']) < pages // 10, tuned
    plain = run('0')
    assert plain['tuned'] is False
    # glibc's default: a fresh mmap per allocation, a fault per page.
    assert min(plain['faults']) > pages // 2, plain
