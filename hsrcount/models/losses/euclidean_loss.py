"""Euclidean (halved mean squared) density loss, eq. 8 of the paper."""
import torch.nn as nn

from hsrcount.registry import MODELS


def euclidean_loss(pred, target, valid_mask=None):
    """``1 / (2 N) * sum ||pred - target||^2`` over the valid pixels.

    The paper's N is the number of image pixels; with padding and ROIs the
    loss is averaged over the valid ones only (pixels where ``valid_mask`` is
    nonzero), summed over the whole batch. Both maps are multiplied by the
    mask, so invalid pixels contribute nothing.

    Args:
        pred (Tensor): Predicted density, (N, 1, H, W).
        target (Tensor): Ground-truth density, (N, 1, H, W).
        valid_mask (Tensor, optional): (N, 1, H, W), 1 where valid. None
            means every pixel is valid.

    Returns:
        Tensor: Scalar loss.
    """
    if pred.shape != target.shape:
        raise ValueError(f'euclidean_loss: prediction {tuple(pred.shape)} '
                         f'and target {tuple(target.shape)} differ in shape')
    diff = pred - target
    if valid_mask is None:
        return diff.pow(2).sum() / (2 * diff.numel())
    if valid_mask.shape != pred.shape:
        raise ValueError(
            f'euclidean_loss: valid_mask {tuple(valid_mask.shape)} does not '
            f'match the prediction {tuple(pred.shape)}')
    valid_mask = valid_mask.to(pred.dtype)
    num_valid = valid_mask.sum().clamp(min=1)
    return (diff * valid_mask).pow(2).sum() / (2 * num_valid)


@MODELS.register_module()
class EuclideanLoss(nn.Module):
    """Plain density loss L0 (no scale pyramid): for baselines and ablations.

    Args:
        loss_weight (float): Multiplies the loss. Default: 1.0.
    """

    def __init__(self, loss_weight=1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred, target, valid_mask=None, scale_outputs=None,
                data_samples=None):
        """Compute L0.

        Args:
            pred (Tensor): Final density D0, (N, 1, H, W).
            target (Tensor): Ground-truth density, (N, 1, H, W).
            valid_mask (Tensor, optional): (N, 1, H, W) valid pixels.
            scale_outputs (Sequence[Tensor], optional): Scale-specific
                outputs of a multi-output head; not used by this loss.
            data_samples (Sequence[CrowdDataSample], optional): The batch's
                samples; not used by this loss.

        Returns:
            dict[str, Tensor]: ``loss_density``.
        """
        return dict(loss_density=self.loss_weight *
                    euclidean_loss(pred, target, valid_mask))
