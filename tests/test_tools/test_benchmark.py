"""tools/benchmark.py: FLOP counting, modes, a short run, the Markdown."""
import importlib.util
import os.path as osp

import pytest
import torch.nn as nn

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def benchmark():
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark', osp.join(REPO, 'tools', 'benchmark.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.register_all_modules()
    return module


class OneConv(nn.Module):
    """A backbone of one 3x3 conv, stride 1."""

    def __init__(self, cin=3, cout=8):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def forward(self, x):
        return (self.conv(x), )


TINY_CONFIG = """
model = dict(
    type='CrowdCounter',
    backbone=dict(type='VGG16', num_stages=1, out_indices=(0, ),
                  num_pretrained_convs=0,
                  init_cfg=dict(type='Pretrained', checkpoint='nowhere')),
    head=dict(type='PlainHead', in_channels=64, in_stride=1))
"""


def tiny_flops(h, w):
    # conv1_1 (3->64), conv1_2 (64->64), both 3x3, and the 1x1 head conv.
    return 2 * h * w * (3 * 64 * 9 + 64 * 64 * 9 + 64 * 1)


def test_count_flops_single_conv(benchmark):
    from hsrcount.models import CrowdCounter  # noqa: F401 (registers)
    model_cfg = dict(
        type='CrowdCounter', backbone=OneConv(3, 8),
        head=dict(type='PlainHead', in_channels=8, in_stride=1))
    h, w = 20, 24
    flops = benchmark.count_flops(model_cfg, (h, w))
    # 2 * Cin * Cout * 9 * H * W for the 3x3 conv, 2 * 8 * H * W for the
    # 1x1 head conv; biases are not counted.
    assert flops == 2 * 3 * 8 * 9 * h * w + 2 * 8 * 1 * h * w


def test_parse_mode(benchmark):
    assert benchmark.parse_mode('fp32') == ('fp32', set())
    assert benchmark.parse_mode('channels_last') == ('fp32',
                                                     {'channels_last'})
    assert benchmark.parse_mode('bf16+channels_last+compile') == (
        'bf16', {'channels_last', 'compile'})
    for bad in ('int8', 'bf16+fp16', 'compile+compile'):
        with pytest.raises(SystemExit, match='bad mode'):
            benchmark.parse_mode(bad)


def test_short_cpu_run_prints_flops_and_writes_markdown(
        benchmark, tmp_path, capsys):
    config = tmp_path / 'tiny.py'
    config.write_text(TINY_CONFIG)
    md = tmp_path / 'benchmarks.md'
    md.write_text('# Benchmarks\n\n## Ground-truth density maps\n\nkept\n')
    argv = [str(config), str(config), '--shape', '32', '48', '--batch', '2',
            '--device', 'cpu', '--modes', 'fp32', 'bf16+channels_last',
            '--runs', '2', '--warmup', '1', '--matmul-size', '64',
            '--md', str(md)]
    benchmark.main(argv)
    out = capsys.readouterr().out
    assert f'{tiny_flops(32, 48) / 1e9:.2f} GFLOPs per image' in out
    assert out.count('ms/batch') == 4
    text = md.read_text()
    assert 'kept' in text
    assert text.count('| tiny | ') == 4
    assert '--modes fp32 bf16+channels_last' in text
    # A second run replaces its section instead of appending another.
    benchmark.main(argv)
    text = md.read_text()
    assert text.count('## Inference speed (cpu)') == 1
    assert text.count('| tiny | ') == 4


def test_train_summary_hand_computed():
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark_train',
        osp.join(REPO, 'tools', 'benchmark_train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # (iteration s, data-wait s, images) per iteration.
    r = module.summarise([(2.0, 0.5, 4), (1.0, 0.0, 4), (1.0, 0.5, 2)])
    assert r['images_per_s'] == pytest.approx(10 / 4.0)
    assert r['iter_ms'] == pytest.approx(4000 / 3)
    assert r['data_ms'] == pytest.approx(1000 / 3)
    assert r['data_fraction'] == pytest.approx(0.25)
