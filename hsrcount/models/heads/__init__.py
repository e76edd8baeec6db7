from .base_density_head import BaseDensityHead, resize_density
from .csrnet_head import CSRNetHead
from .plain_head import PlainHead
from .scale_recalibration import STACK_MODES, ScaleRecalibrationHead

__all__ = [
    'BaseDensityHead', 'resize_density', 'PlainHead', 'CSRNetHead',
    'ScaleRecalibrationHead', 'STACK_MODES'
]
