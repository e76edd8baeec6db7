from .density_figure import draw_density_panels, draw_panels, panel_titles
from .local_visualizer import CrowdLocalVisualizer

__all__ = [
    'CrowdLocalVisualizer', 'draw_density_panels', 'draw_panels',
    'panel_titles'
]
