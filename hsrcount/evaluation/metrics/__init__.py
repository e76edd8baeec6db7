from .count_dump import CountDumpMetric
from .counting_metric import CrowdCountingMetric

__all__ = ['CountDumpMetric', 'CrowdCountingMetric']
