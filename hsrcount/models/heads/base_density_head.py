"""The interface every density head shares, and count-preserving resizing."""
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from hsrcount.registry import MODELS
from hsrcount.structures import CrowdDataSample


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


def _build_losses(loss_decode, owner):
    """One loss module, or a ModuleList for a list of losses."""
    if isinstance(loss_decode, (list, tuple)):
        return nn.ModuleList(_build_losses(cfg, owner) for cfg in loss_decode)
    loss = MODELS.build(loss_decode) if isinstance(loss_decode, dict) \
        else loss_decode
    if not isinstance(loss, nn.Module):
        raise TypeError(f'{owner}: loss_decode must be a config dict, an '
                        f'nn.Module or a list of them, got '
                        f'{type(loss_decode).__name__}')
    return loss


class BaseDensityHead(BaseModule, metaclass=ABCMeta):
    """A head that maps features to density maps and owns its ground truth.

    Subclasses implement :meth:`forward`, which returns the final map D0 and
    a (possibly empty) list of scale-specific maps D1..DK, all in the
    network's own unit: ``density_scale`` times people per pixel (densities
    of about 1e-3 people per pixel would give too small a gradient).

    The head turns data samples into targets and predictions itself, as
    mmseg's ``BaseDecodeHead`` and mmpretrain's ``ClsHead`` do:

    - :meth:`loss` stacks each sample's ``padded_gt_density`` and
      ``valid_mask`` (set by :class:`CrowdDataPreprocessor`), scales the
      ground truth by ``density_scale`` and calls every loss in
      ``loss_decode`` as ``loss(d0, gt, valid_mask, scale_outputs=[D1..DK],
      data_samples=data_samples)``. A loss that needs more than the maps
      (the points, say) reads it from ``data_samples``.
    - :meth:`predict` crops D0 (and, if asked, D1..DK) to each sample's
      ``img_shape``, divides by ``density_scale`` and sets ``pred_density``,
      ``pred_count`` (the sum inside the sample's ``roi``, where it has one)
      and ``pred_scales``.

    Args:
        loss_decode (dict | nn.Module | list): The loss, e.g.
            ``dict(type='EuclideanLoss')``, or a list of losses whose terms
            are merged (their names must differ).
        density_scale (float): The head predicts ``density_scale`` times the
            density. Default: 100.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 loss_decode: Union[dict, nn.Module, list] = dict(
                     type='EuclideanLoss'),
                 density_scale: float = 100.0,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if not density_scale > 0:
            raise ValueError(f'{type(self).__name__}: density_scale must be '
                             f'> 0, got {density_scale}')
        self.density_scale = float(density_scale)
        self.loss_decode = _build_losses(loss_decode, type(self).__name__)

    @abstractmethod
    def forward(self, feats: Sequence[torch.Tensor],
                img_size: Optional[Tuple[int, int]] = None
                ) -> Tuple[torch.Tensor, List[torch.Tensor]]:
        """Predict density maps.

        Args:
            feats (Sequence[Tensor]): Features from the backbone or neck.
            img_size (tuple[int, int], optional): (H, W) of the (padded)
                input; inferred from the features and their strides if None.

        Returns:
            tuple[Tensor, list[Tensor]]: D0 of shape (N, 1, H, W) and the
            scale-specific maps D1..DK, each (N, 1, H, W) (empty for
            single-output heads), at ``density_scale``.
        """

    def loss(self, feats: Sequence[torch.Tensor],
             data_samples: Sequence[CrowdDataSample]
             ) -> Dict[str, torch.Tensor]:
        """Compute the losses of a batch.

        Args:
            feats (Sequence[Tensor]): Features from the backbone or neck.
            data_samples (Sequence[CrowdDataSample]): Each with
                ``padded_gt_density`` and ``valid_mask`` (1, Hp, Wp), as set
                by :class:`CrowdDataPreprocessor`.

        Returns:
            dict[str, Tensor]: The terms of every loss in ``loss_decode``.
        """
        gt, valid_mask = self.stack_targets(data_samples)
        d0, scale_outputs = self(feats, img_size=gt.shape[-2:])
        gt = gt * self.density_scale
        losses = {}
        decoders = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for decoder in decoders:
            terms = decoder(d0, gt, valid_mask, scale_outputs=scale_outputs,
                            data_samples=data_samples)
            clash = sorted(set(terms) & set(losses))
            if clash:
                raise ValueError(f'{type(self).__name__}: losses in '
                                 f'loss_decode both return {clash}')
            losses.update(terms)
        return losses

    @staticmethod
    def stack_targets(data_samples: Sequence[CrowdDataSample]
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The batch's padded ground truth and valid-pixel mask.

        Args:
            data_samples (Sequence[CrowdDataSample]): Samples prepared by
                :class:`CrowdDataPreprocessor`.

        Returns:
            tuple[Tensor, Tensor]: GT density (people per pixel) and mask,
            each (N, 1, Hp, Wp).
        """
        if not data_samples or any('padded_gt_density' not in s
                                   for s in data_samples):
            raise ValueError(
                'a density head\'s loss needs data samples with gt_density, '
                'passed through CrowdDataPreprocessor (it sets '
                'padded_gt_density and valid_mask)')
        gt = torch.stack([s.padded_gt_density for s in data_samples])
        mask = torch.stack([s.valid_mask for s in data_samples])
        return gt, mask

    def predict(self, feats: Sequence[torch.Tensor],
                data_samples: Sequence[CrowdDataSample],
                with_scales: bool = False) -> List[CrowdDataSample]:
        """Density maps and counts in people per pixel.

        Args:
            feats (Sequence[Tensor]): Features from the backbone or neck.
            data_samples (Sequence[CrowdDataSample]): One per image, with the
                metainfo ``batch_input_shape`` (the padded input size) and
                ``img_shape`` (where to crop).
            with_scales (bool): Also set ``pred_scales``, the maps D1..DK.

        Returns:
            list[CrowdDataSample]: ``data_samples``, each with
            ``pred_density`` (PixelData (1, h, w)), ``pred_count`` (float,
            the sum inside ``roi`` where the sample has one) and, with
            ``with_scales``, ``pred_scales`` (PixelData (K, h, w)).
        """
        img_size = data_samples[0].metainfo.get('batch_input_shape')
        d0, scales = self(feats, img_size=img_size)
        d0 = d0.detach() / self.density_scale
        if with_scales:
            scales = torch.cat(scales, dim=1).detach() / self.density_scale \
                if scales else d0.new_zeros((len(d0), 0) + d0.shape[-2:])
        for i, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', d0.shape[-2:])[:2]
            density = d0[i, :, :h, :w]
            sample.pred_density = density
            if with_scales:
                sample.pred_scales = scales[i, :, :h, :w]
            if 'roi' in sample:
                roi = torch.as_tensor(sample.roi.data, device=density.device)
                density = density * (roi > 0)
            sample.pred_count = float(density.sum())
        return list(data_samples)

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
