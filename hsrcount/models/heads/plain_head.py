"""A 1x1 conv on one feature map, upsampled: Table 5's "Backbone" row."""
import torch.nn as nn

from hsrcount.registry import MODELS
from .base_density_head import BaseDensityHead, resize_density


@MODELS.register_module()
class PlainHead(BaseDensityHead):
    """1x1 conv to one channel on one feature level, resized to the input.

    The map is bilinearly upsampled by the level's stride and divided by the
    area ratio (:func:`resize_density`), so the count at the feature's
    resolution is the count at the input's: the conv learns density per
    input pixel times the stride squared, without a scale to discover.
    Single output: the scale list is empty, so pair it with
    ``EuclideanLoss``.

    Subclasses insert layers before ``conv_out`` by overriding
    :meth:`transform`; ``in_channels`` is then the width that layer gives.

    Args:
        in_channels (int): Channels entering ``conv_out``. Default: 512.
        in_index (int): Which feature of the input tuple. Default: -1.
        in_stride (int): Stride of that level, used when the input size is
            not given. Default: 16.
        loss_decode (dict | nn.Module | list): Default ``EuclideanLoss``.
        density_scale (float): See :class:`BaseDensityHead`. Default: 100.
        init_cfg (dict | list[dict], optional): Default N(0, 0.01).
    """

    def __init__(self,
                 in_channels=512,
                 in_index=-1,
                 in_stride=16,
                 loss_decode=dict(type='EuclideanLoss'),
                 density_scale=100.0,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01,
                               bias=0)):
        super().__init__(loss_decode=loss_decode,
                         density_scale=density_scale, init_cfg=init_cfg)
        self.in_index = in_index
        self.in_stride = in_stride
        self.conv_out = nn.Conv2d(in_channels, 1, 1)

    def transform(self, x):
        """Layers before ``conv_out``; identity here."""
        return x

    def forward(self, feats, img_size=None):
        """See :meth:`BaseDensityHead.forward`; the scale list is empty."""
        x = feats[self.in_index]
        if img_size is None:
            img_size = (x.shape[-2] * self.in_stride,
                        x.shape[-1] * self.in_stride)
        d0 = resize_density(self.conv_out(self.transform(x)), img_size)
        return d0, []
