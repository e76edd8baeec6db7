from .count_dump import CountDumpMetric
from .counting_metric import CrowdCountingMetric
from .localization_metric import LocalizationMetric

__all__ = ['CountDumpMetric', 'CrowdCountingMetric', 'LocalizationMetric']
