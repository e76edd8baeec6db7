"""Small helpers shared across hsrcount."""
from .atomic_io import (ATOMIC_LOCAL_BACKEND, AtomicLocalBackend,
                        atomic_write)

__all__ = ['ATOMIC_LOCAL_BACKEND', 'AtomicLocalBackend', 'atomic_write']
