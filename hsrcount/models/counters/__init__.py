from .crowd_counter import CrowdCounter
from .data_preprocessor import CrowdDataPreprocessor

__all__ = ['CrowdCounter', 'CrowdDataPreprocessor']
