"""Scale Recalibration Module (SRM), HSRNet's head (paper sec. 3.2)."""
import torch
import torch.nn as nn

from hsrcount.registry import MODELS
from .base_density_head import BaseDensityHead

STACK_MODES = ('conv', 'sum', 'mean')


def _bilinear_kernel(channels, kernel_size):
    """Weights of a per-channel bilinear upsampling deconvolution."""
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float32)
    filt = 1 - (og - center).abs() / factor
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    weight[range(channels), range(channels)] = filt[:, None] * filt[None, :]
    return weight


@MODELS.register_module()
class ScaleRecalibrationHead(BaseDensityHead):
    """Score maps per level, slice/stack into scale groups, fuse (eq. 6).

    For level ``i`` (stride ``s_i``): a 1x1 conv to ``score_channels[i]``
    channels and a deconvolution (``ConvTranspose2d``, kernel ``2 s``,
    stride ``s``, padding ``s // 2``: exactly ``s`` times larger for even
    ``s``) give the score map ``E_{i+2}`` at input size (cropped if the
    input was not a multiple of the stride... which requires it to be at
    least as large: pad inputs to a multiple of 16).

    Slice/stack: group ``k`` holds channel ``k`` of every score map that has
    more than ``k`` channels; with (2, 3, 4, 5) channels these are exactly
    the paper's {E21, E31, E41, E51}, {E22, E32, E42, E52}, {E33, E43, E53},
    {E44, E54}, {E55} (see :meth:`slice_and_stack`). The paper "stacks"
    each group into the prediction D_k without saying how;
    ``stack_mode`` chooses:

    - ``'conv'`` (default): concatenate the group's n_k maps and apply a
      1x1 conv n_k -> 1 (with bias): a learned weighted sum per scale.
    - ``'sum'`` / ``'mean'``: parameter-free sum / mean of the group.

    A final 1x1 conv (with bias) fuses D1..D5 into D0.

    Args:
        in_channels (Sequence[int]): Channels per level.
            Default: (128, 256, 512, 512).
        strides (Sequence[int]): Stride per level, even. Default:
            (2, 4, 8, 16).
        score_channels (Sequence[int]): Channels of E per level.
            Default: (2, 3, 4, 5).
        stack_mode (str): How a group becomes D_k. Default: 'conv'.
        deconv_init (str): ``'normal'`` (N(0, 0.01), the paper's rule for
            non-VGG layers) or ``'bilinear'`` (per-channel bilinear
            upsampling, FCN-style, zero bias). Default: 'normal'.
        loss_decode (dict | nn.Module | list): Default
            ``ScaleConsistencyLoss``.
        density_scale (float): See :class:`BaseDensityHead`. Default: 100.
        init_cfg (dict | list[dict], optional): Default N(0, 0.01) for the
            1x1 convs (and the deconvs unless ``deconv_init='bilinear'``).
    """

    def __init__(self,
                 in_channels=(128, 256, 512, 512),
                 strides=(2, 4, 8, 16),
                 score_channels=(2, 3, 4, 5),
                 stack_mode='conv',
                 deconv_init='normal',
                 loss_decode=dict(type='ScaleConsistencyLoss'),
                 density_scale=100.0,
                 init_cfg=dict(
                     type='Normal', layer=['Conv2d', 'ConvTranspose2d'],
                     std=0.01, bias=0)):
        super().__init__(loss_decode=loss_decode,
                         density_scale=density_scale, init_cfg=init_cfg)
        if not len(in_channels) == len(strides) == len(score_channels):
            raise ValueError(
                f'ScaleRecalibrationHead: in_channels {in_channels}, strides '
                f'{strides} and score_channels {score_channels} must have '
                f'the same length')
        if any(s < 2 or s % 2 for s in strides):
            raise ValueError(f'ScaleRecalibrationHead: strides must be even '
                             f'and >= 2, got {strides}')
        if stack_mode not in STACK_MODES:
            raise ValueError(f'ScaleRecalibrationHead: stack_mode '
                             f'{stack_mode!r} is not one of {STACK_MODES}')
        if deconv_init not in ('normal', 'bilinear'):
            raise ValueError(f'ScaleRecalibrationHead: deconv_init '
                             f"{deconv_init!r} is not 'normal' or 'bilinear'")
        self.in_channels = tuple(in_channels)
        self.strides = tuple(strides)
        self.score_channels = tuple(score_channels)
        self.stack_mode = stack_mode
        self.deconv_init = deconv_init
        self.score_convs = nn.ModuleList(
            nn.Conv2d(c, e, 1)
            for c, e in zip(self.in_channels, self.score_channels))
        self.deconvs = nn.ModuleList(
            nn.ConvTranspose2d(e, e, 2 * s, stride=s, padding=s // 2)
            for e, s in zip(self.score_channels, self.strides))
        self.group_sizes = tuple(
            sum(e > k for e in self.score_channels)
            for k in range(max(self.score_channels)))
        if stack_mode == 'conv':
            self.stack_convs = nn.ModuleList(
                nn.Conv2d(n, 1, 1) for n in self.group_sizes)
        self.fuse = nn.Conv2d(len(self.group_sizes), 1, 1)

    @property
    def num_scales(self):
        """int: Number of scale-specific outputs D1..DK."""
        return len(self.group_sizes)

    def init_weights(self):
        super().init_weights()
        if self.deconv_init == 'bilinear':
            for deconv in self.deconvs:
                with torch.no_grad():
                    deconv.weight.copy_(_bilinear_kernel(
                        deconv.in_channels, deconv.kernel_size[0]))
                    deconv.bias.zero_()

    def score_maps(self, feats, img_size=None):
        """The score maps E2..E5 at input size (eq. 6).

        Args:
            feats (Sequence[Tensor]): Level ``i`` of shape (N, C_i, h_i, w_i).
            img_size (tuple[int, int], optional): (H, W); default
                ``h_0 * strides[0]``.

        Returns:
            list[Tensor]: Level ``i`` of shape (N, score_channels[i], H, W).
        """
        if len(feats) != len(self.score_convs):
            raise ValueError(f'ScaleRecalibrationHead: got {len(feats)} '
                             f'feature levels, built for '
                             f'{len(self.score_convs)}')
        if img_size is None:
            img_size = (feats[0].shape[-2] * self.strides[0],
                        feats[0].shape[-1] * self.strides[0])
        return [
            self._check_size(type(self).__name__, deconv(conv(x)), img_size)
            for x, conv, deconv in zip(feats, self.score_convs, self.deconvs)
        ]

    def slice_and_stack(self, score_maps):
        """Regroup channels: group ``k`` = channel ``k`` of each level.

        Args:
            score_maps (Sequence[Tensor]): E per level, (N, e_i, H, W).

        Returns:
            list[Tensor]: Group ``k`` of shape (N, n_k, H, W), channels in
            level order (n = 4, 4, 3, 2, 1 for the paper's setting).
        """
        got = tuple(e.shape[1] for e in score_maps)
        if got != self.score_channels:
            raise ValueError(f'ScaleRecalibrationHead: score maps have '
                             f'{got} channels, expected {self.score_channels}')
        return [
            torch.cat([e[:, k:k + 1] for e in score_maps if e.shape[1] > k],
                      dim=1) for k in range(self.num_scales)
        ]

    def forward(self, feats, img_size=None):
        """Predict D0 and the scale maps D1..D5.

        Args:
            feats (Sequence[Tensor]): SFM outputs, level ``i`` of shape
                (N, C_i, H / s_i, W / s_i).
            img_size (tuple[int, int], optional): (H, W) of the input.

        Returns:
            tuple[Tensor, list[Tensor]]: D0 (N, 1, H, W) and [D1..D5], each
            (N, 1, H, W).
        """
        groups = self.slice_and_stack(self.score_maps(feats, img_size))
        if self.stack_mode == 'conv':
            scales = [conv(g) for conv, g in zip(self.stack_convs, groups)]
        elif self.stack_mode == 'sum':
            scales = [g.sum(dim=1, keepdim=True) for g in groups]
        else:
            scales = [g.mean(dim=1, keepdim=True) for g in groups]
        d0 = self.fuse(torch.cat(scales, dim=1))
        return d0, scales
