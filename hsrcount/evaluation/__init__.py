from .functional import game_errors
from .localization import match_points, nwpu_thresholds, precision_recall_f1
from .metrics import CrowdCountingMetric, LocalizationMetric

__all__ = [
    'CrowdCountingMetric', 'LocalizationMetric', 'game_errors',
    'match_points', 'nwpu_thresholds', 'precision_recall_f1'
]
