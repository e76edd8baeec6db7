"""Heads: SRM grouping and sizes, plain / CSRNet heads, count keeping."""
import pytest
import torch
import torch.nn.functional as F

from hsrcount.models import (CSRNetHead, EuclideanLoss, PlainHead,
                             ScaleRecalibrationHead, resize_density)
from hsrcount.structures import CrowdDataSample

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


def _paper_scale_groups(head, feats):
    """The groups of eq. 6 computed from the head's weights with torch's
    functional ops, not with its methods: E_l = deconv(1x1 conv(F_l)) at
    input size, then group k takes E_lk as :data:`PAPER_GROUPS` lists them
    (code 10 * l + j is channel j of E_l, levels l = 2..5)."""
    maps = {}
    for level, (x, conv, deconv, s) in enumerate(
            zip(feats, head.score_convs, head.deconvs, (2, 4, 8, 16)),
            start=2):
        e = torch.einsum('nchw,oc->nohw', x, conv.weight[:, :, 0, 0]) + \
            conv.bias.view(1, -1, 1, 1)
        e = F.conv_transpose2d(e, deconv.weight, deconv.bias, stride=s,
                               padding=s // 2)
        assert e.shape[-2:] == (32, 48)
        for j in range(e.shape[1]):
            maps[10 * level + j + 1] = e[:, j]
    return [torch.stack([maps[code] for code in group], dim=1)
            for group in PAPER_GROUPS]


def test_forward_d0_is_fusion_of_stacked_scales():
    head = ScaleRecalibrationHead()
    head.init_weights()
    feats = _feats()
    d0, scales = head(feats)
    assert d0.shape == (2, 1, 32, 48)
    assert [s.shape for s in scales] == [(2, 1, 32, 48)] * 5
    groups = _paper_scale_groups(head, feats)
    for conv, g, s in zip(head.stack_convs, groups, scales):
        # A 1x1 conv n_k -> 1: a weighted sum of the group's maps plus bias.
        expected = sum(conv.weight[0, j, 0, 0] * g[:, j:j + 1]
                       for j in range(g.shape[1])) + conv.bias
        torch.testing.assert_close(s, expected)
    fused = sum(head.fuse.weight[0, k, 0, 0] * scales[k]
                for k in range(5)) + head.fuse.bias
    torch.testing.assert_close(d0, fused)


@pytest.mark.parametrize('mode,reduce', [('sum', torch.sum),
                                         ('mean', torch.mean)])
def test_parameter_free_stack_modes(mode, reduce):
    head = ScaleRecalibrationHead(stack_mode=mode)
    feats = _feats()
    _, scales = head(feats)
    for g, s in zip(_paper_scale_groups(head, feats), scales):
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


def _prepared_samples(gts, masks):
    """Samples as CrowdDataPreprocessor leaves them for a head's loss."""
    samples = []
    for gt, mask in zip(gts, masks):
        sample = CrowdDataSample()
        sample.padded_gt_density = gt
        sample.valid_mask = mask
        samples.append(sample)
    return samples


def test_head_loss_stacks_masks_and_scales_the_gt():
    head = PlainHead(in_channels=8, in_stride=4, density_scale=10.0)
    feats = [torch.randn(2, 8, 4, 4)]
    gt = torch.rand(2, 1, 16, 16)
    mask = torch.ones_like(gt)
    mask[1, :, 8:] = 0  # image 1: bottom half is padding
    losses = head.loss(feats, _prepared_samples(gt, mask))
    d0, _ = head(feats, img_size=(16, 16))
    expected = ((d0 - 10.0 * gt)**2 * mask).sum() / (2 * (256 + 128))
    torch.testing.assert_close(losses['loss_density'], expected)


def test_head_loss_without_prepared_samples_is_an_error():
    head = PlainHead(in_channels=8, in_stride=4)
    with pytest.raises(ValueError, match='CrowdDataPreprocessor'):
        head.loss([torch.randn(1, 8, 4, 4)], [CrowdDataSample()])


def test_head_merges_a_list_of_losses_and_refuses_clashes():
    from hsrcount.registry import MODELS

    @MODELS.register_module(force=True)
    class _PointsSeen(torch.nn.Module):
        def forward(self, pred, target, valid_mask=None, scale_outputs=None,
                    data_samples=None):
            return dict(loss_points=pred.new_tensor(
                float(sum(len(s.gt_points) for s in data_samples))))

    head = PlainHead(in_channels=8, in_stride=4,
                     loss_decode=[dict(type='EuclideanLoss'),
                                  dict(type='_PointsSeen')])
    samples = _prepared_samples(torch.zeros(2, 1, 16, 16),
                                torch.ones(2, 1, 16, 16))
    samples[0].gt_points = torch.zeros(3, 2)
    samples[1].gt_points = torch.zeros(4, 2)
    losses = head.loss([torch.randn(2, 8, 4, 4)], samples)
    assert set(losses) == {'loss_density', 'loss_points'}
    assert losses['loss_points'].item() == 7.0

    twice = PlainHead(in_channels=8, in_stride=4,
                      loss_decode=[dict(type='EuclideanLoss')] * 2)
    with pytest.raises(ValueError, match='loss_density'):
        twice.loss([torch.randn(2, 8, 4, 4)], samples)


def test_head_predict_crops_unscales_and_sums_in_roi():
    head = ScaleRecalibrationHead(density_scale=50.0)
    head.init_weights()
    feats = _feats(h=32, w=48)
    d0, scales = head(feats)
    sample = CrowdDataSample(metainfo=dict(img_shape=(30, 40),
                                           batch_input_shape=(32, 48)))
    sample.roi = torch.zeros(1, 30, 40, dtype=torch.uint8)
    sample.roi.data[:, :10] = 1
    other = CrowdDataSample(metainfo=dict(img_shape=(32, 48),
                                          batch_input_shape=(32, 48)))
    out = head.predict(feats, [sample, other], with_scales=True)
    torch.testing.assert_close(out[0].pred_density.data,
                               d0[0, :, :30, :40] / 50.0)
    assert out[0].pred_count == pytest.approx(
        float(d0[0, 0, :10, :40].detach().sum() / 50.0), rel=1e-5)
    assert out[1].pred_count == pytest.approx(
        float(d0[1].detach().sum() / 50.0), rel=1e-5)
    assert out[0].pred_scales.data.shape == (5, 30, 40)
    torch.testing.assert_close(out[1].pred_scales.data[2],
                               scales[2][1, 0] / 50.0)
