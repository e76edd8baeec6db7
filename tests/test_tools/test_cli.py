"""The hsrcount command: packaged configs by name, and a wheel installed
outside the checkout that runs the demo and counts an image."""
import csv
import os
import os.path as osp
import subprocess
import sys
import sysconfig

import cv2
import numpy as np
import pytest

from hsrcount import cli

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_configs_found_by_name_or_path():
    demo = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
    assert osp.samefile(cli.find_config('hsrnet_demo'), demo)
    assert osp.samefile(cli.find_config('hsrnet/hsrnet_demo.py'), demo)
    assert cli.find_config(demo) == demo
    assert 'hsrnet/hsrnet_shtech_a' in cli.list_configs()
    assert not any('_base_' in c for c in cli.list_configs())
    with pytest.raises(FileNotFoundError, match='hsrnet_shtech_a'):
        cli.find_config('hsrnet_shtech_aa')


def test_unknown_command_and_help(capsys):
    assert cli.main(['frobnicate']) == 2
    assert 'unknown command' in capsys.readouterr().err
    assert cli.main(['--help']) == 0
    assert 'hsrcount demo' in capsys.readouterr().out
    assert cli.main(['train', 'no_such_config']) == 2


@pytest.mark.slow
def test_wheel_outside_the_checkout_runs_demo_and_infer(tmp_path):
    wheels = tmp_path / 'wheels'
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', REPO, '--no-deps',
                    '--no-build-isolation', '-q', '-w', str(wheels)],
                   check=True, cwd=tmp_path)
    wheel = next(wheels.glob('hsrcount-*.whl'))
    venv = tmp_path / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)], check=True)
    python = str(venv / 'bin' / 'python')
    site = subprocess.run([python, '-c', 'import sysconfig; print('
                           'sysconfig.get_paths()["purelib"])'],
                          capture_output=True, text=True,
                          check=True).stdout.strip()
    # The new venv borrows the test venv's packages (torch, mmengine, ...)
    # but not its editable hsrcount: a path in a .pth file is added to
    # sys.path without running that folder's own .pth files.
    with open(osp.join(site, 'borrowed_stack.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    subprocess.run([sys.executable, '-m', 'pip', '--python', python,
                    'install', '-q', '--no-deps', str(wheel)], check=True)

    work = tmp_path / 'elsewhere'
    work.mkdir()
    hsrcount = str(venv / 'bin' / 'hsrcount')
    env = dict(os.environ, PYTHONPATH='')

    def run(*args):
        proc = subprocess.run([hsrcount, *args], cwd=work, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
        return proc.stdout

    where = subprocess.run(
        [python, '-c', 'import hsrcount; print(hsrcount.__file__)'],
        cwd=work, env=env, capture_output=True, text=True).stdout
    assert where.startswith(site)
    assert 'hsrnet/hsrnet_demo' in run('configs')
    out = run('demo', '--iters', '2')
    assert 'Next:' in out and 'hsrcount infer' in out
    ckpt = work / 'work_dirs' / 'demo' / 'iter_2.pth'
    assert ckpt.is_file()
    with open(work / 'work_dirs' / 'demo' / 'counts.csv') as f:
        assert len(list(csv.DictReader(f))) == 20
    image = str(work / 'crowd.jpg')
    cv2.imwrite(image, np.random.default_rng(0).integers(
        0, 256, (96, 128, 3), dtype=np.uint8))
    run('infer', 'hsrnet_demo', str(ckpt), image, '--out-dir', 'counted')
    with open(work / 'counted' / 'counts.csv') as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]['source'].endswith('crowd.jpg')
