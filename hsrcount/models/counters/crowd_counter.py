"""The density-map crowd counter: backbone -> (neck) -> head."""
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.structures import PixelData

from hsrcount.registry import MODELS
from hsrcount.structures import CrowdDataSample

MODES = ('tensor', 'loss', 'predict')


def _build(cfg, what):
    """Build a sub-module from a config dict, or accept a built module."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, dict):
        return MODELS.build(cfg)
    raise TypeError(f'CrowdCounter: {what} must be a config dict or an '
                    f'nn.Module, got {type(cfg).__name__}')


@MODELS.register_module()
class CrowdCounter(BaseModel):
    """Predict a density map; the count is its sum.

    Call graph::

        forward(inputs, data_samples, mode)
          mode='tensor':  extract_feat(inputs) -> head.forward -> D0 (scaled)
          mode='loss':    extract_feat(inputs)
                          -> head.loss(feats, gt * density_scale, valid_mask)
                          -> dict of losses
          mode='predict': extract_feat(inputs) -> head.predict -> D0
                          -> crop to img_shape, / density_scale
                          -> data_samples with pred_density, pred_count
        extract_feat(inputs) = neck(backbone(inputs)), or backbone(inputs)

    ``inputs`` and ``data_samples`` are those returned by
    :class:`CrowdDataPreprocessor` (run by ``train_step``/``val_step``/
    ``test_step``); ``loss`` stacks the samples' ``padded_gt_density`` and
    ``valid_mask`` it sets.

    Args:
        backbone (dict | nn.Module): e.g. ``dict(type='VGG16')``.
        head (dict | nn.Module): e.g. ``dict(type='ScaleRecalibrationHead')``.
        neck (dict | nn.Module, optional): e.g.
            ``dict(type='ScaleFocusModule')``.
        data_preprocessor (dict | nn.Module, optional): Default
            ``CrowdDataPreprocessor()``.
        density_scale (float): The network learns ``density_scale`` times
            the density (people per pixel are tiny numbers). Default: 100.
        channels_last (bool): Keep conv weights and the input images in
            channels-last memory format, faster on GPUs with tensor cores
            (``tools/train.py --channels-last``). Set at construction, before
            an optimizer or DDP holds the parameters. Default: False.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone,
                 head,
                 neck=None,
                 data_preprocessor=None,
                 density_scale=100.0,
                 channels_last=False,
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='CrowdDataPreprocessor')
        super().__init__(
            data_preprocessor=_build(data_preprocessor, 'data_preprocessor'),
            init_cfg=init_cfg)
        if density_scale <= 0:
            raise ValueError(f'CrowdCounter: density_scale must be > 0, got '
                             f'{density_scale}')
        self.backbone = _build(backbone, 'backbone')
        self.neck = _build(neck, 'neck')
        self.head = _build(head, 'head')
        if self.backbone is None or self.head is None:
            raise ValueError('CrowdCounter: backbone and head are required')
        self.density_scale = float(density_scale)
        self.channels_last = False
        if channels_last:
            self.set_channels_last()

    def set_channels_last(self):
        """Store conv weights channels-last and convert inputs to it in
        :meth:`extract_feat`, in place. The values do not change, only their
        layout. For training, call it before an optimizer or DDP holds the
        parameters (``channels_last=True`` does so at construction)."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True

    def extract_feat(self, inputs):
        """Features for the head.

        Args:
            inputs (Tensor): (N, 3, H, W).

        Returns:
            tuple[Tensor]: Backbone (and neck) features.
        """
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        feats = self.backbone(inputs)
        return self.neck(feats) if self.neck is not None else feats

    def forward(self, inputs, data_samples=None, mode='tensor'):
        """Dispatch to :meth:`loss`, :meth:`predict` or the raw map.

        Args:
            inputs (Tensor): (N, 3, H, W), H and W multiples of 16.
            data_samples (list[CrowdDataSample], optional): Needed for
                ``'loss'``.
            mode (str): ``'tensor'``, ``'loss'`` or ``'predict'``.

        Returns:
            Tensor | dict | list: D0 (N, 1, H, W) at ``density_scale``
            (tensor), the losses (loss) or the data samples (predict).
        """
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs),
                             img_size=inputs.shape[-2:])[0]
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise ValueError(f'CrowdCounter: invalid mode {mode!r}, expected one '
                         f'of {MODES}')

    def loss(self, inputs, data_samples):
        """Losses of a batch.

        Args:
            inputs (Tensor): (N, 3, H, W).
            data_samples (list[CrowdDataSample]): Each with
                ``padded_gt_density`` and ``valid_mask`` (1, H, W), as set by
                :class:`CrowdDataPreprocessor`.

        Returns:
            dict[str, Tensor]: The head's loss terms.
        """
        if not data_samples or any('padded_gt_density' not in s
                                   for s in data_samples):
            raise ValueError(
                'CrowdCounter.loss needs data samples with gt_density, '
                'passed through CrowdDataPreprocessor (it sets '
                'padded_gt_density and valid_mask)')
        gt = torch.stack([s.padded_gt_density for s in data_samples])
        mask = torch.stack([s.valid_mask for s in data_samples])
        return self.head.loss(
            self.extract_feat(inputs), gt * self.density_scale, mask)

    def predict(self, inputs, data_samples=None):
        """Density maps and counts.

        Args:
            inputs (Tensor): (N, 3, H, W).
            data_samples (list[CrowdDataSample], optional): Their
                ``img_shape`` (default: the input size) says where to crop.

        Returns:
            list[CrowdDataSample]: With ``pred_density`` (PixelData of shape
            (1, h, w), people per pixel) and ``pred_count`` (float, the sum
            inside ``roi`` where the sample has one).
        """
        density = self.head.predict(
            self.extract_feat(inputs), img_size=inputs.shape[-2:])
        density = density.detach() / self.density_scale
        if data_samples is None:
            data_samples = [
                CrowdDataSample(metainfo=dict(img_shape=tuple(
                    inputs.shape[-2:]))) for _ in range(len(inputs))
            ]
        for d, sample in zip(density, data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[-2:])[:2]
            d = d[:, :h, :w]
            sample.pred_density = PixelData(data=d)
            if 'roi' in sample:
                roi = torch.as_tensor(sample.roi.data, device=d.device)
                d = d * (roi > 0)
            sample.pred_count = float(d.sum())
        return data_samples
