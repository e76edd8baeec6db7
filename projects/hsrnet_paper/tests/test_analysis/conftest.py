"""A tiny multi-scale counter, its checkpoint and a synthetic test set."""
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from hsrcount.registry import MODELS
from hsrcount.utils import register_all_modules


@MODELS.register_module(force=True)
class TinyPyramidBackbone(nn.Module):
    """Four levels at strides 2, 4, 8, 16 with a few channels (tests only)."""

    def __init__(self, channels=(4, 8, 8, 8)):
        super().__init__()
        convs, c_in = [], 3
        for c in channels:
            convs.append(nn.Conv2d(c_in, c, 3, stride=2, padding=1))
            c_in = c
        self.convs = nn.ModuleList(convs)

    def forward(self, x):
        feats = []
        for conv in self.convs:
            x = torch.relu(conv(x))
            feats.append(x)
        return tuple(feats)


def tiny_config(data_root, num_images=4, img_size=(32, 48)):
    """A config of HSRNet's structure on a tiny backbone and test set."""
    channels = (4, 8, 8, 8)
    return Config(dict(
        default_scope='hsrcount',
        model=dict(
            type='CrowdCounter',
            data_preprocessor=dict(type='CrowdDataPreprocessor',
                                   pad_size_divisor=16),
            backbone=dict(type='TinyPyramidBackbone', channels=channels),
            neck=dict(type='ScaleFocusModule', in_channels=channels,
                      reduction=2),
            head=dict(type='ScaleRecalibrationHead', in_channels=channels,
                      strides=(2, 4, 8, 16), score_channels=(2, 3, 4, 5),
                      density_scale=100.0)),
        test_dataloader=dict(
            batch_size=1,
            dataset=dict(
                type='SyntheticCrowdDataset', data_root=data_root,
                split='test', num_images=num_images, img_size=img_size,
                count_range=(3, 30), test_mode=True,
                pipeline=[
                    dict(type='LoadCrowdImageFromFile'),
                    dict(type='LoadCrowdAnnotations'),
                    dict(type='GenerateDensity', kernel='fixed', sigma=2.0),
                    dict(type='PackCrowdInputs'),
                ]))))


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    """``(config, checkpoint path)`` of a randomly initialised tiny model.

    The biases of the last layers are raised so that the predicted maps
    are far from zero and the counts are not trivially equal.
    """
    register_all_modules()
    root = tmp_path_factory.mktemp('tiny_run')
    cfg = tiny_config(str(root / 'data'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():
        for k, conv in enumerate(model.head.stack_convs):
            conv.bias.fill_(0.01 * (k + 1))
        model.head.fuse.bias.fill_(0.05)
    ckpt = str(root / 'tiny.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    return cfg, ckpt
