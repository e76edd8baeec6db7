"""Scale Consistency loss (paper sec. 3.3, eqs. 8-9) and its GT pyramid."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from hsrcount.registry import MODELS
from .euclidean_loss import euclidean_loss

PYRAMID_KERNELS = (1, 2, 4, 8, 16)


def build_gt_pyramid(density, kernels=PYRAMID_KERNELS, valid_mask=None):
    """The ground-truth pyramid of the Scale Consistency loss.

    Level ``k`` is the density average-pooled with kernel and stride ``k``,
    then bilinearly upsampled (``align_corners=False``) back to full size.
    Pooling is mask-aware: each cell is the mean over its *valid* pixels
    (pooled GT / pooled valid mask), where the pixels outside
    ``valid_mask`` and the zero padding that makes H and W multiples of
    ``k`` are not valid. So a cell cut by the image's bottom or right
    border, or by the ROI, is not diluted by the zeros beyond it: a uniform
    density stays uniform up to the last row. Upsampling interpolates
    between cells that hold a valid pixel only; where every pixel of the
    interpolation is invalid the level is 0. Where every pixel is valid and
    H and W are multiples of ``k``, this is plain average pooling and
    bilinear upsampling, which keeps the sum for an even ``k``.

    Args:
        density (Tensor): Ground-truth density, (N, 1, H, W).
        kernels (Sequence[int]): Pooling kernels. Default: (1, 2, 4, 8, 16).
        valid_mask (Tensor, optional): (N, 1, H, W), 1 on valid pixels
            (inside the image and the ROI). Default: every pixel is valid.

    Returns:
        list[Tensor]: One (N, 1, H, W) map per kernel.
    """
    if density.dim() != 4:
        raise ValueError(f'build_gt_pyramid: expected an (N, 1, H, W) '
                         f'density, got shape {tuple(density.shape)}')
    if valid_mask is None:
        valid_mask = torch.ones_like(density)
    elif valid_mask.shape != density.shape:
        raise ValueError(f'build_gt_pyramid: valid_mask of shape '
                         f'{tuple(valid_mask.shape)} for a density of shape '
                         f'{tuple(density.shape)}')
    valid_mask = valid_mask.to(density.dtype)
    masked = density * valid_mask
    h, w = density.shape[-2:]
    pyramid = []
    for k in kernels:
        if k < 1:
            raise ValueError(f'build_gt_pyramid: kernel must be >= 1, got {k}')
        if k == 1:
            pyramid.append(masked)
            continue
        hp, wp = math.ceil(h / k) * k, math.ceil(w / k) * k
        pad = (0, wp - w, 0, hp - h)
        total = F.avg_pool2d(F.pad(masked, pad), k, stride=k)
        share = F.avg_pool2d(F.pad(valid_mask, pad), k, stride=k)
        has = (share > 0).to(density.dtype)
        cells = total / share.clamp(min=1e-12) * has
        # Upsample the cells and their validity alike and divide, so that a
        # pixel next to a cell without valid pixels (batch padding wider than
        # k) interpolates between valid cells only.
        up = F.interpolate(torch.cat([cells, has], dim=1), size=(hp, wp),
                           mode='bilinear', align_corners=False)
        weight = up[:, 1:]
        x = torch.where(weight > 0, up[:, :1] / weight.clamp(min=1e-12),
                        torch.zeros_like(weight))
        pyramid.append(x[..., :h, :w])
    return pyramid


@MODELS.register_module()
class ScaleConsistencyLoss(nn.Module):
    """``L = L0 + sum_i lambda_i L_i`` (eq. 9), each L a Euclidean loss.

    ``L0`` compares the final map D0 with the ground truth; ``L_i`` compares
    the scale output D_i with level i of :func:`build_gt_pyramid` of the
    masked ground truth. Every term averages over the valid pixels
    (see :func:`euclidean_loss`).

    Weights: the paper says lambda_i "can be gradually optimized" without
    saying how. ``learnable=False`` keeps ``lambdas`` fixed.
    ``learnable=True`` uses homoscedastic-uncertainty weighting (Kendall et
    al., CVPR 2018): ``lambda_i = exp(-s_i)`` with a learned ``s_i``
    (initialised to ``-log(lambdas[i])``) and the term becomes
    ``exp(-s_i) * L_i + s_i``. The ``+ s_i`` keeps the weights from
    collapsing: driving lambda_i to 0 (s_i to +inf) costs linearly, and for
    fixed L_i the optimum is lambda_i = 1 / L_i. A learned term (and its
    logged value) can therefore be negative.

    Args:
        lambdas (Sequence[float]): One positive weight per kernel (the
            initial weight when learnable). Default: all 1.
        kernels (Sequence[int]): GT pyramid kernels. Default: 1, 2, 4, 8, 16.
        learnable (bool): Learn the weights as above. Default: False.
        loss_weight (float): Multiplies every term. Default: 1.0.

    Returns of ``forward``: ``loss_density`` (L0) and
    ``loss_scale1``...``loss_scaleK`` (the weighted terms); when learnable,
    also ``lambda_scale1``... (detached, for the logs; not summed because
    their names lack "loss").
    """

    def __init__(self,
                 lambdas=(1.0, 1.0, 1.0, 1.0, 1.0),
                 kernels=PYRAMID_KERNELS,
                 learnable=False,
                 loss_weight=1.0):
        super().__init__()
        if len(lambdas) != len(kernels):
            raise ValueError(f'ScaleConsistencyLoss: {len(lambdas)} lambdas '
                             f'for {len(kernels)} kernels')
        if learnable and any(lam <= 0 for lam in lambdas):
            raise ValueError(f'ScaleConsistencyLoss: learnable weights need '
                             f'positive initial lambdas, got {lambdas}')
        self.kernels = tuple(kernels)
        self.learnable = learnable
        self.loss_weight = loss_weight
        lambdas = torch.tensor(lambdas, dtype=torch.float32)
        if learnable:
            self.log_vars = nn.Parameter(-lambdas.log())
        else:
            self.register_buffer('lambdas', lambdas, persistent=False)

    def current_lambdas(self):
        """Tensor: The weights lambda_i in use, shape (K, )."""
        return self.log_vars.neg().exp() if self.learnable else self.lambdas

    def forward(self, pred, target, valid_mask=None, scale_outputs=None,
                data_samples=None):
        """Compute the loss terms.

        Args:
            pred (Tensor): Final density D0, (N, 1, H, W).
            target (Tensor): Ground-truth density, (N, 1, H, W).
            valid_mask (Tensor, optional): (N, 1, H, W), 1 on valid pixels.
            scale_outputs (Sequence[Tensor]): D1..DK, each (N, 1, H, W).
            data_samples (Sequence[CrowdDataSample], optional): The batch's
                samples; not used by this loss.

        Returns:
            dict[str, Tensor]: The terms, see the class docstring.
        """
        if scale_outputs is None or len(scale_outputs) != len(self.kernels):
            got = 'none' if scale_outputs is None else len(scale_outputs)
            raise ValueError(
                f'ScaleConsistencyLoss needs {len(self.kernels)} scale '
                f'outputs, got {got}; use it with a multi-output head such '
                f'as ScaleRecalibrationHead, or EuclideanLoss otherwise')
        masked_target = target if valid_mask is None else \
            target * valid_mask.to(target.dtype)
        pyramid = build_gt_pyramid(target, self.kernels, valid_mask)
        losses = dict(loss_density=self.loss_weight *
                      euclidean_loss(pred, masked_target, valid_mask))
        lambdas = self.current_lambdas()
        for i, (d, gt) in enumerate(zip(scale_outputs, pyramid)):
            term = lambdas[i] * euclidean_loss(d, gt, valid_mask)
            if self.learnable:
                term = term + self.log_vars[i]
                losses[f'lambda_scale{i + 1}'] = lambdas[i].detach()
            losses[f'loss_scale{i + 1}'] = self.loss_weight * term
        return losses
