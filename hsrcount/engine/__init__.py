from .checkpoint import (SAFE_CHECKPOINT_GLOBALS, CorruptCheckpointError,
                         UnsafeCheckpointError, load_checkpoint_safely,
                         register_safe_checkpoint_loader)
from .checkpoint_hook import AtomicCheckpointHook
from .hooks import *  # noqa: F401,F403
from .loss_guard_hook import FiniteLossHook

# Every checkpoint hsrcount reads goes through torch's safe loader with an
# allowlist of what its checkpoints hold (docs/reliability.md).
register_safe_checkpoint_loader()

__all__ = [
    'SAFE_CHECKPOINT_GLOBALS', 'CorruptCheckpointError',
    'UnsafeCheckpointError', 'load_checkpoint_safely',
    'register_safe_checkpoint_loader', 'AtomicCheckpointHook',
    'FiniteLossHook'
]
