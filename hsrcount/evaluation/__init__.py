from .functional import game_errors
from .metrics import CrowdCountingMetric

__all__ = ['CrowdCountingMetric', 'game_errors']
