from .base import BaseCrowdDataset
from .custom import CustomPointsDataset
from .jhu_crowd import JHUCrowdDataset
from .mall import MallDataset
from .nwpu_crowd import NWPUCrowdDataset
from .shanghaitech import ShanghaiTechDataset
from .synthetic import SyntheticCrowdDataset
from .trancos import TrancosDataset
from .transforms import *  # noqa: F401,F403
from .ucf_cc_50 import UCFCC50Dataset
from .ucf_qnrf import UCFQNRFDataset
from .ucsd import UCSDDataset
from .worldexpo import WorldExpoDataset
from .wrappers import InMemoryDataset, PatchRepeatDataset

__all__ = [
    'BaseCrowdDataset', 'CustomPointsDataset', 'ShanghaiTechDataset',
    'SyntheticCrowdDataset', 'PatchRepeatDataset', 'InMemoryDataset',
    'UCSDDataset', 'MallDataset', 'WorldExpoDataset', 'TrancosDataset',
    'UCFCC50Dataset', 'UCFQNRFDataset', 'JHUCrowdDataset', 'NWPUCrowdDataset'
]
