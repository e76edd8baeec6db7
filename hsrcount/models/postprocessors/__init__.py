from .point_extractor import DensityPeakPoints, allocate_counts, locate_points

__all__ = ['DensityPeakPoints', 'allocate_counts', 'locate_points']
