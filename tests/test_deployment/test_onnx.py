"""ONNX export of the demo model, run in onnxruntime, against PyTorch."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from hsrcount.apis import inference_model, init_model, tiled_inference

pytest.importorskip('onnxruntime')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The demo model with random weights (and a positive output bias, so
    the maps count a few dozen people) saved, then exported by the tool."""
    tmp = tmp_path_factory.mktemp('onnx')
    torch.manual_seed(0)
    model = init_model(DEMO)
    model.init_weights()
    torch.nn.init.constant_(model.head.fuse.bias, 0.05)
    ckpt = str(tmp / 'demo.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    out = str(tmp / 'demo.onnx')
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'export.py'), DEMO, ckpt,
         '--out', out, '--check'], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    model = init_model(DEMO, ckpt, fast_paths=None)
    return model, out, proc.stdout, tmp


@pytest.mark.slow
def test_tool_reports_its_check(exported):
    _, out, stdout, _ = exported
    assert osp.isfile(out)
    assert 'check: max |density difference|' in stdout


@pytest.mark.slow
def test_onnxruntime_maps_and_counts_match_pytorch(exported):
    from hsrcount.deployment import OnnxCounter
    model, out, _, tmp = exported
    rng = np.random.default_rng(1)
    path = str(tmp / 'crowd.jpg')  # an odd size: padding inside the graph
    cv2.imwrite(path, rng.integers(0, 256, (203, 317, 3), dtype=np.uint8))
    counter = OnnxCounter(out)
    ours, theirs = inference_model(model, path), inference_model(counter,
                                                                   path)
    assert theirs.pred_density.data.shape == (1, 203, 317)
    assert ours.pred_count > 5
    torch.testing.assert_close(theirs.pred_density.data,
                               ours.pred_density.data, rtol=1e-4,
                               atol=1e-7)
    assert theirs.pred_count == pytest.approx(ours.pred_count, abs=1e-4)
    assert len(theirs.pred_points) == len(ours.pred_points)

    img = cv2.imread(path)
    tiled_ours = tiled_inference(model, img, tile_size=128, overlap=32)
    tiled_theirs = tiled_inference(counter, img, tile_size=128, overlap=32)
    assert tiled_theirs.pred_count == pytest.approx(tiled_ours.pred_count,
                                                    abs=1e-3)


def test_onnx_counter_refuses_what_it_cannot_run(tmp_path):
    from hsrcount.deployment import OnnxCounter
    with pytest.raises(FileNotFoundError, match='none.onnx'):
        OnnxCounter(str(tmp_path / 'none.onnx'))
    junk = tmp_path / 'junk.onnx'
    junk.write_bytes(b'not a model')
    with pytest.raises(ValueError, match='junk.onnx'):
        OnnxCounter(str(junk))


def test_onnx_without_hsrcount_metadata_is_named(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from hsrcount.deployment import OnnxCounter
    x = helper.make_tensor_value_info('image', TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info('density', TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node('Identity', ['image'],
                                                ['density'])], 'g', [x], [y])
    path = str(tmp_path / 'foreign.onnx')
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(ValueError, match='foreign.onnx.*tools/export.py'):
        OnnxCounter(path)
