"""MMEngine's start-up text: one line each on the terminal, in full in the
log file."""
import logging

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner

from hsrcount.utils.startup_log import (MMEngineNoticeFilter,
                                        StartupSummaryFormatter,
                                        summarize_config,
                                        summarize_environment, summarize_hooks,
                                        summarize_startup,
                                        with_startup_summary)

ENV_TEXT = '''
------------------------------------------------------------
System environment:
    sys.platform: linux
    Python: 3.11.7 (main, May  9 2026, 07:35:25) [GCC 12.2.0]
    CUDA available: False
    PyTorch: 2.14.1+cu130
    PyTorch compiling details: PyTorch built with:
  - GCC 13.3
    MMEngine: 0.10.7

Runtime environment:
    seed: 0
    Distributed training: False
------------------------------------------------------------
'''

HOOKS_TEXT = '''Hooks will be executed in the following order:
before_run:
(VERY_HIGH   ) RuntimeInfoHook
(BELOW_NORMAL) LoggerHook
 --------------------
before_train:
(VERY_HIGH   ) RuntimeInfoHook
(NORMAL      ) IterTimerHook
(VERY_LOW    ) CheckpointHook
 --------------------'''


def test_summaries_of_environment_config_and_hooks():
    assert summarize_environment(ENV_TEXT) == (
        'Environment: Python 3.11.7, PyTorch 2.14.1+cu130, CUDA available: '
        'False, MMEngine 0.10.7, seed: 0, Distributed training: False')
    assert summarize_hooks(HOOKS_TEXT) == (
        'Hooks: RuntimeInfoHook, LoggerHook, IterTimerHook, CheckpointHook')
    cfg = Config(dict(
        model=dict(type='CrowdCounter', backbone=dict(type='VGG16')),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=300,
                       val_interval=100),
        work_dir='work_dirs/demo'))
    assert summarize_config(cfg) == (
        'Config: CrowdCounter, IterBasedTrainLoop max_iters=300 '
        'val_interval=100, work dir work_dirs/demo')
    assert summarize_config(None) == 'Config'


def make_record(msg, level=logging.INFO):
    return logging.LogRecord('mmengine', level, __file__, 1, msg, None, None)


def test_formatter_shortens_startup_records_only():
    formatter = StartupSummaryFormatter(
        logging.Formatter('%(levelname)s %(message)s'), 'run/x.log')
    record = make_record(ENV_TEXT)
    assert formatter.format(record) == (
        'INFO ' + summarize_environment(ENV_TEXT) +
        ' (in full in run/x.log)')
    # The record itself is untouched for the file handler that follows.
    assert record.getMessage() == ENV_TEXT
    assert formatter.format(make_record('Iter(train) [10/300] loss: 1')) \
        == 'INFO Iter(train) [10/300] loss: 1'
    assert formatter.format(make_record(HOOKS_TEXT)) == (
        'INFO ' + summarize_hooks(HOOKS_TEXT) + ' (in full in the log file)')
    notice = make_record('"FileClient" will be deprecated in future. Please '
                         'use io functions', logging.WARNING)
    assert not MMEngineNoticeFilter().filter(notice)
    assert MMEngineNoticeFilter().filter(make_record('a real warning'))


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.layer(inputs)


def build_runner(runner_cls, tmp_path):
    cfg = Config(dict(model=dict(type='ToyModel'),
                      train_cfg=dict(by_epoch=False, max_iters=5),
                      work_dir=str(tmp_path)))
    return runner_cls(model=ToyModel(), work_dir=str(tmp_path), cfg=cfg,
                      experiment_name=f'startup_{runner_cls.__name__}_'
                      f'{tmp_path.name}')


@pytest.mark.parametrize('summarized', [False, True])
def test_runner_start_up_text_on_terminal_and_in_log_file(
        tmp_path, capsys, summarized):
    cls = with_startup_summary(Runner) if summarized else Runner
    runner = build_runner(cls, tmp_path)
    runner.logger.warning('"HardDiskBackend" is the alias of "LocalBackend" '
                          'and the former will be deprecated in future.')
    terminal = capsys.readouterr().out
    with open(runner.logger.log_file) as f:
        log_text = f.read()
    # The log file always holds everything.
    for text in ('System environment:', 'Config:\n', 'max_iters=5',
                 'Hooks will be executed in the following order',
                 'HardDiskBackend'):
        assert text in log_text
    if not summarized:
        assert 'System environment:' in terminal
        return
    lines = terminal.strip().splitlines()
    # Plus MMEngine's one line on SyncBN.
    assert len(lines) <= 4, terminal
    assert 'Environment: Python' in lines[0]
    assert lines[0].endswith(f'(in full in {runner.logger.log_file})')
    assert 'Config: ToyModel, train by_epoch=False max_iters=5' in lines[1]
    assert 'Hooks: RuntimeInfoHook' in lines[-1]
    assert lines[-1].endswith('(in full in the log file)')
    assert 'HardDiskBackend' not in terminal


def test_summarize_startup_is_idempotent_and_class_cached(tmp_path):
    logger = MMLogger.get_instance(f'idem_{tmp_path.name}',
                                   log_file=str(tmp_path / 'a.log'))
    summarize_startup(logger)
    summarize_startup(logger)
    stream = [h for h in logger.handlers
              if not isinstance(h, logging.FileHandler)]
    file = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    assert isinstance(stream[0].formatter, StartupSummaryFormatter)
    assert not isinstance(stream[0].formatter.inner,
                          StartupSummaryFormatter)
    assert sum(isinstance(f, MMEngineNoticeFilter)
               for f in stream[0].filters) == 1
    assert not isinstance(file[0].formatter, StartupSummaryFormatter)
    assert with_startup_summary(Runner) is with_startup_summary(Runner)
    cls = with_startup_summary(Runner)
    assert with_startup_summary(cls) is cls and issubclass(cls, Runner)
