from .base import BaseCrowdDataset

__all__ = ['BaseCrowdDataset']
