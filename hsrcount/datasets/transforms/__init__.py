from .density import GenerateDensity
from .formatting import PackCrowdInputs
from .geometric import (PaperCrop, RandomCrop, RandomFlip, RandomRescale,
                        Resize, ResizeToRange)
from .loading import (LoadCrowdAnnotations, LoadCrowdImageFromFile,
                      LoadCrowdImageFromNDArray)

__all__ = [
    'LoadCrowdImageFromFile', 'LoadCrowdImageFromNDArray',
    'LoadCrowdAnnotations', 'Resize',
    'RandomRescale', 'PaperCrop', 'RandomCrop', 'RandomFlip', 'ResizeToRange',
    'GenerateDensity', 'PackCrowdInputs'
]
