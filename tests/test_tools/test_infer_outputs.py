"""tools/infer.py writes each image's head points, draws them on request,
and counts with an exported ONNX model as with PyTorch."""
import csv
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from hsrcount.apis import inference_model, init_model

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')


def _infer_module():
    spec = importlib.util.spec_from_file_location(
        'infer_tool', osp.join(REPO, 'tools', 'infer.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    """A demo model (random weights, positive output bias) and two images."""
    tmp = tmp_path_factory.mktemp('infer')
    torch.manual_seed(0)
    model = init_model(DEMO, fast_paths=None)
    model.init_weights()
    torch.nn.init.constant_(model.head.fuse.bias, 0.05)
    ckpt = str(tmp / 'demo.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    photos = tmp / 'photos'
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ('a.jpg', 'b.png'):
        cv2.imwrite(str(photos / name),
                    rng.integers(0, 256, (96, 128, 3), dtype=np.uint8))
    return init_model(DEMO, ckpt, fast_paths=None), ckpt, photos


def _counts(out_dir):
    with open(out_dir / 'counts.csv') as f:
        return {r['source']: float(r['count']) for r in csv.DictReader(f)}


@pytest.mark.slow
def test_points_file_and_drawn_points(demo, tmp_path):
    model, ckpt, photos = demo
    infer = _infer_module()
    out = tmp_path / 'out'
    infer.main([DEMO, ckpt, str(photos), '--out-dir', str(out), '--fp32',
                '--draw-points'])
    points = infer.read_points(str(out / 'points.jsonl'))
    assert sorted(points) == sorted(_counts(out))
    for path, found in points.items():
        own = inference_model(model, path).pred_points.numpy()
        assert len(own) > 0
        np.testing.assert_allclose(found, own, atol=0.01)
    plain = tmp_path / 'plain'
    infer.main([DEMO, ckpt, str(photos / 'a.jpg'), '--out-dir', str(plain),
                '--fp32'])
    drawn = cv2.imread(str(out / 'a.jpg')).astype(int)
    undrawn = cv2.imread(str(plain / 'a.jpg')).astype(int)
    assert drawn.shape == undrawn.shape
    # The crosses change pixels; everything else is the same picture.
    assert (np.abs(drawn - undrawn).max(axis=2) > 60).sum() > 20


@pytest.mark.slow
def test_onnxruntime_backend_counts_as_pytorch(demo, tmp_path):
    pytest.importorskip('onnxruntime')
    from hsrcount.deployment import export_onnx
    model, ckpt, photos = demo
    onnx_file = str(tmp_path / 'demo.onnx')
    export_onnx(model, onnx_file, config_text=model.cfg.pretty_text)
    infer = _infer_module()
    infer.main([DEMO, ckpt, str(photos), '--out-dir', str(tmp_path / 'pt'),
                '--fp32', '--no-overlay'])
    infer.main([onnx_file, str(photos), '--backend', 'onnxruntime',
                '--out-dir', str(tmp_path / 'ort'), '--no-overlay',
                '--max-pixels', str(64 * 64), '--tile-size', '64',
                '--tile-overlap', '16'])  # tiles, too
    ours, theirs = _counts(tmp_path / 'pt'), _counts(tmp_path / 'ort')
    assert sorted(ours) == sorted(theirs)
    for source, count in ours.items():
        assert theirs[source] == pytest.approx(count, rel=0.02)
    with pytest.raises(SystemExit):
        infer.parse_args([onnx_file, ckpt, str(photos), '--backend',
                          'onnxruntime'])
