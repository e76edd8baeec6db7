"""--cfg-options: a key that would be ignored silently is an error."""
import copy

import pytest
from mmengine.config import Config

from hsrcount.utils.config import (ConfigKeyError, check_cfg_options,
                                   enable_amp, load_config)

CFG = dict(
    model=dict(type='CrowdCounter', neck=None,
               backbone=dict(type='VGG16', with_bn=False)),
    train_dataloader=dict(batch_size=2, dataset=dict(type='X')),
    randomness=dict(seed=0),
    env_cfg=dict(cudnn_benchmark=False),
    optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='Adam')),
    pipeline=[dict(type='A'), dict(type='B')])


@pytest.mark.parametrize('key', [
    'model.backbone.with_bn',  # exists
    'model.backbone.frozen_stages',  # new keyword of a typed dict
    'train_dataloader.pin_memory',  # a DataLoader keyword
    'randomness.deterministic',  # a set_random_seed keyword
    'compile',  # a Runner key
    'pipeline.1.prob',  # list index, then a typed dict
])
def test_accepted(key, tmp_path):
    """An override that names a key the config has, or one something
    checks, passes the check unchanged and lands at that key."""
    cfg = Config(copy.deepcopy(CFG))
    check_cfg_options(cfg, {key: 1})
    assert cfg.to_dict() == CFG  # the check only looks
    path = tmp_path / 'cfg.py'
    Config(copy.deepcopy(CFG)).dump(str(path))
    merged = load_config(str(path), {key: 1}).to_dict()
    *parents, leaf = key.split('.')
    node, expected = merged, copy.deepcopy(CFG)
    for part in parents:
        index = int(part) if part.isdigit() else part
        node, expected = node[index], expected[index]
    assert node[leaf] == 1
    expected[leaf] = 1
    assert node == expected  # nothing else in that dict changed


@pytest.mark.parametrize('key,message', [
    ('train_dataloader.batchsize', "has no key 'batchsize'. Did you mean "
     'batch_size?'),
    ('model.backbon.with_bn', "model has no key 'backbon'"),
    ('randomness.sed', "randomness has no key 'sed'"),
    ('env_cfg.cudnn_benchmrk', "env_cfg has no key 'cudnn_benchmrk'"),
    ('compil', "the config has no key 'compil'"),
    ('pipeline.5.prob', "pipeline has no key '5'"),
    ('model.neck.reduction', 'model.neck is None in this config'),
])
def test_refused_with_the_missing_part(key, message):
    with pytest.raises(ConfigKeyError) as err:
        check_cfg_options(Config(CFG), {key: 1})
    assert f'--cfg-options {key}: ' in str(err.value)
    assert message in str(err.value)


def test_amp_picks_the_wrapper_of_the_device():
    cfg = Config(CFG)
    enable_amp(cfg, 'cpu')
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    enable_amp(cfg, 'cuda')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    # A GPU config's loss scaler means nothing to the CPU wrapper.
    cfg.optim_wrapper.loss_scale = 'dynamic'
    enable_amp(cfg, 'cpu')
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
    cfg.optim_wrapper.type = 'ApexOptimWrapper'
    for device in ('cuda', 'cpu'):
        with pytest.raises(ValueError, match='ApexOptimWrapper'):
            enable_amp(cfg, device)
