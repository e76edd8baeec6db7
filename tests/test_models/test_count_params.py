"""tools/analysis_tools/count_params.py on a config written here."""
import importlib.util
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'count_params.py')

CONFIG = """
default_scope = 'hsrcount'
model = dict(
    type='CrowdCounter',
    backbone=dict(type='VGG16', num_stages=2, out_indices=(1, ),
                  frozen_stages=0, num_pretrained_convs=0),
    head=dict(type='PlainHead', in_channels=128, in_stride=2))
"""


@pytest.fixture
def tool():
    spec = importlib.util.spec_from_file_location('count_params', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_counts_total_trainable_and_parts(tool, tmp_path, capsys):
    path = tmp_path / 'tiny_counter.py'
    path.write_text(CONFIG)
    assert tool.main([str(path)]) == 0
    out = capsys.readouterr().out
    # conv1_1, conv1_2 (frozen) | conv2_1, conv2_2 | 1x1 head conv.
    stage1 = (3 * 64 * 9 + 64) + (64 * 64 * 9 + 64)
    stage2 = (64 * 128 * 9 + 128) + (128 * 128 * 9 + 128)
    head = 128 + 1
    rows = {line.split()[0]: line.split()[1:] for line in
            out.splitlines()[2:]}
    assert rows['total'] == [f'{stage1 + stage2 + head:,}',
                             f'{stage2 + head:,}']
    assert rows['backbone'] == [f'{stage1 + stage2:,}', f'{stage2:,}']
    assert rows['head'] == [f'{head:,}', f'{head:,}']
    assert rows['data_preprocessor'] == ['0', '0']


def test_overrides_and_depth(tool, tmp_path, capsys):
    path = tmp_path / 'tiny_counter.py'
    path.write_text(CONFIG)
    tool.main([str(path), '--depth', '2',
               '--cfg-options', 'model.backbone.frozen_stages=-1'])
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    names = [r[0] for r in rows]
    assert 'backbone.stages' in names and 'head.conv_out' in names
    total = rows[names.index('total')]
    assert total[1] == total[2]  # nothing frozen any more


def test_resolve_by_name_and_errors(tool, tmp_path):
    (tmp_path / 'cfgs' / 'x').mkdir(parents=True)
    target = tmp_path / 'cfgs' / 'x' / 'tiny_counter.py'
    target.write_text(CONFIG)
    assert tool.resolve_config('tiny_counter', str(tmp_path / 'cfgs')) == \
        str(target)
    with pytest.raises(FileNotFoundError, match='no config nope.py'):
        tool.resolve_config('nope', str(tmp_path / 'cfgs'))
