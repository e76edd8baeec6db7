from .scale_focus import SFM_MODES, ScaleFocusModule

__all__ = ['ScaleFocusModule', 'SFM_MODES']
