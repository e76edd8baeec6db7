from .count_dump import CountDumpMetric
from .counting_metric import CrowdCountingMetric
from .localization_metric import (LocalizationMetric,
                                  LocalizationSubmissionMetric)
from .submission import CountSubmissionMetric

__all__ = [
    'CountDumpMetric', 'CrowdCountingMetric', 'CountSubmissionMetric',
    'LocalizationMetric', 'LocalizationSubmissionMetric'
]
