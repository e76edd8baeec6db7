"""The density-map crowd counter: backbone -> (neck) -> head."""
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from hsrcount.registry import MODELS
from hsrcount.structures import CrowdDataSample
from ..postprocessors import locate_points

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
          mode='tensor':  extract_feat(inputs) -> head.forward -> D0, in the
                          head's unit (density_scale times people per pixel)
          mode='loss':    extract_feat(inputs) -> head.loss(feats,
                          data_samples) -> dict of losses
          mode='predict': extract_feat(inputs) -> head.predict(feats,
                          data_samples) -> data_samples with pred_density,
                          pred_count -> point_extractor(pred_density)
                          -> pred_points
        extract_feat(inputs) = neck(backbone(inputs)), or backbone(inputs)

    ``inputs`` and ``data_samples`` are those returned by
    :class:`CrowdDataPreprocessor` (run by ``train_step``/``val_step``/
    ``test_step``). The head turns the samples into targets and predictions
    (see :class:`BaseDensityHead`).

    Args:
        backbone (dict | nn.Module): e.g. ``dict(type='VGG16')``.
        head (dict | nn.Module): e.g. ``dict(type='ScaleRecalibrationHead')``.
        neck (dict | nn.Module, optional): e.g.
            ``dict(type='ScaleFocusModule')``.
        data_preprocessor (dict | nn.Module, optional): Default
            ``CrowdDataPreprocessor()``.
        point_extractor (dict | callable, optional): Turns each predicted
            map into head points, ``pred_points`` (see
            :class:`DensityPeakPoints`); None gives no points. Default:
            ``dict(type='DensityPeakPoints')``.
        channels_last (bool): Keep conv weights and the input images in
            channels-last memory format, faster on GPUs with tensor cores
            (``tools/train.py --channels-last``). Set at construction, before
            an optimizer or DDP holds the parameters. Default: False.
        init_cfg (dict | list[dict], optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 head: Union[dict, nn.Module],
                 neck: Optional[Union[dict, nn.Module]] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 point_extractor: Optional[Union[dict, Callable]] = dict(
                     type='DensityPeakPoints'),
                 channels_last: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='CrowdDataPreprocessor')
        super().__init__(
            data_preprocessor=_build(data_preprocessor, 'data_preprocessor'),
            init_cfg=init_cfg)
        self.backbone = _build(backbone, 'backbone')
        self.neck = _build(neck, 'neck')
        self.head = _build(head, 'head')
        if self.backbone is None or self.head is None:
            raise ValueError('CrowdCounter: backbone and head are required')
        if isinstance(point_extractor, dict):
            point_extractor = MODELS.build(point_extractor)
        if point_extractor is not None and not callable(point_extractor):
            raise TypeError(f'CrowdCounter: point_extractor must be a config '
                            f'dict, a callable or None, got '
                            f'{type(point_extractor).__name__}')
        self.point_extractor = point_extractor
        self.channels_last = False
        if channels_last:
            self.set_channels_last()

    def set_channels_last(self) -> None:
        """Store conv weights channels-last and convert inputs to it in
        :meth:`extract_feat`, in place. The values do not change, only their
        layout. For training, call it before an optimizer or DDP holds the
        parameters (``channels_last=True`` does so at construction)."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor]:
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

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[CrowdDataSample]] = None,
                mode: str = 'tensor'):
        """Dispatch to :meth:`loss`, :meth:`predict` or the raw map.

        Args:
            inputs (Tensor): (N, 3, H, W), H and W multiples of 16.
            data_samples (list[CrowdDataSample], optional): Needed for
                ``'loss'``.
            mode (str): ``'tensor'``, ``'loss'`` or ``'predict'``.

        Returns:
            Tensor | dict | list: D0 (N, 1, H, W) in the head's unit
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

    def loss(self, inputs: torch.Tensor,
             data_samples: List[CrowdDataSample]) -> Dict[str, torch.Tensor]:
        """Losses of a batch.

        Args:
            inputs (Tensor): (N, 3, H, W).
            data_samples (list[CrowdDataSample]): With ``padded_gt_density``
                and ``valid_mask``, as set by :class:`CrowdDataPreprocessor`.

        Returns:
            dict[str, Tensor]: The head's loss terms.
        """
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[CrowdDataSample]] = None,
                with_scales: bool = False) -> List[CrowdDataSample]:
        """Density maps and counts.

        Args:
            inputs (Tensor): (N, 3, H, W).
            data_samples (list[CrowdDataSample], optional): Their
                ``img_shape`` (default: the input size) says where to crop.
            with_scales (bool): Also give the scale maps D1..DK of a
                multi-output head as ``pred_scales``.

        Returns:
            list[CrowdDataSample]: With ``pred_density`` (PixelData of shape
            (1, h, w), people per pixel), ``pred_count`` (float, the sum
            inside ``roi`` where the sample has one), ``pred_points``
            ((N, 2) float32, x then y, pixels of the input image; with a
            ``point_extractor``) and, with ``with_scales``, ``pred_scales``
            (PixelData (K, h, w)).
        """
        input_shape = tuple(inputs.shape[-2:])
        if data_samples is None:
            data_samples = [CrowdDataSample() for _ in range(len(inputs))]
        for sample in data_samples:
            if 'img_shape' not in sample:
                sample.set_metainfo(dict(img_shape=input_shape))
            sample.set_metainfo(dict(batch_input_shape=input_shape))
        data_samples = self.head.predict(
            self.extract_feat(inputs), data_samples, with_scales=with_scales)
        if self.point_extractor is not None:
            for sample in data_samples:
                sample.pred_points = self.locate(sample)
        return data_samples

    def locate(self, sample: CrowdDataSample) -> torch.Tensor:
        """Head points of a predicted sample (see :func:`locate_points`).

        Returns:
            Tensor: (N, 2) float32, x then y, on the CPU.
        """
        return locate_points(self.point_extractor, sample)
