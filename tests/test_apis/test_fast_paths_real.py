"""The CPU inference defaults (channels-last, bf16 autocast) keep the counts
of real ShanghaiTech images within 0.5 % of float32."""
import os.path as osp

import cv2
import pytest
import torch
import torch.nn as nn

from hsrcount.apis import inference_model, init_model, load_image
from hsrcount.apis.fast_paths import apply_fast_paths

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: The counts of the two paths may differ by this fraction.
TOLERANCE = 0.005


def count_like_weights(model):
    """Weights that make the model count like a trained one would.

    No trained checkpoint ships (nothing is downloaded), and the library's
    N(0, 0.01) initialisation shrinks the activations layer by layer until
    the map is its biases: then any precision gives the same count. Kaiming
    weights keep the activations' scale through all convs, as trained
    weights do; non-negative weights in the head make the density, like a
    trained one, a positive sum of the (ReLU) features, so the count
    depends on the whole image and on every layer's rounding.
    """
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            nn.init.zeros_(m.bias)
    head = model.head
    with torch.no_grad():
        for m in [*head.score_convs, *head.deconvs, *head.stack_convs,
                  head.fuse]:
            m.weight.abs_()
    return model


def counts_both_ways(config, images, cfg_options=None):
    model = count_like_weights(
        init_model(config, fast_paths=None, cfg_options=cfg_options))
    fp32 = [r.pred_count for r in inference_model(model, images)]
    conv = model.backbone.convs[0]
    dtypes = []
    conv.register_forward_hook(lambda m, a, out: dtypes.append(out.dtype))
    apply_fast_paths(model, channels_last=True, amp='bf16')
    fast = [r.pred_count for r in inference_model(model, images)]
    assert dtypes == [torch.bfloat16] * len(images)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    return fp32, fast


def part_b_images(root, numbers):
    return [osp.join(root, 'part_B', 'test_data', 'images', f'IMG_{n}.jpg')
            for n in numbers]


def test_demo_model_counts_on_a_real_image(shanghaitech_root):
    """The half-width demo model on a real image at half its size."""
    img = load_image(part_b_images(shanghaitech_root, [1])[0])
    images = [cv2.resize(img, (512, 384), interpolation=cv2.INTER_AREA)]
    fp32, fast = counts_both_ways(
        osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py'), images)
    assert fp32[0] > 0
    assert fast[0] == pytest.approx(fp32[0], rel=TOLERANCE)


@pytest.mark.slow
def test_hsrnet_counts_on_real_images(shanghaitech_root):
    """The full-width HSRNet of the ShanghaiTech configs on three 768 x
    1024 test images whose counts differ."""
    images = part_b_images(shanghaitech_root, [1, 2, 3])
    fp32, fast = counts_both_ways(
        osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_shtech_b.py'), images,
        cfg_options={'model.backbone.init_cfg': None})
    assert len(set(round(c) for c in fp32)) == 3
    for expected, got in zip(fp32, fast):
        assert got == pytest.approx(expected, rel=TOLERANCE)
