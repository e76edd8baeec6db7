"""The three columns of MCNN (Zhang et al., CVPR 2016), a baseline."""
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from hsrcount.registry import MODELS

# (kernel sizes, widths) of the large, medium and small receptive-field
# columns; a 2x2 max pool follows each of the first two convs.
MCNN_COLUMNS = (
    ((9, 7, 7, 7), (16, 32, 16, 8)),
    ((7, 5, 5, 5), (20, 40, 20, 10)),
    ((5, 3, 3, 3), (24, 48, 24, 12)),
)


@MODELS.register_module()
class MCNN(BaseModule):
    """Multi-column CNN trunk: three columns whose maps are concatenated.

    Each column is four convs (ReLU, "same" padding) with a 2x2 max pool
    after the first two, so the output has stride 4 and as many channels as
    the columns' last widths together (8 + 10 + 12 = 30). MCNN's 1x1 output
    conv is the head's job: use :class:`PlainHead` with
    ``in_channels=30, in_stride=4``.

    Args:
        columns (Sequence): ``(kernel_sizes, widths)`` per column.
            Default: :data:`MCNN_COLUMNS`.
        init_cfg (dict, optional): Default N(0, 0.01) for the convs, as in
            the original MCNN.
    """

    def __init__(self,
                 columns=MCNN_COLUMNS,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        self.columns = nn.ModuleList()
        for kernels, widths in columns:
            if len(kernels) != len(widths):
                raise ValueError(f'MCNN: a column has {len(kernels)} kernels '
                                 f'but {len(widths)} widths')
            layers, in_ch = [], 3
            for i, (k, c) in enumerate(zip(kernels, widths)):
                layers += [nn.Conv2d(in_ch, c, k, padding=k // 2),
                           nn.ReLU(inplace=True)]
                if i < 2:
                    layers.append(nn.MaxPool2d(2, 2))
                in_ch = c
            self.columns.append(nn.Sequential(*layers))
        self.out_channels = sum(widths[-1] for _, widths in columns)

    def forward(self, x):
        """Run the columns.

        Args:
            x (Tensor): Images of shape (N, 3, H, W).

        Returns:
            tuple[Tensor]: One feature of shape (N, 30, H // 4, W // 4).
        """
        return (torch.cat([column(x) for column in self.columns], dim=1), )
