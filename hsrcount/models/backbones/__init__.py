from .mcnn import MCNN
from .vgg16 import VGG16

__all__ = ['VGG16', 'MCNN']
