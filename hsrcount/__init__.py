"""hsrcount: crowd counting with HSRNet on MMEngine."""
from .version import __version__

__all__ = ['__version__']
