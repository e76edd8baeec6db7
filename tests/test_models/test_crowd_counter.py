"""CrowdCounter end to end: modes, sizes, gradients, registry, baselines."""
import copy

import pytest
import torch

from hsrcount.models import VGG16, CrowdCounter, PlainHead, ScaleFocusModule
from hsrcount.registry import MODELS

HSRNET = dict(
    type='CrowdCounter',
    backbone=dict(type='VGG16'),
    neck=dict(type='ScaleFocusModule', mode='channel_spatial'),
    head=dict(type='ScaleRecalibrationHead',
              loss_decode=dict(type='ScaleConsistencyLoss', learnable=True)))

BASELINES = {
    'table5_backbone': dict(
        type='CrowdCounter',
        backbone=dict(type='VGG16', out_indices=(4, )),
        head=dict(type='PlainHead', in_channels=512, in_stride=16)),
    'table5_srm': dict(
        type='CrowdCounter', backbone=dict(type='VGG16'),
        head=dict(type='ScaleRecalibrationHead',
                  loss_decode=dict(type='EuclideanLoss'))),
    'table6_parallel_conv': dict(
        type='CrowdCounter', backbone=dict(type='VGG16'),
        neck=dict(type='ScaleFocusModule', mode='parallel_conv'),
        head=dict(type='ScaleRecalibrationHead')),
    'csrnet': dict(
        type='CrowdCounter',
        backbone=dict(type='VGG16', num_stages=4, out_indices=(3, )),
        head=dict(type='CSRNetHead')),
    'mcnn': dict(
        type='CrowdCounter', backbone=dict(type='MCNN'),
        head=dict(type='PlainHead', in_channels=30, in_stride=4)),
}


def _build(cfg):
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def test_odd_sizes_padded_then_cropped_back(make_batch):
    torch.manual_seed(0)
    model = _build(HSRNET).eval()
    data = make_batch([(250, 333), (40, 37)])
    data = model.data_preprocessor(data, training=False)
    assert data['inputs'].shape == (2, 3, 256, 336)
    with torch.no_grad():
        raw = model(data['inputs'], mode='tensor')
        samples = model(**data, mode='predict')
    assert raw.shape == (2, 1, 256, 336)
    for n, (h, w) in enumerate([(250, 333), (40, 37)]):
        pred = samples[n].pred_density.data
        assert pred.shape == (1, h, w)
        torch.testing.assert_close(pred, raw[n, :, :h, :w] / 100.0)
        assert isinstance(samples[n].pred_count, float)
        assert samples[n].pred_count == pytest.approx(pred.sum().item(),
                                                      rel=1e-5)


def test_predict_counts_inside_roi_only(make_batch):
    model = _build(BASELINES['mcnn']).eval()
    data = make_batch([(32, 48)], with_gt=False)
    roi = torch.zeros(1, 32, 48)
    roi[:, 8:20, 10:30] = 1
    data['data_samples'][0].roi = roi
    with torch.no_grad():
        sample = model.test_step(data)[0]
    pred = sample.pred_density.data
    assert pred.shape == (1, 32, 48)
    assert sample.pred_count == pytest.approx(
        pred[:, 8:20, 10:30].sum().item(), rel=1e-5)
    assert sample.pred_count != pytest.approx(pred.sum().item(), rel=1e-3)


def test_predict_without_data_samples():
    model = _build(BASELINES['mcnn']).eval()
    with torch.no_grad():
        samples = model(torch.zeros(2, 3, 16, 32), mode='predict')
    assert len(samples) == 2
    assert samples[1].pred_density.shape == (16, 32)


def test_every_parameter_gets_a_gradient(make_batch):
    model = _build(HSRNET).train()
    data = model.data_preprocessor(make_batch([(64, 80), (50, 70)]), True)
    losses = model(**data, mode='loss')
    assert {f'loss_scale{i}' for i in range(1, 6)} < set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    missing = [n for n, p in model.named_parameters()
               if p.grad is None or not p.grad.abs().sum() > 0]
    assert missing == []
    assert 'head.loss_decode.log_vars' in dict(model.named_parameters())


def test_loss_uses_scaled_gt_and_mask(make_batch):
    """The loss equals EuclideanLoss on density_scale * gt over valid px."""
    model = _build(BASELINES['mcnn'])
    data = model.data_preprocessor(make_batch([(16, 20), (12, 16)]), True)
    losses = model(**data, mode='loss')
    d0 = model(data['inputs'], mode='tensor')
    gt = torch.stack([s.padded_gt_density for s in data['data_samples']])
    mask = torch.stack([s.valid_mask for s in data['data_samples']])
    expected = ((d0 - 100 * gt)**2 * mask).sum() / (2 * (16 * 20 + 12 * 16))
    torch.testing.assert_close(losses['loss_density'], expected)


def test_train_step_updates_weights(make_batch):
    from mmengine.optim import OptimWrapper
    model = _build(BASELINES['mcnn'])
    optim = OptimWrapper(torch.optim.Adam(model.parameters(), lr=1e-3))
    before = model.head.conv_out.weight.clone()
    log_vars = model.train_step(make_batch([(16, 16), (16, 24)]), optim)
    assert 'loss' in log_vars and 'loss_density' in log_vars
    assert not torch.equal(before, model.head.conv_out.weight)


