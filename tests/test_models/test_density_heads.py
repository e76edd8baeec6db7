"""Heads: SRM grouping and sizes, plain / CSRNet heads, count keeping."""
import pytest
import torch

from hsrcount.models import (CSRNetHead, EuclideanLoss, PlainHead,
                             ScaleRecalibrationHead, resize_density)

PAPER_GROUPS = [[21, 31, 41, 51], [22, 32, 42, 52], [33, 43, 53], [44, 54],
                [55]]


def _feats(n=2, h=32, w=48, channels=(128, 256, 512, 512),
           strides=(2, 4, 8, 16)):
    torch.manual_seed(0)
    return [torch.randn(n, c, h // s, w // s)
            for c, s in zip(channels, strides)]


def test_slice_and_stack_is_the_papers_grouping():
    head = ScaleRecalibrationHead()
    # E2..E5: channel j (1-based) of E_l is the constant 10 * l + j.
    score_maps = [
        torch.stack([torch.full((2, 3), 10. * level + j)
                     for j in range(1, level + 1)])[None].repeat(2, 1, 1, 1)
        for level in (2, 3, 4, 5)
    ]
    groups = head.slice_and_stack(score_maps)
    assert [g.shape for g in groups] == [(2, n, 2, 3) for n in (4, 4, 3, 2, 1)]
    for group, expected in zip(groups, PAPER_GROUPS):
        assert group[:, :, 0, 0].tolist() == [expected, expected]
        assert (group == group[:, :, :1, :1]).all()


def test_score_maps_are_exactly_input_size():
    head = ScaleRecalibrationHead()
    maps = head.score_maps(_feats())
    assert [m.shape for m in maps] == [(2, e, 32, 48) for e in (2, 3, 4, 5)]
    deconv = head.deconvs[3]
    assert (deconv.kernel_size, deconv.stride) == ((32, 32), (16, 16))


def test_forward_d0_is_fusion_of_stacked_scales():
    head = ScaleRecalibrationHead()
    head.init_weights()
    feats = _feats()
    d0, scales = head(feats)
    assert d0.shape == (2, 1, 32, 48)
    assert [s.shape for s in scales] == [(2, 1, 32, 48)] * 5
    groups = head.slice_and_stack(head.score_maps(feats))
    for conv, g, s in zip(head.stack_convs, groups, scales):
        expected = (g * conv.weight.view(1, -1, 1, 1)).sum(1, keepdim=True) \
            + conv.bias
        torch.testing.assert_close(s, expected)
    fused = sum(head.fuse.weight[0, k, 0, 0] * scales[k]
                for k in range(5)) + head.fuse.bias
    torch.testing.assert_close(d0, fused)
    torch.testing.assert_close(head.predict(feats), d0)


@pytest.mark.parametrize('mode,reduce', [('sum', torch.sum),
                                         ('mean', torch.mean)])
def test_parameter_free_stack_modes(mode, reduce):
    head = ScaleRecalibrationHead(stack_mode=mode)
    feats = _feats(n=1)
    _, scales = head(feats)
    groups = head.slice_and_stack(head.score_maps(feats))
    for g, s in zip(groups, scales):
        torch.testing.assert_close(s, reduce(g, dim=1, keepdim=True))
    assert not hasattr(head, 'stack_convs')


def test_bilinear_deconv_init_upsamples_a_constant():
    head = ScaleRecalibrationHead(deconv_init='bilinear')
    head.init_weights()
    x = torch.ones(1, 3, 4, 6)
    out = head.deconvs[1](x)  # stride 4
    assert out.shape == (1, 3, 16, 24)
    # Away from the border every output pixel is the constant.
    torch.testing.assert_close(out[..., 2:-2, 2:-2],
                               torch.ones(1, 3, 12, 20))


def test_input_not_padded_is_an_error():
    head = ScaleRecalibrationHead()
    with pytest.raises(ValueError, match='pad inputs to a multiple'):
        head(_feats(h=32, w=48), img_size=(40, 48))


def test_resize_density_keeps_the_count():
    torch.manual_seed(0)
    x = torch.rand(2, 1, 5, 7)
    for factor in (2, 4, 8, 16):
        out = resize_density(x, (5 * factor, 7 * factor))
        torch.testing.assert_close(out.sum((1, 2, 3)), x.sum((1, 2, 3)))


def test_plain_head_upsamples_with_count_kept():
    head = PlainHead(in_channels=512)
    head.init_weights()
    feats = _feats()
    d0, scales = head(feats)
    assert d0.shape == (2, 1, 32, 48) and scales == []
    low = head.conv_out(feats[-1])
    torch.testing.assert_close(d0.sum((1, 2, 3)), low.sum((1, 2, 3)))
    assert isinstance(head.loss_decode, EuclideanLoss)


def test_csrnet_head_backend():
    head = CSRNetHead()
    convs = [m for m in head.backend if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [512, 512, 512, 256, 128, 64]
    assert all(c.dilation == (2, 2) for c in convs)
    d0, _ = head([torch.randn(1, 512, 4, 6)])
    assert d0.shape == (1, 1, 32, 48)


def test_head_loss_uses_loss_decode():
    head = PlainHead(in_channels=8, in_stride=4)
    feats = [torch.randn(1, 8, 4, 4)]
    gt = torch.rand(1, 1, 16, 16)
    mask = torch.ones_like(gt)
    losses = head.loss(feats, gt, mask)
    d0, _ = head(feats, img_size=(16, 16))
    expected = ((d0 - gt)**2).sum() / (2 * 256)
    torch.testing.assert_close(losses['loss_density'], expected)
