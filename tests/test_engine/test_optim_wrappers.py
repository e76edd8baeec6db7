"""CPUAmpOptimWrapper: bf16 autocast on the CPU, gradients close to fp32,
and a short training run through the real Runner (tools/train.py --amp)."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from hsrcount.engine import CPUAmpOptimWrapper
from hsrcount.models import CrowdCounter
from hsrcount.registry import OPTIM_WRAPPERS
from hsrcount.utils import register_all_modules
from hsrcount.utils.config import enable_amp

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(REPO, 'configs', 'hsrnet', 'hsrnet_demo.py')


def small_counter():
    torch.manual_seed(0)
    model = CrowdCounter(
        backbone=dict(type='VGG16', num_stages=3, out_indices=(1, 2),
                      num_pretrained_convs=0),
        neck=dict(type='ScaleFocusModule', in_channels=(128, 256),
                  reduction=16),
        head=dict(type='ScaleRecalibrationHead', in_channels=(128, 256),
                  strides=(2, 4), score_channels=(2, 3)))
    # Kaiming weights keep the activations (and so the gradients) of every
    # layer away from zero, as trained weights do.
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity='relu')
            nn.init.zeros_(m.bias)
    return model.train()


def gradients(model, wrapper, x, target):
    model.zero_grad()
    with wrapper.optim_context(model):
        out = model(x)
        loss = (out.float() - target).square().mean()
    wrapper.backward(loss)
    return {name: p.grad.clone() for name, p in model.named_parameters()}


def test_registered_and_built_from_a_config():
    register_all_modules(init_default_scope=False)
    model = nn.Linear(2, 2)
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='CPUAmpOptimWrapper',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, CPUAmpOptimWrapper)
    assert wrapper.cast_dtype == torch.bfloat16


def test_forward_in_bf16_and_gradients_match_fp32():
    model = small_counter()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 64, 64, generator=gen)
    target = torch.rand(2, 1, 64, 64, generator=gen)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    amp = CPUAmpOptimWrapper(optimizer=optimizer)
    dtypes = []
    conv = model.backbone.convs[1]
    handle = conv.register_forward_hook(
        lambda m, args, out: dtypes.append(out.dtype))
    amp_grads = gradients(model, amp, x, target)
    fp32_grads = gradients(model, OptimWrapper(optimizer=optimizer), x,
                           target)
    handle.remove()
    assert dtypes == [torch.bfloat16, torch.float32]
    for name, expected in fp32_grads.items():
        got = amp_grads[name]
        assert got.dtype == torch.float32  # weights and grads stay fp32
        cosine = torch.nn.functional.cosine_similarity(
            got.flatten(), expected.flatten(), dim=0)
        assert cosine > 0.999, (name, float(cosine))
        assert got.norm() == pytest.approx(float(expected.norm()), rel=0.02)


def test_step_updates_float32_weights():
    model = small_counter()
    before = copy.deepcopy(model.state_dict())
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        loss = model(torch.randn(1, 3, 32, 32)).float().square().mean()
    wrapper.update_params(loss)
    moved = [k for k, v in model.state_dict().items()
             if not torch.equal(v, before[k])]
    assert moved
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_refuses_float16_and_other_devices():
    params = [nn.Parameter(torch.zeros(1))]
    with pytest.raises(ValueError, match='bfloat16'):
        CPUAmpOptimWrapper(dtype='float16',
                           optimizer=torch.optim.SGD(params, lr=0.1))
    model = nn.Linear(2, 2, device='meta')
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='AmpOptimWrapper'):
        with wrapper.optim_context(model):
            pass


def test_loads_a_gpu_amp_state_without_its_loss_scaler():
    model = nn.Linear(2, 2)
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    state = wrapper.state_dict()
    state['param_groups'][0]['lr'] = 0.5
    state['loss_scaler'] = {'scale': 65536.0}
    wrapper.load_state_dict(state)
    assert wrapper.optimizer.param_groups[0]['lr'] == 0.5


@pytest.mark.slow
def test_short_amp_training_through_the_runner(tmp_path):
    """--amp on the CPU: the Runner builds CPUAmpOptimWrapper from the
    config, the forward runs in bf16, the losses are finite and the weights
    move."""
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(DEMO)
    data_root = str(tmp_path / 'data')
    cfg.train_dataloader.dataset.dataset.update(data_root=data_root,
                                                num_images=4)
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.pop('persistent_workers', None)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3,
                         val_interval=100)
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.work_dir = str(tmp_path / 'work')
    enable_amp(cfg, 'cpu')
    runner = Runner.from_cfg(cfg)
    dtypes, losses = [], []
    runner.model.backbone.convs[0].register_forward_hook(
        lambda m, args, out: dtypes.append(out.dtype))
    original = runner.model.train_step

    def train_step(data, optim_wrapper):
        log_vars = original(data, optim_wrapper)
        losses.append(float(log_vars['loss']))
        return log_vars

    runner.model.train_step = train_step
    before = copy.deepcopy(runner.model.state_dict())
    runner.train()
    assert isinstance(runner.optim_wrapper, CPUAmpOptimWrapper)
    assert dtypes == [torch.bfloat16] * 3
    assert len(losses) == 3 and all(torch.isfinite(torch.tensor(losses)))
    after = runner.model.state_dict()
    assert any(not torch.equal(after[k], v) for k, v in before.items())
