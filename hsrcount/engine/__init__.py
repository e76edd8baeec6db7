"""Training machinery: hooks, optimizer wrappers, safe checkpoint loading.

Importing this package registers the hooks and optimizer wrappers and
changes nothing else;
:func:`register_safe_checkpoint_loader` (called by
:func:`hsrcount.utils.register_all_modules`) rewires MMEngine's checkpoint
loaders.
"""
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, CorruptCheckpointError,
                         UnsafeCheckpointError, load_checkpoint_safely,
                         register_safe_checkpoint_loader)
from .hooks import AtomicCheckpointHook, CrowdVisualizationHook, FiniteLossHook
from .optim_wrappers import CPUAmpOptimWrapper

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'CorruptCheckpointError',
    'UnsafeCheckpointError', 'load_checkpoint_safely',
    'register_safe_checkpoint_loader', 'AtomicCheckpointHook',
    'CrowdVisualizationHook', 'FiniteLossHook', 'CPUAmpOptimWrapper'
]
