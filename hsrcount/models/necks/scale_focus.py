"""Scale Focus Module (SFM): channel focus and spatial focus (eqs. 1-5)."""
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from hsrcount.registry import MODELS

SFM_MODES = ('channel_spatial', 'spatial_channel', 'parallel_average',
             'parallel_conv', 'channel', 'spatial', 'none')


def mean_over(x, dims):
    """Mean of ``x`` over ``dims`` (kept), in the dtype of ``x``.

    ``torch.mean`` of a bfloat16 or float16 CPU tensor first copies the
    whole tensor to float32; a sum does not (its kernel accumulates in
    float32 as it reads), so under autocast the focus modules divide a sum
    instead. In float32 it is the mean.

    Args:
        x (Tensor): Any shape, e.g. (N, C, H, W).
        dims (tuple[int]): The dimensions averaged.

    Returns:
        Tensor: ``x`` averaged over ``dims``, which are kept with size 1.
    """
    size = 1
    for d in dims:
        size *= x.shape[d]
    return x.sum(dim=dims, keepdim=True) / size


class ChannelFocus(nn.Module):
    """Channel focus, eqs. 1-3: ``S = sigmoid(W2 relu(W1 avgpool(F))) * F``.

    ``W1`` and ``W2`` are fully connected layers *with* bias (the paper
    writes them without; a bias lets a gate start away from 0.5 and costs
    ``C/r + C`` parameters).

    Args:
        channels (int): C, the feature's channels.
        reduction (int): r; the hidden width is ``max(1, C // r)``.
    """

    def __init__(self, channels, reduction):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W)."""
        z = mean_over(x, (2, 3)).flatten(1)  # eq. 1, (N, C)
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))  # eq. 2
        return x * s[:, :, None, None]  # eq. 3


class SpatialFocus(nn.Module):
    """Spatial focus, eqs. 4-5: ``sigmoid(conv7x7(mean_c(S))) * S``.

    The 7x7 conv maps 1 channel to 1, padding 3, *with* bias.

    Args:
        kernel_size (int): Odd kernel size of the conv. Default: 7.
    """

    def __init__(self, kernel_size=7):
        super().__init__()
        if kernel_size % 2 != 1:
            raise ValueError(f'SpatialFocus: kernel_size must be odd, got '
                             f'{kernel_size}')
        self.conv = nn.Conv2d(1, 1, kernel_size, padding=kernel_size // 2)

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W)."""
        m = mean_over(x, (1, ))  # eq. 4, M
        return x * torch.sigmoid(self.conv(m))  # eq. 4 M-hat, eq. 5


class FocusBlock(nn.Module):
    """The SFM of one level, combining the two focuses as ``mode`` says.

    Args:
        channels (int): Channels of the level.
        reduction (int): Channel-focus reduction ratio r.
        mode (str): One of :data:`SFM_MODES`.
        kernel_size (int): Spatial-focus kernel size.
    """

    def __init__(self, channels, reduction, mode, kernel_size=7):
        super().__init__()
        self.mode = mode
        if mode in ('none', 'spatial'):
            self.channel = None
        else:
            self.channel = ChannelFocus(channels, reduction)
        if mode in ('none', 'channel'):
            self.spatial = None
        else:
            self.spatial = SpatialFocus(kernel_size)
        # Table 6 "(Channel (+) Spatial) + Conv": 1x1 conv on the stack.
        self.merge = nn.Conv2d(2 * channels, channels, 1) \
            if mode == 'parallel_conv' else None

    def forward(self, x):
        """(N, C, H, W) -> (N, C, H, W)."""
        mode = self.mode
        if mode == 'none':
            return x
        if mode == 'channel':
            return self.channel(x)
        if mode == 'spatial':
            return self.spatial(x)
        if mode == 'channel_spatial':
            return self.spatial(self.channel(x))
        if mode == 'spatial_channel':
            return self.channel(self.spatial(x))
        c, s = self.channel(x), self.spatial(x)
        if mode == 'parallel_average':
            return (c + s) / 2
        return self.merge(torch.cat([c, s], dim=1))


