"""The remaining scripts users run, through the command line:
tools/benchmark_density.py on real images (tiny settings),
tools/analysis_tools/analyze_logs.py on the work dir of a real training run,
and tools/demo.sh's hand-over to ``python -m hsrcount demo`` (the demo
itself runs in test_cli.py's wheel test)."""
import json
import os
import os.path as osp
import re
import stat
import sys

import cv2
import pytest
import scipy.io as sio
from tool_helpers import REPO, TINY_MCNN_CONFIG, run


def test_benchmark_density_on_real_images(shanghaitech_root, tmp_path):
    """One image per part, one run, three reference heads: a line per image
    whose head count is its .mat file's, renderer and reference agreeing,
    and --write-doc replacing only its own section of docs/benchmarks.md
    (in the working directory)."""
    docs = tmp_path / 'docs'
    docs.mkdir()
    (docs / 'benchmarks.md').write_text(
        '# Benchmarks\n\n## Ground-truth density maps\n\nold numbers\n\n'
        '## Training speed\n\nkept\n')
    tool = osp.join(REPO, 'tools', 'benchmark_density.py')
    proc = run([sys.executable, tool, '--data-root', shanghaitech_root,
                '--num', '1', '--repeat', '1', '--ref-max-heads', '3',
                '--write-doc'], cwd=tmp_path)
    lines = re.findall(
        r'^(part_[AB])/(IMG_\d+\.jpg): (\d+) heads, .* max diff / peak '
        r'(\S+)$', proc.stdout, re.M)
    assert [part for part, *_ in lines] == ['part_A', 'part_B']
    for part, name, heads, diff in lines:
        mat = osp.join(shanghaitech_root, part, 'train_data', 'ground-truth',
                       f'GT_{name[:-4]}.mat')
        record = sio.loadmat(mat)['image_info'][0, 0][0, 0]
        assert int(heads) == int(record['number'].squeeze())
        assert float(diff) < 1e-3
    assert re.search(r'^total: ours \d+ ms, reference \d+ ms', proc.stdout,
                     re.M)
    doc = (docs / 'benchmarks.md').read_text()
    assert 'old numbers' not in doc
    assert doc.count('## Ground-truth density maps') == 1
    assert doc.endswith('## Training speed\n\nkept\n')
    for part, name, heads, _ in lines:
        assert f'| {part}/{name} |' in doc and f'| {heads} |' in doc



@pytest.mark.slow
def test_analyze_logs_on_a_real_training_run(tmp_path):
    """Three logged iterations and one validation of a small MCNN: the
    curves picture is written, and the points drawn are those of MMEngine's
    scalars.json, read here line by line."""
    config = tmp_path / 'tiny_mcnn.py'
    config.write_text(TINY_MCNN_CONFIG)
    data, work = tmp_path / 'data', tmp_path / 'work'
    run([sys.executable, 'tools/train.py', str(config), '--work-dir',
         str(work), '--cfg-options',
         f'train_dataloader.dataset.dataset.data_root={data}',
         'train_dataloader.dataset.dataset.num_images=2',
         'train_dataloader.batch_size=1', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         f'val_dataloader.dataset.data_root={data}',
         'val_dataloader.dataset.num_images=2',
         'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False',
         'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
         'default_hooks.logger.interval=1',
         'default_hooks.checkpoint.interval=3'])
    scalars, = work.glob('*/vis_data/scalars.json')
    records = [json.loads(line) for line in scalars.read_text().splitlines()]
    loss = [(r['step'], r['loss']) for r in records if 'loss' in r]
    mae = [(r['step'], r['MAE']) for r in records if 'MAE' in r]
    assert [step for step, _ in loss] == [1, 2, 3] and len(mae) == 1

    out = tmp_path / 'curves.png'
    tool = osp.join(REPO, 'tools', 'analysis_tools', 'analyze_logs.py')
    proc = run([sys.executable, tool, str(work), '--out', str(out)])
    assert f'curves written to {out}' in proc.stdout
    assert cv2.imread(str(out)).shape == (400, 1100, 3)  # 11 x 4 in, 100 dpi
    sys.path.insert(0, osp.dirname(tool))
    try:
        import analyze_logs
    finally:
        sys.path.pop(0)
    plotted = analyze_logs.plot_curves([str(work)], str(tmp_path / 'b.png'))
    assert plotted == {'work': (loss, mae)}

    missing = run([sys.executable, tool, str(tmp_path / 'nothing')],
                  check=False)
    assert missing.returncode != 0
    assert f'{tmp_path / "nothing"}: no */vis_data/scalars.json' in \
        missing.stderr


def fake_python(path, record):
    """An executable that writes its arguments to ``record`` and exits 3."""
    path.write_text(f'#!/bin/sh\necho "$@" > {record}\nexit 3\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_demo_script_hands_over_to_the_given_python(tmp_path):
    record = tmp_path / 'args'
    python = fake_python(tmp_path / 'venv_python', record)
    proc = run(['bash', 'tools/demo.sh', str(python)], check=False)
    assert proc.returncode == 3  # the demo's exit status is the script's
    assert record.read_text() == '-m hsrcount demo\n'
    # Without an argument, the `python` on PATH.
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    fake_python(bin_dir / 'python', tmp_path / 'args_default')
    proc = run(['bash', 'tools/demo.sh'], check=False,
               env={'PATH': f'{bin_dir}:{os.environ["PATH"]}'})
    assert proc.returncode == 3
    assert (tmp_path / 'args_default').read_text() == '-m hsrcount demo\n'
