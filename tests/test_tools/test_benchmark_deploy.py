"""tools/benchmark_deploy.py: a tiny run writes its table into Markdown."""
import importlib.util
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
TOOL = osp.join(REPO, 'tools', 'benchmark_deploy.py')

_spec = importlib.util.spec_from_file_location('benchmark_deploy', TOOL)
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
SECTION, cpu_name, parse_size = tool.SECTION, tool.cpu_name, tool.parse_size


def test_sizes_are_width_by_height():
    assert parse_size('1024x768') == (768, 1024)
    with pytest.raises(Exception, match='WIDTHxHEIGHT'):
        parse_size('1024')


def test_cpu_name_from_cpuinfo(tmp_path):
    info = tmp_path / 'cpuinfo'
    info.write_text('processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\n')
    assert cpu_name(str(info)) == 'Some CPU @ 2.0GHz'


@pytest.mark.slow
def test_tiny_run_writes_its_section(tmp_path):
    pytest.importorskip('onnxruntime')
    md = tmp_path / 'deploy.md'
    md.write_text('# Deploy\n\nHand-written text.\n')
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, TOOL, DEMO, '--sizes', '48x32', '--repeats', '1',
         '--threads', '1', '--md', str(md)],
        cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = md.read_text()
    assert text.startswith('# Deploy\n\nHand-written text.\n')
    assert f'## {SECTION}' in text
    assert cpu_name() in text
    assert '1 thread(s) for each runtime' in text
    row, = [line for line in text.splitlines()
            if line.startswith('| 48 x 32 |')]
    cells = [c.strip() for c in row.strip('|').split('|')]
    for cell in cells[1:4]:  # median (fastest) in ms of the three modes
        median, fastest = map(float, re.fullmatch(
            r'([\d.]+) \(([\d.]+)\)', cell).groups())
        assert median == fastest > 0  # one repetition
    # onnxruntime counts what PyTorch fp32 counts.
    ours, theirs = map(float, cells[-1].split(' / '))
    assert theirs == pytest.approx(ours, abs=1e-3)
    assert row in proc.stdout
