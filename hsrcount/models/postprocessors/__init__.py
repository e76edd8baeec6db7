from .point_extractor import (DensityPeakPoints, allocate_counts,
                              locate_points, to_original_frame)

__all__ = [
    'DensityPeakPoints', 'allocate_counts', 'locate_points',
    'to_original_frame'
]
