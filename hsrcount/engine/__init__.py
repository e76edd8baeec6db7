"""Training machinery: hooks and the safe checkpoint loader.

Importing this package registers the hooks and changes nothing else;
:func:`register_safe_checkpoint_loader` (called by
:func:`hsrcount.utils.register_all_modules`) rewires MMEngine's checkpoint
loaders.
"""
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, CorruptCheckpointError,
                         UnsafeCheckpointError, load_checkpoint_safely,
                         register_safe_checkpoint_loader)
from .hooks import AtomicCheckpointHook, CrowdVisualizationHook, FiniteLossHook

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'CorruptCheckpointError',
    'UnsafeCheckpointError', 'load_checkpoint_safely',
    'register_safe_checkpoint_loader', 'AtomicCheckpointHook',
    'CrowdVisualizationHook', 'FiniteLossHook'
]
