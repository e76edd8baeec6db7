"""The interface every density head shares, and count-preserving resizing."""
from abc import ABCMeta, abstractmethod

import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from hsrcount.registry import MODELS


def resize_density(density, size):
    """Bilinearly resize a density map keeping its sum.

    Upsampling by ``s`` per axis multiplies the sum by about ``s**2``; the
    result is divided by the area ratio so the count stays. For an even
    integer factor and ``align_corners=False`` the sum is kept exactly.

    Args:
        density (Tensor): (N, C, h, w).
        size (tuple[int, int]): Target (H, W).

    Returns:
        Tensor: (N, C, H, W).
    """
    h, w = density.shape[-2:]
    if (h, w) == tuple(size):
        return density
    out = F.interpolate(density, size=tuple(size), mode='bilinear',
                        align_corners=False)
    return out * (h * w) / (size[0] * size[1])


class BaseDensityHead(BaseModule, metaclass=ABCMeta):
    """A head that maps features to density maps and owns its loss.

    Subclasses implement :meth:`forward` returning the final map D0 and a
    (possibly empty) list of scale-specific maps; :meth:`loss` hands both to
    ``loss_decode`` (``loss_decode(d0, gt, valid_mask, scale_outputs=...)``)
    so one loss interface serves single- and multi-output heads.

    Args:
        loss_decode (dict | nn.Module): The loss, e.g.
            ``dict(type='EuclideanLoss')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self, loss_decode=dict(type='EuclideanLoss'), init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.loss_decode = MODELS.build(loss_decode) \
            if isinstance(loss_decode, dict) else loss_decode
        if not isinstance(self.loss_decode, nn.Module):
            raise TypeError(f'{type(self).__name__}: loss_decode must be a '
                            f'config dict or an nn.Module, got '
                            f'{type(loss_decode).__name__}')

    @abstractmethod
    def forward(self, feats, img_size=None):
        """Predict density maps.

        Args:
            feats (Sequence[Tensor]): Features from the backbone or neck.
            img_size (tuple[int, int], optional): (H, W) of the (padded)
                input; inferred from the features and their strides if None.

        Returns:
            tuple[Tensor, list[Tensor]]: D0 of shape (N, 1, H, W) and the
            scale-specific maps D1..DK, each (N, 1, H, W) (empty for
            single-output heads).
        """

    def loss(self, feats, gt_density, valid_mask=None):
        """Compute the losses.

        Args:
            feats (Sequence[Tensor]): Features from the backbone or neck.
            gt_density (Tensor): Scaled ground truth, (N, 1, H, W), H and W
                of the padded input.
            valid_mask (Tensor, optional): (N, 1, H, W), 1 on valid pixels.

        Returns:
            dict[str, Tensor]: The loss terms of ``loss_decode``.
        """
        d0, scale_outputs = self(feats, img_size=gt_density.shape[-2:])
        return self.loss_decode(
            d0, gt_density, valid_mask, scale_outputs=scale_outputs)

    def predict(self, feats, img_size=None):
        """Return D0, (N, 1, H, W)."""
        return self(feats, img_size=img_size)[0]

    @staticmethod
    def _check_size(name, out, img_size):
        """Crop ``out`` to ``img_size``; fail if it is smaller."""
        h, w = img_size
        if out.shape[-2] < h or out.shape[-1] < w:
            raise ValueError(
                f'{name}: output {tuple(out.shape[-2:])} is smaller than the '
                f'input {tuple(img_size)}; pad inputs to a multiple of the '
                f'largest stride (CrowdDataPreprocessor pad_size_divisor)')
        return out[..., :h, :w]
