"""tools/infer.py and tools/test.py through the command line, as a user runs
them: video with --every, automatic tiling above --max-pixels, the overlay
pictures, the precision and layout switches, --compile, and
tools/dist_test.sh against a single-process test.

The model is a small MCNN counter with PyTorch's default initialisation
(its counts depend on the picture, unlike a freshly ``init_weights``-ed
model whose output is its bias), saved to a checkpoint in the test. Every
expected count comes from that model run in this process, in float32, on
frames and files read here, not from the tools' own code paths.
"""
import csv
import importlib.util
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
import pytest
import torch
from tool_helpers import REPO, TINY_MCNN_CONFIG, run

from hsrcount.apis import inference_model, init_model
from hsrcount.apis.tiled import tiled_inference
from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules

FP32 = ['--fp32', '--no-channels-last']
NUM_TEST = 5  # odd: two ranks split it unevenly (the sampler pads one)





def infer(setup, inputs, out_dir, *flags, **kwargs):
    return run([sys.executable, 'tools/infer.py', setup['config'],
                     setup['checkpoint'], str(inputs), '--out-dir',
                     str(out_dir), *flags], **kwargs)


def run_test(setup, *flags, out, env=None):
    return run([sys.executable, 'tools/test.py', setup['config'],
                     setup['checkpoint'], '--work-dir',
                     str(setup['tmp'] / 'work'), '--out', str(out),
                     '--cfg-options', *setup['data_options'], *flags],
                    env=env)


def read_counts_csv(path):
    with open(path, newline='') as f:
        return {row['source']: float(row['count'])
                for row in csv.DictReader(f)}


def read_test_out(path):
    with open(path) as f:
        records = json.load(f)
    return {r['img_path']: (r['gt_count'], r['pred_count']) for r in records}


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """The tiny config, its checkpoint, the float32 model in this process
    and NUM_TEST synthetic test images on disk."""
    tmp = tmp_path_factory.mktemp('cli')
    config = tmp / 'tiny_mcnn.py'
    config.write_text(TINY_MCNN_CONFIG)
    torch.manual_seed(0)
    model = init_model(str(config), fast_paths=None)
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.reset_parameters()
    with torch.no_grad():  # a positive count that follows the picture
        model.head.conv_out.weight.abs_().mul_(50)
        model.head.conv_out.bias.zero_()
    checkpoint = tmp / 'tiny_mcnn.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    data_root = tmp / 'data'
    register_all_modules(init_default_scope=False)
    test_set = DATASETS.build(dict(
        type='SyntheticCrowdDataset', data_root=str(data_root), split='test',
        num_images=NUM_TEST, img_size=(192, 256), seed=0))
    truth = {test_set.get_data_info(i)['img_path']:
             len(test_set.get_data_info(i)['gt_points'])
             for i in range(len(test_set))}
    assert len(truth) == NUM_TEST
    return dict(
        tmp=tmp, config=str(config), checkpoint=str(checkpoint),
        model=init_model(str(config), str(checkpoint), fast_paths=None),
        truth=truth,
        data_options=[
            f'test_dataloader.dataset.data_root={data_root}',
            f'test_dataloader.dataset.num_images={NUM_TEST}',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False',
        ])


def assert_overlay_of(path, img):
    """``path`` is an overlay picture of ``img``: the image's width, its
    height plus the title (28 pixels) and colour band (40) that
    ``draw_overlay`` adds to pictures under 640 pixels wide."""
    picture = cv2.imread(str(path))
    assert picture is not None, f'{path}: not an image'
    h, w = img.shape[:2]
    assert picture.shape == (28 + h + 40, w, 3)


def write_video(path, frames):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (frames[0].shape[1], frames[0].shape[0]))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()


