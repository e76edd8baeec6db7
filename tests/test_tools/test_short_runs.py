"""What a user sees when training and testing briefly: a short terminal
start, validation on --val-subset images only, test on --subset images."""
import glob
import sys

import pytest
from tool_helpers import DEMO, run


def options(data_root):
    return [
        f'train_dataloader.dataset.dataset.data_root={data_root}',
        'train_dataloader.dataset.dataset.num_images=4',
        f'val_dataloader.dataset.data_root={data_root}',
        'val_dataloader.dataset.num_images=6',
        f'test_dataloader.dataset.data_root={data_root}',
        'test_dataloader.dataset.num_images=6',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
    ]


@pytest.mark.slow
def test_train_and_test_on_subsets_with_a_short_terminal(tmp_path):
    work_dir = tmp_path / 'work'
    opts = options(tmp_path / 'data')
    proc = run([sys.executable, 'tools/train.py', DEMO, '--work-dir',
                str(work_dir), '--val-subset', '3', '--cfg-options', *opts])
    terminal = proc.stdout + proc.stderr
    assert 'Counting metrics over 3 images' in terminal
    # MMEngine's start-up text is one line each on the terminal...
    for dump in ('System environment:', 'Config:\n', 'Hooks will be '
                 'executed', '"FileClient" will be deprecated',
                 'The prefix is not set'):
        assert dump not in terminal
    assert 'Environment: Python' in terminal
    assert 'Config hsrnet_demo.py: CrowdCounter' in terminal
    # ... and in full in the log file.
    log_file, = glob.glob(str(work_dir / '*' / '*.log'))
    with open(log_file) as f:
        log_text = f.read()
    for dump in ('System environment:', 'Config:\n',
                 'Hooks will be executed'):
        assert dump in log_text
    assert f'(in full in {log_file})' in terminal

    checkpoint = (work_dir / 'last_checkpoint').read_text().strip()
    proc = run([sys.executable, 'tools/test.py', DEMO, checkpoint,
                '--work-dir', str(tmp_path / 'test'), '--subset', '2',
                '--subset-seed', '0', '--out', str(tmp_path / 'counts.csv'),
                '--cfg-options', *opts])
    assert 'Counting metrics over 2 images' in proc.stdout + proc.stderr
    with open(tmp_path / 'counts.csv') as f:
        rows = f.read().splitlines()[1:]
    assert len(rows) == 2

    bad = run([sys.executable, 'tools/train.py', DEMO, '--work-dir',
               str(work_dir), '--val-subset', '0', '--cfg-options', *opts],
              check=False)
    assert bad.returncode != 0
    assert '--val-subset: val_dataloader: a subset needs at least 1 image' \
        in bad.stderr
