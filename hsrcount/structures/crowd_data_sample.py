"""The data sample that carries ground truth and prediction side by side."""
import torch
from mmengine.structures import BaseDataElement, PixelData


class CrowdDataSample(BaseDataElement):
    """Ground truth and prediction of one image.

    Data fields (each optional until the stage that fills it):

    - ``gt_density`` (:obj:`PixelData`): ``data`` of shape (1, H, W), the
      ground-truth density in people per pixel; sums to the number of points
      inside the image (up to the border mode of the renderer).
    - ``gt_points`` (Tensor): (N, 2) float head positions, x then y, in
      pixels of the current (transformed) image, 0-based.
    - ``gt_count`` (float): the number of annotated heads of the image,
      inside the ROI where there is one. The count, never a map's sum.
    - ``roi`` (:obj:`PixelData`): ``data`` of shape (1, H, W), 1 inside the
      region of interest, 0 outside.
    - ``pred_density`` (:obj:`PixelData`): ``data`` of shape (1, H, W) at the
      image's size, people per pixel (the model's density scale undone).
    - ``pred_count`` (float): the sum of ``pred_density`` (inside the ROI).
    - ``pred_points`` (Tensor): (N, 2) float head positions found in
      ``pred_density``, x then y, in the frame of ``gt_points``.
    - ``pred_scales`` (:obj:`PixelData`): ``data`` of shape (K, H, W), the
      scale maps D1..DK of a multi-output head in people per pixel; only
      when asked for (``CrowdCounter.predict(..., with_scales=True)``).

    Set by :class:`CrowdDataPreprocessor` for the head, at the padded batch
    size ``(Hp, Wp)``:

    - ``valid_mask`` (Tensor): (1, Hp, Wp) float, 1 on the image (and inside
      the ROI), 0 on padding and outside the ROI.
    - ``padded_gt_density`` (Tensor): (1, Hp, Wp), ``gt_density``
      zero-padded; only when the sample has ``gt_density``.

    Meta fields set by the pipeline: ``img_path``, ``ori_shape``,
    ``img_shape``, ``scale_factor``, ``flip`` and, where the dataset has
    them, ``scene``; by the data preprocessor: ``pad_shape`` and
    ``batch_input_shape``.
    """

    PIXEL_FIELDS = ('gt_density', 'pred_density', 'pred_scales', 'roi')

    def __setattr__(self, name, value):
        # Maps are PixelData everywhere downstream (metrics, visualizer,
        # collation); accept a (H, W) or (1, H, W) tensor for convenience.
        if name in self.PIXEL_FIELDS:
            if isinstance(value, torch.Tensor):
                value = PixelData(
                    data=value if value.dim() == 3 else value[None])
            if not isinstance(value, PixelData):
                raise TypeError(f'{name} must be a PixelData or a tensor, '
                                f'got {type(value).__name__}')
        super().__setattr__(name, value)