@MODELS.register_module()
class ScaleFocusModule(BaseModule):
    """Scale Focus Module applied to each backbone level (paper sec. 3.1).

    One independent :class:`FocusBlock` per level. ``mode`` covers the
    paper's ablations:

    - ``'channel_spatial'`` (HSRNet): channel focus, then spatial focus on
      its output (eqs. 1-5).
    - ``'spatial_channel'``: the reverse order (Table 6).
    - ``'parallel_average'``: both applied to the input, outputs averaged.
    - ``'parallel_conv'``: both applied to the input, outputs stacked along
      channels and merged by a 1x1 conv 2C -> C (with bias).
    - ``'channel'``, ``'spatial'``: one focus only (Table 5, CF / SF rows).
    - ``'none'``: identity, no parameters (Table 5, Backbone + SRM row).

    Paper ambiguities, as chosen here: the FCs of eq. 2 and the 7x7 conv of
    eq. 4 have biases; the hidden width is ``max(1, C // r)``; weights are
    initialised from N(0, 0.01) (sec. 4.1: layers not taken from VGG-16),
    biases to 0 except the first FC's, which start at ``fc1_bias_init``
    (1.0). Why: with r = 64 a level has only 2 to 8 hidden units; with a zero
    bias a unit whose random weights give ``W1 z < 0`` for the non-negative
    pooled features is dead from the first step (no gradient ever reaches
    it or the matching column of ``W2``), and at level 1 both units dying
    switches the channel focus off for good. A positive bias starts every
    unit active; the gates still start near 0.5.

    Args:
        in_channels (Sequence[int]): Channels of each level.
            Default: (128, 256, 512, 512).
        reduction (int): Channel-focus ratio r. Default: 64.
        mode (str): How the two focuses combine. Default: 'channel_spatial'.
        kernel_size (int): Spatial-focus conv kernel. Default: 7.
        fc1_bias_init (float): Initial bias of the channel-reduction FC,
            set by :meth:`init_weights` after ``init_cfg``. Default: 1.0.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 in_channels=(128, 256, 512, 512),
                 reduction=64,
                 mode='channel_spatial',
                 kernel_size=7,
                 fc1_bias_init=1.0,
                 init_cfg=dict(
                     type='Normal', layer=['Conv2d', 'Linear'], std=0.01,
                     bias=0)):
        super().__init__(init_cfg=init_cfg)
        if mode not in SFM_MODES:
            raise ValueError(f'ScaleFocusModule: mode {mode!r} is not one of '
                             f'{SFM_MODES}')
        if reduction < 1:
            raise ValueError(f'ScaleFocusModule: reduction must be >= 1, got '
                             f'{reduction}')
        self.in_channels = tuple(in_channels)
        self.mode = mode
        self.fc1_bias_init = fc1_bias_init
        self.blocks = nn.ModuleList(
            FocusBlock(c, reduction, mode, kernel_size)
            for c in self.in_channels)

    def init_weights(self):
        """Apply ``init_cfg``, then start the hidden FC units active."""
        super().init_weights()
        for block in self.blocks:
            if block.channel is not None:
                nn.init.constant_(block.channel.fc1.bias, self.fc1_bias_init)

    def forward(self, feats):
        """Refine each level.

        Args:
            feats (Sequence[Tensor]): Level ``i`` of shape (N, C_i, H_i, W_i).

        Returns:
            tuple[Tensor]: The refined levels, same shapes.
        """
        if len(feats) != len(self.blocks):
            raise ValueError(f'ScaleFocusModule: got {len(feats)} feature '
                             f'levels, built for {len(self.blocks)} '
                             f'(in_channels={self.in_channels})')
        return tuple(block(x) for block, x in zip(self.blocks, feats))
