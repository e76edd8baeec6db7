from .density_figure import (Panel, Points, draw_data_sample,
                             draw_density_panels, draw_overlay, draw_panels,
                             panel_titles, robust_vmax)
from .local_visualizer import CrowdLocalVisualizer

__all__ = [
    'CrowdLocalVisualizer', 'Panel', 'Points', 'draw_data_sample',
    'draw_density_panels', 'draw_overlay', 'draw_panels', 'panel_titles',
    'robust_vmax'
]