@pytest.mark.parametrize('name', sorted(BASELINES))
def test_baselines_train_and_predict(name, make_batch):
    """Every parameter gets a finite gradient that is not all zero, and a
    small step against the gradient lowers the loss (to first order by
    lr * |g|^2)."""
    torch.manual_seed(0)
    model = _build(BASELINES[name])
    data = model.data_preprocessor(make_batch([(32, 32), (20, 30)]), True)

    def total_loss():
        losses = model(**data, mode='loss')
        return sum(v for k, v in losses.items() if 'loss' in k)

    loss = total_loss()
    loss.backward()
    loss = float(loss.detach())
    bad = [n for n, p in model.named_parameters()
           if p.grad is None or not torch.isfinite(p.grad).all()
           or not p.grad.abs().sum() > 0]
    assert bad == []
    grads = [p.grad.clone() for p in model.parameters()]
    sq_norm = sum(float((g**2).sum()) for g in grads)
    lr = 1e-3 * loss / sq_norm  # a step that should cut ~0.1 %
    with torch.no_grad():
        for p, g in zip(model.parameters(), grads):
            p -= lr * g
        after = float(total_loss())
    assert loss - after == pytest.approx(lr * sq_norm, rel=0.2)
    with torch.no_grad():
        samples = model(**data, mode='predict')
    assert samples[1].pred_density.data.shape == (1, 20, 30)


def test_submodules_as_built_modules():
    head = PlainHead(in_channels=512)
    model = CrowdCounter(backbone=VGG16(out_indices=(4, )), head=head)
    assert model.head is head
    assert type(model.data_preprocessor).__name__ == 'CrowdDataPreprocessor'
    with pytest.raises(TypeError, match='neck must be a config dict'):
        CrowdCounter(backbone=VGG16(), head=head, neck='ScaleFocusModule')


def test_unknown_mode_and_missing_gt(make_batch):
    model = _build(BASELINES['mcnn'])
    with pytest.raises(ValueError, match="invalid mode 'train'"):
        model(torch.zeros(1, 3, 16, 16), mode='train')
    data = model.data_preprocessor(make_batch([(16, 16)], with_gt=False))
    with pytest.raises(ValueError, match='needs data samples with gt_density'):
        model(**data, mode='loss')


def test_unknown_type_lists_registered_names():
    cfg = copy.deepcopy(HSRNET)
    cfg['neck']['type'] = 'ScaleFocusModul'
    with pytest.raises(KeyError) as err:
        MODELS.build(cfg)
    msg = str(err.value)
    assert "'ScaleFocusModul' is not registered" in msg
    assert 'Did you mean ScaleFocusModule' in msg
    for name in ('VGG16', 'ScaleRecalibrationHead', 'ScaleConsistencyLoss',
                 'CSRNetHead', 'MCNN', 'CrowdDataPreprocessor'):
        assert name in msg


def test_user_defined_neck_through_config():
    """A developer subclasses the SFM, registers it, names it in a config."""
    name = 'ScaledFocusForTest'

    @MODELS.register_module(name=name)
    class ScaledFocus(ScaleFocusModule):

        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def forward(self, feats):
            return tuple(self.factor * f for f in super().forward(feats))

    try:
        cfg = copy.deepcopy(HSRNET)
        cfg['neck'] = dict(type=name, factor=3.0, mode='none')
        model = MODELS.build(cfg)
        assert isinstance(model.neck, ScaledFocus)
        x = torch.rand(1, 3, 32, 32)
        feats = model.backbone(x)
        for out, f in zip(model.extract_feat(x), feats):
            torch.testing.assert_close(out, 3.0 * f)
    finally:
        MODELS._module_dict.pop(name)


def test_density_scale_validated():
    with pytest.raises(ValueError, match='density_scale'):
        PlainHead(in_channels=8, density_scale=0)


def test_channels_last_training_matches_the_default_layout(make_batch):
    """model.channels_last=True (train.py --channels-last) stores the conv
    weights channels-last and gives the same losses and gradients."""
    from hsrcount.registry import MODELS
    cfg = dict(
        type='CrowdCounter',
        backbone=dict(type='VGG16', width_ratio=0.125, with_bn=True),
        neck=dict(type='ScaleFocusModule', in_channels=(16, 32, 64, 64),
                  reduction=4),
        head=dict(type='ScaleRecalibrationHead',
                  in_channels=(16, 32, 64, 64)))
    torch.manual_seed(0)
    plain = MODELS.build(cfg)
    fast = MODELS.build(dict(cfg, channels_last=True))
    fast.load_state_dict(plain.state_dict())
    conv = fast.backbone.convs[3].weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not conv.is_contiguous()
    batch = make_batch([(32, 48), (32, 48)])
    losses = []
    for model in (plain, fast):
        data = model.data_preprocessor(batch, training=True)
        loss = sum(model(**data, mode='loss').values())
        loss.backward()
        losses.append(loss)
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(plain.head.fuse.weight.grad,
                               fast.head.fuse.weight.grad, rtol=1e-3,
                               atol=1e-6)
