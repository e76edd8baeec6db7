"""Normalise, pad and stack images and their density maps into a batch."""
import math

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor

from hsrcount.registry import MODELS


@MODELS.register_module()
class CrowdDataPreprocessor(BaseDataPreprocessor):
    """Turn a list of images and data samples into padded batch tensors.

    Per image (a (3, H, W) uint8 tensor in BGR from ``PackCrowdInputs``):
    BGR -> RGB (if ``bgr_to_rgb``), ``(x - mean) / std``, then zero-pad
    bottom/right *after* normalisation to the batch shape ``(Hp, Wp)``: the
    largest H and W of the batch rounded up to ``pad_size_divisor``.

    Per data sample it sets the metainfo ``img_shape`` (if absent),
    ``pad_shape`` and ``batch_input_shape`` (both ``(Hp, Wp)``: every image
    is padded to the batch shape) and two data fields the counter stacks:

    - ``valid_mask`` (Tensor): (1, Hp, Wp) float, 1 inside the image and,
      when the sample has a ``roi``, inside the ROI; 0 elsewhere.
    - ``padded_gt_density`` (Tensor): (1, Hp, Wp), ``gt_density`` zero-padded;
      only when the sample has ``gt_density`` (training, validation).

    ``gt_density`` and ``roi`` themselves stay at image size for metrics and
    visualisation.

    Args:
        mean (Sequence[float]): RGB mean. Default: ImageNet's.
        std (Sequence[float]): RGB std. Default: ImageNet's.
        bgr_to_rgb (bool): Flip BGR inputs to RGB. Default: True.
        pad_size_divisor (int): Pad H and W to a multiple of it. Default: 16.
        pad_value (float): Value of padded (normalised) pixels. Default: 0.
        non_blocking (bool): See :class:`BaseDataPreprocessor`.
    """

    def __init__(self,
                 mean=(123.675, 116.28, 103.53),
                 std=(58.395, 57.12, 57.375),
                 bgr_to_rgb=True,
                 pad_size_divisor=16,
                 pad_value=0.0,
                 non_blocking=False):
        super().__init__(non_blocking=non_blocking)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f'CrowdDataPreprocessor: mean and std need 3 '
                             f'values, got {mean} and {std}')
        if pad_size_divisor < 1:
            raise ValueError(f'CrowdDataPreprocessor: pad_size_divisor must '
                             f'be >= 1, got {pad_size_divisor}')
        self.register_buffer('mean', torch.tensor(mean).view(3, 1, 1), False)
        self.register_buffer('std', torch.tensor(std).view(3, 1, 1), False)
        self.bgr_to_rgb = bgr_to_rgb
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value

    def forward(self, data, training=False):
        """Preprocess one batch.

        Args:
            data (dict): ``inputs``: list of (3, H, W) tensors (or an
                (N, 3, H, W) tensor); ``data_samples`` (optional): list of
                :obj:`CrowdDataSample`.
            training (bool): Unused; the same steps run in training and
                inference.

        Returns:
            dict: ``inputs`` (N, 3, Hp, Wp) float and ``data_samples`` (the
            same objects, updated as the class docstring says) or None.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, torch.Tensor):
            inputs = list(inputs.unbind(0)) if inputs.dim() == 4 else [inputs]
        for i, img in enumerate(inputs):
            if img.dim() != 3 or img.shape[0] != 3:
                raise ValueError(f'CrowdDataPreprocessor: input {i} has shape '
                                 f'{tuple(img.shape)}, expected (3, H, W)')
        div = self.pad_size_divisor
        hp = math.ceil(max(img.shape[1] for img in inputs) / div) * div
        wp = math.ceil(max(img.shape[2] for img in inputs) / div) * div

        batch = []
        for img in inputs:
            img = img.float()
            if self.bgr_to_rgb:
                img = img.flip(0)
            img = (img - self.mean) / self.std
            batch.append(self._pad(img, hp, wp, self.pad_value))
        batch = torch.stack(batch)

        data_samples = data.get('data_samples')
        if data_samples is not None:
            if len(data_samples) != len(inputs):
                raise ValueError(f'CrowdDataPreprocessor: {len(inputs)} '
                                 f'inputs but {len(data_samples)} data '
                                 f'samples')
            for img, sample in zip(inputs, data_samples):
                self._prepare_sample(sample, tuple(img.shape[1:]), hp, wp)
        return dict(inputs=batch, data_samples=data_samples)

    @staticmethod
    def _pad(x, hp, wp, value=0.0):
        return F.pad(x, (0, wp - x.shape[-1], 0, hp - x.shape[-2]),
                     value=value)

    def _prepare_sample(self, sample, shape, hp, wp):
        """Set the pad metainfo, ``valid_mask`` and ``padded_gt_density``."""
        img_shape = tuple(sample.metainfo.get('img_shape', shape))[:2]
        if img_shape != shape:
            raise ValueError(f'CrowdDataPreprocessor: sample '
                             f'{sample.metainfo.get("img_path", "")!r} has '
                             f'img_shape {img_shape} but its image is {shape}')
        sample.set_metainfo(dict(
            img_shape=img_shape, pad_shape=(hp, wp),
            batch_input_shape=(hp, wp)))
        mask = torch.ones((1, ) + shape, device=self.mean.device)
        if 'roi' in sample:
            mask = mask * (self._checked(sample, 'roi', shape) > 0).to(mask)
        sample.valid_mask = self._pad(mask, hp, wp)
        if 'gt_density' in sample:
            gt = self._checked(sample, 'gt_density', shape).to(mask)
            sample.padded_gt_density = self._pad(gt, hp, wp)

    def _checked(self, sample, name, shape):
        """The (1, H, W) tensor of a PixelData field, shape-checked."""
        data = torch.as_tensor(getattr(sample, name).data,
                               device=self.mean.device)
        if tuple(data.shape) != (1, ) + shape:
            raise ValueError(
                f'CrowdDataPreprocessor: {name} of sample '
                f'{sample.metainfo.get("img_path", "")!r} has shape '
                f'{tuple(data.shape)}, expected (1, {shape[0]}, {shape[1]})')
        return data
