"""Weight initialisation is one line in a Runner's log, not three lines per
parameter; log_level='DEBUG' brings the per-parameter lines back."""
import re

import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import Runner

from hsrcount.utils.startup_log import (init_info_summarized,
                                        summarize_init_info,
                                        with_startup_summary)

#: What MMEngine's _dump_init_info writes for each parameter.
DUMP_LINE = re.compile(r'^\S+ - torch\.Size\(\[[\d, ]*\]\): $', re.M)


class InitModel(BaseModel):
    """Two layers: one initialised by init_cfg, one left as built."""

    def __init__(self):
        super().__init__(init_cfg=dict(type='Constant', layer='Linear',
                                       val=0.5, bias=0.0))
        self.fc = nn.Linear(2, 3)
        self.norm = nn.LayerNorm(3)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.norm(self.fc(inputs))
        if mode == 'loss':
            return dict(loss=out.pow(2).mean())
        return out


def train_once(runner_cls, tmp_path, log_level):
    runner = runner_cls(
        model=InitModel(), work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.ones(2))] * 2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'), batch_size=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        train_cfg=dict(by_epoch=False, max_iters=1),
        default_hooks=dict(checkpoint=None), log_level=log_level,
        experiment_name=f'init_{runner_cls.__name__}_{log_level}_'
        f'{tmp_path.name}')
    runner.train()
    with open(runner.logger.log_file) as f:
        return runner, f.read()


def test_mmengine_alone_dumps_every_parameter(tmp_path):
    _, log_text = train_once(Runner, tmp_path, 'INFO')
    # 4 parameters: fc.weight, fc.bias, norm.weight, norm.bias
    assert len(DUMP_LINE.findall(log_text)) == 4


@pytest.mark.parametrize('log_level', ['INFO', 'DEBUG'])
def test_summarized_runner_logs_one_init_line(tmp_path, capsys, log_level):
    runner, log_text = train_once(with_startup_summary(Runner), tmp_path,
                                  log_level)
    terminal = capsys.readouterr().out
    assert not DUMP_LINE.findall(log_text)
    summary = ('Initialized 4 parameter tensors (15 values): 2 '
               'ConstantInit: val=0.5, bias=0.0; 2 The value is the same '
               'before and after calling `init_weights` of InitModel')
    for text in (log_text, terminal):
        assert text.count('Initialized 4 parameter tensors') == 1
        assert summary in text
    # The weights were initialised all the same.
    assert torch.all(runner.model.fc.weight == 0.5)
    debug_line = 'fc.weight - (3, 2): ConstantInit: val=0.5, bias=0.0'
    assert (debug_line in log_text) == (log_level == 'DEBUG')
    # The model's own method is back once the Runner is done with it.
    assert '_dump_init_info' not in vars(runner.model)


def test_summary_lists_the_most_common_kinds_first():
    model = nn.Sequential(*[nn.Linear(1, 1, bias=False) for _ in range(6)])
    kinds = ['a', 'a', 'a', 'b', 'b', 'c']
    info = {p: dict(init_info=k) for p, k in zip(model.parameters(), kinds)}
    info[next(iter(model.parameters()))] = dict(init_info='a ')
    model.add_module('extra', nn.Linear(1, 1, bias=False))
    info[model.extra.weight] = dict(init_info='e')
    line = summarize_init_info(model, info)
    assert line.startswith('Initialized 7 parameter tensors (7 values): '
                           '3 a; 2 b; 1 c; and 1 other kind(s)')


def test_context_restores_the_method_after_an_error():
    model = InitModel()
    with pytest.raises(RuntimeError):
        with init_info_summarized(model, None):
            assert '_dump_init_info' in vars(model)
            raise RuntimeError('boom')
    assert '_dump_init_info' not in vars(model)
