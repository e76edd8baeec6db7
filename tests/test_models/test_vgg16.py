"""VGG16 backbone: shapes, freezing and loading torchvision checkpoints."""
import pytest
import torch
import torch.nn as nn
from torchvision.models.vgg import cfgs, make_layers

from hsrcount.models import VGG16


def _torchvision_features(path, batch_norm):
    """Save a random torchvision VGG-16 ``features`` state dict to ``path``.

    ``make_layers`` is what ``torchvision.models.vgg16(_bn)`` uses, so the
    keys are exactly torchvision's (``features.{idx}.weight``) without
    building the 100M-parameter classifier.
    """
    torch.manual_seed(1)
    features = make_layers(cfgs['D'], batch_norm=batch_norm)
    for m in features.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
    state = {f'features.{k}': v for k, v in features.state_dict().items()}
    torch.save(state, path)
    return state


def test_outputs_channels_and_strides():
    model = VGG16()
    outs = model(torch.rand(1, 3, 64, 80))
    assert [o.shape for o in outs] == [
        (1, 128, 32, 40), (1, 256, 16, 20), (1, 512, 8, 10), (1, 512, 4, 5)]
    assert len(model.convs) == 13
    assert sum(isinstance(m, nn.MaxPool2d) for m in model.modules()) == 4


def test_csrnet_front_end_is_stride_8():
    model = VGG16(num_stages=4, out_indices=(3, ))
    (out, ) = model(torch.rand(1, 3, 32, 48))
    assert out.shape == (1, 512, 4, 6)
    assert len(model.convs) == 10


def test_bad_out_indices():
    with pytest.raises(ValueError, match='out_indices'):
        VGG16(num_stages=4, out_indices=(4, ))


def test_frozen_stages_have_no_grad_and_bn_eval():
    model = VGG16(with_bn=True, frozen_stages=1)
    model.train()
    frozen = list(model.stages[0].parameters()) + list(
        model.stages[1].parameters())
    assert all(not p.requires_grad for p in frozen)
    assert all(p.requires_grad for p in model.stages[2].parameters())
    assert not model.stages[1][1].training  # its BatchNorm2d
    assert model.stages[2][1].training


def test_init_is_normal_without_checkpoint():
    model = VGG16()
    model.init_weights()
    weights = torch.cat([c.weight.flatten() for c in model.convs])
    assert abs(weights.std().item() - 0.01) < 1e-3
    assert all((c.bias == 0).all() for c in model.convs)


def test_load_first_ten_convs_of_vgg16(tmp_path):
    path = str(tmp_path / 'vgg16.pth')
    state = _torchvision_features(path, batch_norm=False)
    model = VGG16(init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    tv_ids = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    for k, conv in enumerate(model.convs):
        same = torch.equal(conv.weight, state[f'features.{tv_ids[k]}.weight'])
        assert same == (k < 10), f'conv {k}'
        assert torch.equal(conv.bias,
                           state[f'features.{tv_ids[k]}.bias']) == (k < 10)


def test_load_vgg16_bn_layout(tmp_path):
    path = str(tmp_path / 'vgg16_bn.pth')
    state = _torchvision_features(path, batch_norm=True)
    model = VGG16(with_bn=True, num_pretrained_convs=3,
                  init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    # vgg16_bn: conv, bn, relu per layer and a pool between stages.
    assert torch.equal(model.convs[2].weight, state['features.7.weight'])
    bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)][2]
    assert torch.equal(bn.running_mean, state['features.8.running_mean'])
    assert not torch.equal(model.convs[3].weight,
                           state['features.10.weight'])


def test_load_errors(tmp_path):
    path = str(tmp_path / 'vgg16.pth')
    state = _torchvision_features(path, batch_norm=False)

    def load(**kwargs):  # two stages (4 convs) keep this test light
        VGG16(num_stages=2, out_indices=(1, ), num_pretrained_convs=4,
              init_cfg=dict(type='Pretrained', checkpoint=path),
              **kwargs).init_weights()

    with pytest.raises(ValueError, match='vgg16 checkpoint but the backbone'):
        load(with_bn=True)

    bad = dict(state)
    bad['features.5.weight'] = torch.zeros(128, 64, 1, 1)
    torch.save(bad, path)
    with pytest.raises(ValueError, match=r"features\.5\.weight.*shape"):
        load()

    short = {k: v for k, v in state.items()
             if int(k.split('.')[1]) < 5}  # only 2 convs
    torch.save(short, path)
    with pytest.raises(KeyError, match='2 conv layers'):
        load()

    no_bias = {k: v for k, v in state.items() if k != 'features.2.bias'}
    torch.save(no_bias, path)
    with pytest.raises(KeyError, match='features.2.bias'):
        load()


def test_width_ratio_scales_every_stage():
    backbone = VGG16(width_ratio=0.25)
    feats = backbone(torch.zeros(1, 3, 32, 48))
    assert [f.shape[1] for f in feats] == [32, 64, 128, 128]
    assert [f.shape[2:] for f in feats] == [(16, 24), (8, 12), (4, 6),
                                             (2, 3)]


def test_width_ratio_refuses_pretrained_weights():
    with pytest.raises(ValueError, match='width_ratio=1'):
        VGG16(width_ratio=0.5,
              init_cfg=dict(type='Pretrained', checkpoint='x.pth'))


def test_init_cfg_with_an_unknown_key_is_refused():
    # A misspelt `checkpoint` would otherwise be ignored silently.
    with pytest.raises(ValueError, match='checkpointt'):
        VGG16(init_cfg=dict(type='Pretrained', checkpointt='x.pth'))


def test_offline_download_says_how_to_point_at_a_local_file(monkeypatch):
    from urllib.error import URLError

    from mmengine.runner import CheckpointLoader

    def no_network(filename, map_location=None):
        raise URLError('[Errno -3] Temporary failure in name resolution')

    monkeypatch.delenv('HSRCOUNT_VGG16_CHECKPOINT', raising=False)
    monkeypatch.setattr(CheckpointLoader, 'load_checkpoint', no_network)
    model = VGG16(init_cfg=dict(type='Pretrained',
                                checkpoint='torchvision://vgg16'))
    with pytest.raises(OSError) as info:
        model.init_weights()
    message = str(info.value)
    for hint in ('torchvision://vgg16', 'HSRCOUNT_VGG16_CHECKPOINT',
                 'model.backbone.init_cfg.checkpoint', 'scratch'):
        assert hint in message


def test_local_vgg16_file_from_the_environment(tmp_path, monkeypatch):
    path = str(tmp_path / 'vgg16.pth')
    state = _torchvision_features(path, batch_norm=False)
    monkeypatch.setenv('HSRCOUNT_VGG16_CHECKPOINT', path)
    model = VGG16(init_cfg=dict(type='Pretrained',
                                checkpoint='torchvision://vgg16'))
    model.init_weights()  # reads the file: nothing is downloaded
    assert torch.equal(model.convs[0].weight, state['features.0.weight'])
    monkeypatch.setenv('HSRCOUNT_VGG16_CHECKPOINT', str(tmp_path / 'no.pth'))
    with pytest.raises(FileNotFoundError, match='no.pth'):
        model.init_weights()
