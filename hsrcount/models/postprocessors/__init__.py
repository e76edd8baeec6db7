from .point_extractor import DensityPeakPoints, allocate_counts

__all__ = ['DensityPeakPoints', 'allocate_counts']
