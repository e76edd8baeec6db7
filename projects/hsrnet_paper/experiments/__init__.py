"""Fixed-budget training comparisons (budget_train.py)."""
from .budget import (PRESETS, BudgetConfigError, BudgetSettings, apply_budget,
                     apply_preset, apply_scratch, check_same_schedule,
                     fit_iterations, prepare_runs, replace_train_crop)
from .report import markdown_table, write_summary
from .run import launch_runs, read_run, save_config, train_and_evaluate

__all__ = [
    'PRESETS', 'BudgetConfigError', 'BudgetSettings',
    'apply_budget', 'apply_preset', 'apply_scratch', 'check_same_schedule',
    'fit_iterations', 'launch_runs', 'markdown_table', 'prepare_runs',
    'read_run', 'replace_train_crop', 'save_config', 'train_and_evaluate',
    'write_summary'
]
