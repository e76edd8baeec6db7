"""Scale Focus Module against a hand computation of eqs. 1-5."""
import numpy as np
import pytest
import torch

from hsrcount.models import ScaleFocusModule
from hsrcount.models.necks import SFM_MODES


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _set_weights(block):
    """Fixed, distinct weights for one FocusBlock with C=4, r=2."""
    with torch.no_grad():
        if block.channel is not None:
            block.channel.fc1.weight.copy_(
                torch.tensor([[0.5, -1.0, 2.0, 0.3], [1.5, 0.2, -0.7, 1.0]]))
            block.channel.fc1.bias.copy_(torch.tensor([0.1, -0.2]))
            block.channel.fc2.weight.copy_(
                torch.tensor([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.4],
                              [0.6, 0.6]]))
            block.channel.fc2.bias.copy_(torch.tensor([0.0, 0.1, -0.1, 0.2]))
        if block.spatial is not None:
            block.spatial.conv.weight.copy_(
                torch.linspace(-1, 1, 49).view(1, 1, 7, 7))
            block.spatial.conv.bias.fill_(0.05)


def _channel_focus(f):
    """Eqs. 1-3 on one (C, H, W) array."""
    w1 = np.array([[0.5, -1.0, 2.0, 0.3], [1.5, 0.2, -0.7, 1.0]])
    w2 = np.array([[1.0, -0.5], [0.3, 0.8], [-1.2, 0.4], [0.6, 0.6]])
    z = np.array([f[j].sum() / f[j].size for j in range(f.shape[0])])
    hidden = np.maximum(w1 @ z + np.array([0.1, -0.2]), 0)
    s = _sigmoid(w2 @ hidden + np.array([0.0, 0.1, -0.1, 0.2]))
    return f * s[:, None, None]


def _spatial_focus(s_hat):
    """Eqs. 4-5 on one (C, H, W) array, the 7x7 conv written out."""
    kernel = np.linspace(-1, 1, 49).reshape(7, 7)
    c, h, w = s_hat.shape
    m = s_hat.sum(axis=0) / c
    padded = np.zeros((h + 6, w + 6))
    padded[3:3 + h, 3:3 + w] = m
    conv = np.zeros((h, w))
    for y in range(h):
        for x in range(w):
            conv[y, x] = (padded[y:y + 7, x:x + 7] * kernel).sum() + 0.05
    return s_hat * _sigmoid(conv)[None]


@pytest.fixture
def feats():
    torch.manual_seed(0)
    return (torch.randn(2, 4, 3, 5), torch.randn(2, 4, 6, 4))


@pytest.mark.parametrize('mode,reference', [
    ('channel_spatial', lambda f: _spatial_focus(_channel_focus(f))),
    ('spatial_channel', lambda f: _channel_focus(_spatial_focus(f))),
    ('channel', _channel_focus),
    ('spatial', _spatial_focus),
    ('parallel_average',
     lambda f: (_channel_focus(f) + _spatial_focus(f)) / 2),
    ('none', lambda f: f),
])
def test_matches_hand_computation(feats, mode, reference):
    sfm = ScaleFocusModule(in_channels=(4, 4), reduction=2, mode=mode)
    for block in sfm.blocks:
        _set_weights(block)
    outs = sfm(feats)
    assert len(outs) == 2
    for out, f in zip(outs, feats):
        assert out.shape == f.shape
        for n in range(f.shape[0]):
            expected = reference(f[n].double().numpy())
            np.testing.assert_allclose(out[n].detach().numpy(), expected,
                                       rtol=1e-5, atol=1e-6)


def test_parallel_conv_merges_the_stack(feats):
    sfm = ScaleFocusModule(in_channels=(4, 4), reduction=2,
                           mode='parallel_conv')
    block = sfm.blocks[0]
    _set_weights(block)
    with torch.no_grad():  # merge = channel half minus 2 x spatial half
        block.merge.weight.zero_()
        block.merge.bias.fill_(0.5)
        for j in range(4):
            block.merge.weight[j, j] = 1.0
            block.merge.weight[j, 4 + j] = -2.0
    out = sfm(feats)[0][0].detach().numpy()
    f = feats[0][0].double().numpy()
    expected = _channel_focus(f) - 2 * _spatial_focus(f) + 0.5
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_paper_sizes_and_parameter_free_identity():
    assert SFM_MODES[0] == 'channel_spatial'
    sfm = ScaleFocusModule()  # r = 64 on 128, 256, 512, 512 channels
    hidden = [b.channel.fc1.out_features for b in sfm.blocks]
    assert hidden == [2, 4, 8, 8]
    assert sum(p.numel() for p in ScaleFocusModule(mode='none').parameters()
               ) == 0


def test_errors():
    with pytest.raises(ValueError, match='mode'):
        ScaleFocusModule(mode='channel+spatial')
    with pytest.raises(ValueError, match='3 feature levels'):
        ScaleFocusModule()(tuple(torch.zeros(1, 8, 2, 2) for _ in range(3)))


def test_init_keeps_hidden_units_alive():
    """Each hidden FC unit must pass gradient from the first step."""
    torch.manual_seed(0)
    sfm = ScaleFocusModule(in_channels=(128, 256))
    sfm.init_weights()
    fc1 = sfm.blocks[0].channel.fc1
    assert (fc1.bias == 1.0).all()
    assert abs(fc1.weight.std().item() - 0.01) < 2e-3
    feats = (torch.rand(2, 128, 4, 4), torch.rand(2, 256, 2, 2))
    sum(o.sum() for o in sfm(feats)).backward()
    for block in sfm.blocks:
        assert (block.channel.fc1.weight.grad.abs().sum(1) > 0).all()
        assert (block.channel.fc2.weight.grad.abs().sum(0) > 0).all()


@pytest.mark.parametrize('mode', ['channel_spatial', 'parallel_average'])
def test_bf16_means_do_not_copy_the_features_to_float32(mode):
    """Under CPU autocast the features are bf16; ``torch.mean`` of a bf16
    CPU tensor would first copy all of it to float32 (a full-size
    ``aten::_to_copy``). The focus means read the bf16 tensor directly,
    and match the float32 means to bf16 precision."""
    from torch.profiler import profile
    torch.manual_seed(0)
    sfm = ScaleFocusModule(in_channels=(32, ), reduction=4, mode=mode)
    sfm.init_weights()
    x = torch.rand(1, 32, 24, 40).contiguous(
        memory_format=torch.channels_last)
    with torch.no_grad():
        expected = sfm((x, ))[0]
        xb = x.bfloat16()
        with profile(record_shapes=True) as prof, \
                torch.autocast('cpu', dtype=torch.bfloat16):
            out = sfm((xb, ))[0]
    copies = [e.input_shapes[0] for e in prof.events()
              if e.name == 'aten::_to_copy' and e.input_shapes]
    assert list(x.shape) not in copies, copies
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out.float(), expected, rtol=0.02, atol=0.02)
    for block in sfm.blocks:
        m = block.spatial.conv  # the channel mean feeds this conv
        got = []
        m.register_forward_pre_hook(lambda mod, args: got.append(args[0]))
        with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
            block.spatial(xb)
        torch.testing.assert_close(got[0].float(),
                                   x.mean(dim=1, keepdim=True),
                                   rtol=0.01, atol=0.01)
