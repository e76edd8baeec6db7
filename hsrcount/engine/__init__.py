"""Training machinery: hooks, optimizer wrappers, the strict Runner, the
safe checkpoint loader.

Importing this package registers the hooks and optimizer wrappers and
changes nothing else;
:func:`register_safe_checkpoint_loader` (called by
:func:`hsrcount.utils.register_all_modules`) rewires MMEngine's checkpoint
loaders.
"""
from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, load_checkpoint_safely,
                         register_safe_checkpoint_loader, verify_checksum)
from .errors import (CheckpointError, CheckpointMismatchError,
                     CorruptCheckpointError, InvalidCheckpointError,
                     UnsafeCheckpointError)
from .hooks import AtomicCheckpointHook, CrowdVisualizationHook, FiniteLossHook
from .model_loading import LoadReport, check_resumable, load_weights
from .optim_wrappers import CPUAmpOptimWrapper
from .runner import CrowdRunner
from .work_dir_lock import WorkDirInUseError, WorkDirLock, launcher_rank

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'load_checkpoint_safely',
    'register_safe_checkpoint_loader', 'verify_checksum', 'CheckpointError',
    'CheckpointMismatchError', 'CorruptCheckpointError',
    'InvalidCheckpointError', 'UnsafeCheckpointError',
    'AtomicCheckpointHook', 'CrowdVisualizationHook', 'FiniteLossHook',
    'LoadReport', 'check_resumable', 'load_weights', 'CrowdRunner',
    'WorkDirInUseError', 'WorkDirLock', 'launcher_rank', 'CPUAmpOptimWrapper'
]
