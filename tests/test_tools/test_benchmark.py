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
    assert benchmark.parse_mode('fp32+system_malloc') == (
        'fp32', {'system_malloc'})
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
            '--runs', '2', '--warmup', '1', '--md', str(md)]
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
    assert 'cpu_ms' not in r
    # With the CPU seconds of each iteration.
    r = module.summarise([(2.0, 0.5, 4, 3.0), (1.0, 0.0, 4, 1.0)])
    assert r['cpu_ms'] == pytest.approx(2000)
    assert r['cpu_s_per_image'] == pytest.approx(4.0 / 8)


def test_floor_convs_follow_the_input(benchmark):
    assert benchmark.floor_conv_shapes((768, 1024), 2) == [
        (2, 128, 384, 512), (2, 256, 192, 256), (2, 512, 96, 128)]
    assert benchmark.floor_conv_shapes((8, 8), 1)[-1] == (1, 512, 1, 1)


def test_conv_rate_in_the_mode_precision_and_layout(benchmark, monkeypatch):
    """The floor convs run in the mode's dtype and memory format; the rate
    is their FLOPs over their median time."""
    import torch
    seen = []
    original = torch.nn.Conv2d.forward

    def forward(self, x):
        out = original(self, x)
        seen.append((out.dtype, x.is_contiguous(
            memory_format=torch.channels_last) and x.shape[-1] > 1))
        return out

    monkeypatch.setattr(torch.nn.Conv2d, 'forward', forward)
    monkeypatch.setattr(benchmark, 'time_fn',
                        lambda fn, *args, **kwargs: (fn(), 0.5)[1])
    device = torch.device('cpu')
    rate, conv = benchmark.conv_rate('bf16+channels_last', (32, 64), 1,
                                     device)
    assert set(seen) == {(torch.bfloat16, True)}
    # The best of the three: all take 0.5 s, so the one with most FLOPs.
    flops = [2 * 9 * c * c * n * h * w
             for n, c, h, w in benchmark.floor_conv_shapes((32, 64), 1)]
    assert rate == max(flops) / 0.5
    seen.clear()
    benchmark.conv_rate('fp32', (32, 64), 1, device)
    assert set(seen) == {(torch.float32, False)}


@pytest.mark.slow
def test_system_malloc_mode_runs_in_a_child(benchmark, tmp_path, capsys):
    config = tmp_path / 'tiny.py'
    config.write_text(TINY_CONFIG)
    benchmark.main([str(config), '--shape', '32', '48', '--device', 'cpu',
                    '--modes', 'fp32+system_malloc', 'fp32', '--runs', '2',
                    '--warmup', '1'])
    out = capsys.readouterr().out
    assert out.count('ms/batch') == 2
    assert 'x1.00 of fp32+system_malloc' in out


def test_benchmark_infer_per_image_and_markdown(tmp_path, monkeypatch):
    """tools/benchmark_infer.py: seconds per image are the extra time of
    the extra images (start-up left out), the speed-up the median of the
    per-repeat ratios; one table row per variant."""
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark_infer',
        osp.join(REPO, 'tools', 'benchmark_infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    images = []
    for i in range(3):
        images.append(str(tmp_path / f'img{i}.png'))
        open(images[-1], 'wb').close()
    # (wall, CPU) of one infer.py run: 5 s start-up plus s/image.
    per_image = {'all off': iter([4.0, 6.0, 5.0]),
                 'default': iter([1.0, 2.0, 2.5])}
    calls = []

    def run_infer(config, checkpoint, imgs, variant, out_dir):
        calls.append((variant, len(imgs)))
        if len(imgs) == 1:
            run_infer.seconds = next(per_image[variant])
            return 5 + run_infer.seconds, 10 + run_infer.seconds
        return 5 + 3 * run_infer.seconds, 10 + 3 * run_infer.seconds

    monkeypatch.setattr(module, 'run_infer', run_infer)
    md = tmp_path / 'benchmarks.md'
    module.main(['config.py', '--checkpoint', 'ckpt.pth', '--images',
                 *images, '--repeats', '3', '--md', str(md)])
    assert calls == [('all off', 1), ('all off', 3), ('default', 1),
                     ('default', 3)] * 3
    text = md.read_text()
    assert '## tools/infer.py per image (cpu)' in text
    # Medians: 5.0 and 2.0 s/image; ratios 4, 3, 2 -> 3.
    assert '| all off | 5.00 | 5.00 | 1.00 |' in text
    assert '| default | 2.00 | 2.00 | 3.00 |' in text
    assert '`--fp32 --no-channels-last HSRCOUNT_TUNE_MALLOC=0`' in text


def test_train_config_switches(tmp_path):
    """--amp, --channels-last and --in-memory change the config as
    train.py --amp, --channels-last and the documented InMemoryDataset
    snippet do."""
    spec = importlib.util.spec_from_file_location(
        'hsrcount_tools_benchmark_train',
        osp.join(REPO, 'tools', 'benchmark_train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    demo = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')
    args = module.parse_args([demo, '--device', 'cpu', '--amp',
                              '--channels-last', '--in-memory'])
    cfg = module.prepare_config(args, str(tmp_path))
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.model.channels_last is True
    wrapped = cfg.train_dataloader.dataset
    assert wrapped.type == 'InMemoryDataset'
    assert wrapped.dataset.type == 'PatchRepeatDataset'
    plain = module.prepare_config(module.parse_args([demo]), str(tmp_path))
    assert plain.train_dataloader.dataset.type == 'PatchRepeatDataset'
    assert plain.optim_wrapper.type == 'OptimWrapper'
    assert not plain.model.get('channels_last', False)
