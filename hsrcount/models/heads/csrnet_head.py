"""CSRNet's dilated back end (Li et al., CVPR 2018), a baseline head."""
import torch.nn as nn

from hsrcount.registry import MODELS
from .plain_head import PlainHead


@MODELS.register_module()
class CSRNetHead(PlainHead):
    """Dilated 3x3 convs (CSRNet "B"), a 1x1 output conv, resize to input.

    Use with ``VGG16(num_stages=4, out_indices=(3, ))`` (conv4_3, stride 8).
    CSRNet trains at 1/8 resolution; here the map is upsampled to the input
    size keeping the count (:func:`resize_density`) so it shares the data
    pipeline and losses of the other models.

    Args:
        in_channels (int): Channels of the input level. Default: 512.
        backend_channels (Sequence[int]): Widths of the dilated convs.
            Default: (512, 512, 512, 256, 128, 64).
        dilation (int): Dilation of every back-end conv. Default: 2.
        in_stride (int): Stride of the input level. Default: 8.
        **kwargs: Passed to :class:`PlainHead`.
    """

    def __init__(self,
                 in_channels=512,
                 backend_channels=(512, 512, 512, 256, 128, 64),
                 dilation=2,
                 in_stride=8,
                 **kwargs):
        backend_channels = tuple(backend_channels)
        out_width = backend_channels[-1] if backend_channels else in_channels
        super().__init__(in_channels=out_width, in_stride=in_stride,
                         **kwargs)
        self.backend_channels = backend_channels
        layers, ch = [], in_channels
        for out_ch in backend_channels:
            layers += [nn.Conv2d(ch, out_ch, 3, padding=dilation,
                                 dilation=dilation),
                       nn.ReLU(inplace=True)]
            ch = out_ch
        self.backend = nn.Sequential(*layers)

    def transform(self, x):
        return self.backend(x)
