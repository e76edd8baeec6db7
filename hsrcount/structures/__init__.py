from .crowd_data_sample import CrowdDataSample

__all__ = ['CrowdDataSample']
