from .counting_metric import CrowdCountingMetric

__all__ = ['CrowdCountingMetric']
