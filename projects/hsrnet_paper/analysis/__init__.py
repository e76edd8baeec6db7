"""Redraw the paper's figures and tables from work dirs, checkpoints and
``--out`` files (``projects/hsrnet_paper/tools/paper_*.py`` are thin CLIs on
top).

Each function returns the numbers it draws, so they can be checked.
"""
from .ablation_tables import (TABLE5_ROWS, TABLE6_ROWS, collect_table5,
                              collect_table6, table5_markdown, table6_markdown)
from .count_groups import (group_by_count, groups_markdown, load_model_counts,
                           plot_count_groups)
from .density_examples import collect_examples, draw_examples
from .model_outputs import (build_test_dataset, dataset_item, find_image,
                            load_model_and_dataset, scale_outputs)
from .ratio_curve import collect_ratio_points, plot_ratio_curves
from .run_results import final_metrics, parse_run_specs
from .scale_pyramid import draw_scale_pyramid, scale_pyramid

__all__ = [
    'TABLE5_ROWS', 'TABLE6_ROWS', 'build_test_dataset', 'collect_examples',
    'collect_ratio_points', 'collect_table5', 'collect_table6',
    'dataset_item', 'draw_examples', 'draw_scale_pyramid', 'final_metrics',
    'find_image', 'group_by_count', 'groups_markdown',
    'load_model_and_dataset', 'load_model_counts', 'parse_run_specs',
    'plot_count_groups',
    'plot_ratio_curves', 'scale_outputs', 'scale_pyramid', 'table5_markdown',
    'table6_markdown'
]