def decoded_frames(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def test_infer_counts_every_nth_video_frame_and_draws_them(setup, tmp_path):
    rng = np.random.default_rng(1)
    video = tmp_path / 'street.avi'
    write_video(video, [rng.integers(0, 256, (64, 96, 3), np.uint8)
                        for _ in range(8)])
    out = tmp_path / 'out'
    proc = infer(setup, video, out, '--every', '3', *FP32)
    assert '3 frame(s) counted' in proc.stdout
    counts = read_counts_csv(out / 'counts.csv')
    assert list(counts) == [f'{video}#{i}' for i in (0, 3, 6)]
    frames = decoded_frames(video)
    assert len(frames) == 8
    for i in (0, 3, 6):
        expected = inference_model(setup['model'], frames[i]).pred_count
        assert counts[f'{video}#{i}'] == pytest.approx(expected, abs=1e-3)
    # One overlay per counted frame, named by its index.
    assert sorted(os.listdir(out)) == sorted([
        'counts.csv', 'counts.run.json', 'points.jsonl',
        'street_000000.jpg', 'street_000003.jpg', 'street_000006.jpg'])
    for i in (0, 3, 6):
        assert_overlay_of(out / f'street_{i:06d}.jpg', frames[i])


def test_infer_tiles_images_over_max_pixels(setup, tmp_path):
    """An image over --max-pixels is counted by tiles, which keep the
    whole-image count when the overlap covers the model's receptive field
    (docs/large_images.md); one at or under it is counted whole."""
    rng = np.random.default_rng(2)
    photos = tmp_path / 'photos'
    photos.mkdir()
    big = rng.integers(0, 256, (192, 256, 3), np.uint8)
    small = rng.integers(0, 256, (96, 128, 3), np.uint8)
    cv2.imwrite(str(photos / 'big.png'), big)
    cv2.imwrite(str(photos / 'small.png'), small)
    out = tmp_path / 'out'
    # MCNN's receptive field is 69 pixels: 64 pixels of overlap keep tile
    # borders out of the count (16 pixels give 4 % less on this image).
    infer(setup, photos, out, '--max-pixels', str(128 * 128),
          '--tile-size', '128', '--tile-overlap', '64', *FP32)
    counts = read_counts_csv(out / 'counts.csv')
    model = setup['model']
    whole_big = inference_model(model, big).pred_count
    tiled_big = tiled_inference(model, big, 128, 64).pred_count
    # The tiled and the whole count differ by more than counts.csv's
    # rounding, so this tells which one the tool wrote.
    assert abs(tiled_big - whole_big) > 0.01
    assert counts[str(photos / 'big.png')] == pytest.approx(tiled_big,
                                                           abs=1e-3)
    assert counts[str(photos / 'big.png')] == pytest.approx(whole_big,
                                                           rel=0.01)
    assert counts[str(photos / 'small.png')] == pytest.approx(
        inference_model(model, small).pred_count, abs=1e-3)
    assert_overlay_of(out / 'big.jpg', big)
    assert_overlay_of(out / 'small.jpg', small)


def test_infer_precision_and_layout_switches(setup, tmp_path):
    """--amp --channels-last (bf16 autocast, emulated where the CPU has no
    native bf16) changes the arithmetic but keeps the counts within 1 %."""
    rng = np.random.default_rng(3)
    photos = tmp_path / 'photos'
    photos.mkdir()
    images = {}
    for name in ('a.png', 'b.png'):
        images[str(photos / name)] = rng.integers(0, 256, (96, 128, 3),
                                                  np.uint8)
        cv2.imwrite(str(photos / name), images[str(photos / name)])
    infer(setup, photos, tmp_path / 'amp', '--amp', '--channels-last',
          '--no-overlay')
    counts = read_counts_csv(tmp_path / 'amp' / 'counts.csv')
    assert sorted(counts) == sorted(images)
    fp32 = {path: inference_model(setup['model'], img).pred_count
            for path, img in images.items()}
    for path in images:
        assert counts[path] == pytest.approx(fp32[path], rel=0.01)
    # bf16 rounding shows in the third decimal: the switch took effect.
    assert any(abs(counts[p] - fp32[p]) > 1e-3 for p in images)


def test_infer_refuses_contradicting_precision_flags(capsys):
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO, 'tools', 'infer.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as exit_info:
        tool.parse_args(['c.py', 'c.pth', 'a.jpg', '--amp', '--fp32'])
    assert exit_info.value.code == 2
    assert 'argument --fp32: not allowed with argument --amp' in \
        capsys.readouterr().err


@pytest.fixture(scope='module')
def single_fp32(setup):
    """tools/test.py's float32 per-image counts, one process."""
    out = setup['tmp'] / 'single.json'
    run_test(setup, *FP32, out=out)
    return read_test_out(out)


def test_test_tool_counts_as_the_model_in_float32(setup, single_fp32):
    model = setup['model']
    assert sorted(single_fp32) == sorted(setup['truth'])
    for path, (gt, pred) in single_fp32.items():
        assert gt == setup['truth'][path]
        assert pred == pytest.approx(inference_model(model, path).pred_count,
                                     rel=1e-4)


def test_test_tool_amp_and_channels_last(setup, single_fp32):
    out = setup['tmp'] / 'amp.json'
    run_test(setup, '--amp', '--channels-last', out=out)
    amp = read_test_out(out)
    assert sorted(amp) == sorted(single_fp32)
    for path, (gt, pred) in amp.items():
        assert gt == single_fp32[path][0]
        assert pred == pytest.approx(single_fp32[path][1], rel=0.01)
    assert any(abs(amp[p][1] - single_fp32[p][1]) > 1e-4 for p in amp)


@pytest.mark.skipif(sys.platform != 'linux', reason='torchrun on Linux')
@pytest.mark.slow
def test_dist_test_two_processes_counts_as_one(setup, single_fp32):
    """Two gloo ranks share 5 images (the sampler pads rank 1 with a
    repeat); the gathered --out holds each image once, with the counts of
    a single-process run."""
    out = setup['tmp'] / 'dist.json'
    proc = run([
        'bash', 'tools/dist_test.sh', setup['config'], setup['checkpoint'],
        '2', '--work-dir', str(setup['tmp'] / 'dist_work'), '--out',
        str(out), *FP32, '--cfg-options', *setup['data_options'],
        'env_cfg.dist_cfg.backend=gloo'
    ], env=dict(OMP_NUM_THREADS='1', PYTHON=sys.executable, PORT='29531'))
    with open(out) as f:
        records = json.load(f)
    assert len(records) == NUM_TEST
    dist = read_test_out(out)
    assert sorted(dist) == sorted(single_fp32)
    for path, (gt, pred) in dist.items():
        assert gt == single_fp32[path][0]
        assert pred == pytest.approx(single_fp32[path][1], rel=1e-5)
    # Each rank ran 3 of the padded 6 images (one process would run 5).
    assert 'Iter(test) [3/3]' in proc.stdout


@pytest.mark.slow
def test_compile_on_infer_and_test(setup, single_fp32, tmp_path):
    """--compile (torch.compile with inductor, which needs a C++ compiler)
    gives the float32 counts on both tools. Both compile the same graphs
    (192 x 256 inputs), so the second reuses the first one's kernels from
    the private cache."""
    env = dict(TORCHINDUCTOR_CACHE_DIR=str(tmp_path / 'inductor'))
    path = next(iter(single_fp32))
    infer(setup, path, tmp_path / 'out', '--compile', '--no-overlay', *FP32,
          env=env)
    counts = read_counts_csv(tmp_path / 'out' / 'counts.csv')
    assert counts[path] == pytest.approx(single_fp32[path][1], abs=1e-3)
    out = tmp_path / 'compiled.json'
    run_test(setup, '--compile', *FP32, out=out, env=env)
    compiled = read_test_out(out)
    assert sorted(compiled) == sorted(single_fp32)
    for path, (_, pred) in compiled.items():
        assert pred == pytest.approx(single_fp32[path][1], rel=1e-4)


def test_compile_without_a_cpu_compiler_is_refused(setup, single_fp32,
                                                   tmp_path):
    """No working C++ compiler: both tools stop at once with one message
    instead of inductor's traceback from the first forward call."""
    env = dict(CXX='/nonexistent/g++', PATH='/nonexistent')
    path = next(iter(single_fp32))
    for proc in (infer(setup, path, tmp_path / 'out', '--compile', env=env,
                       check=False),
                 run([sys.executable, 'tools/test.py', setup['config'],
                           setup['checkpoint'], '--compile', '--work-dir',
                           str(tmp_path / 'work'), '--cfg-options',
                           *setup['data_options']], env=env, check=False)):
        assert proc.returncode != 0
        assert '--compile: compile on the CPU needs a C++ compiler' \
            in proc.stderr
        assert 'Traceback' not in proc.stderr
    assert not (tmp_path / 'out' / 'counts.csv').exists()
