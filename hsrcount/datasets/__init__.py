from .base import BaseCrowdDataset
from .custom import CustomPointsDataset
from .shanghaitech import ShanghaiTechDataset
from .synthetic import SyntheticCrowdDataset
from .transforms import *  # noqa: F401,F403
from .wrappers import PatchRepeatDataset

__all__ = [
    'BaseCrowdDataset', 'CustomPointsDataset', 'ShanghaiTechDataset',
    'SyntheticCrowdDataset', 'PatchRepeatDataset'
]
