from .euclidean_loss import EuclideanLoss, euclidean_loss
from .scale_consistency import (PYRAMID_KERNELS, ScaleConsistencyLoss,
                                build_gt_pyramid)

__all__ = [
    'EuclideanLoss', 'euclidean_loss', 'ScaleConsistencyLoss',
    'build_gt_pyramid', 'PYRAMID_KERNELS'
]
