"""Helpers shared across hsrcount and the plumbing the tools start with."""
from .atomic_io import ATOMIC_LOCAL_BACKEND, AtomicLocalBackend, atomic_write
from .config import (ConfigKeyError, check_cfg_options, enable_amp,
                     load_config, load_tool_config)
from .distributed import init_cpu_distributed
from .setup_env import register_all_modules, setup_allocator

__all__ = [
    'ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write',
    'ConfigKeyError', 'check_cfg_options', 'enable_amp', 'load_config',
    'load_tool_config', 'init_cpu_distributed', 'register_all_modules',
    'setup_allocator'
]
