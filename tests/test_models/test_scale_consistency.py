"""Euclidean and Scale Consistency losses, and the GT pyramid."""
import math

import numpy as np
import pytest
import torch

from hsrcount.models import (EuclideanLoss, ScaleConsistencyLoss,
                             build_gt_pyramid)


def _bilinear_up(x, k):
    """Bilinear upsampling by k, align_corners=False, written out (numpy)."""
    h, w = x.shape
    out = np.zeros((h * k, w * k))
    for oy in range(h * k):
        for ox in range(w * k):
            sy = max((oy + 0.5) / k - 0.5, 0)
            sx = max((ox + 0.5) / k - 0.5, 0)
            y0, x0 = min(int(math.floor(sy)), h - 1), min(
                int(math.floor(sx)), w - 1)
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = sy - y0, sx - x0
            out[oy, ox] = ((1 - fy) * (1 - fx) * x[y0, x0] +
                           (1 - fy) * fx * x[y0, x1] +
                           fy * (1 - fx) * x[y1, x0] + fy * fx * x[y1, x1])
    return out


def _pyramid_level(d, k):
    h, w = d.shape
    pooled = d.reshape(h // k, k, w // k, k).mean(axis=(1, 3))
    return _bilinear_up(pooled, k)


def _masked_pyramid_level(d, m, k):
    """Mask-aware level, by hand: each cell is the mean of its valid pixels;
    cells and their validity are upsampled alike and divided."""
    h, w = d.shape
    cells = np.zeros((h // k, w // k))
    has = np.zeros_like(cells)
    for r in range(h // k):
        for c in range(w // k):
            dm = d[r * k:(r + 1) * k, c * k:(c + 1) * k]
            mm = m[r * k:(r + 1) * k, c * k:(c + 1) * k]
            if mm.sum() > 0:
                cells[r, c] = (dm * mm).sum() / mm.sum()
                has[r, c] = 1
    up, weight = _bilinear_up(cells, k), _bilinear_up(has, k)
    return np.where(weight > 0, up / np.maximum(weight, 1e-12), 0)


def test_gt_pyramid_matches_hand_computation():
    torch.manual_seed(0)
    d = torch.rand(1, 1, 8, 12, dtype=torch.float64)
    pyramid = build_gt_pyramid(d, kernels=(1, 2, 4))
    assert torch.equal(pyramid[0], d)
    for level, k in zip(pyramid[1:], (2, 4)):
        np.testing.assert_allclose(level[0, 0].numpy(),
                                   _pyramid_level(d[0, 0].numpy(), k),
                                   rtol=1e-10)


def test_gt_pyramid_keeps_the_count():
    torch.manual_seed(0)
    d = torch.zeros(2, 1, 32, 48)
    d[:, :, 3:29, 5:40] = torch.rand(2, 1, 26, 35)
    d[:, :, 0, 0] = 1.0  # mass in a corner: the border keeps it too
    for level in build_gt_pyramid(d):
        assert level.shape == d.shape
        torch.testing.assert_close(level.sum((1, 2, 3)), d.sum((1, 2, 3)))
    # Not a multiple of the kernel: padded, most of the mass kept.
    odd = torch.rand(1, 1, 21, 19)
    level = build_gt_pyramid(odd, kernels=(4, ))[0]
    assert level.shape == odd.shape
    assert abs(level.sum() / odd.sum() - 1) < 0.1


def test_gt_pyramid_is_mask_aware_at_the_border_and_roi():
    """A uniform density stays uniform to the last row and column when H, W
    are no multiple of the kernel (zero padding used to dilute the border
    cells: 0.46 on the last row at kernel 16), and inside a ROI."""
    d = torch.ones(1, 1, 20, 21, dtype=torch.float64)
    for level in build_gt_pyramid(d):
        torch.testing.assert_close(level, d)
    mask = torch.zeros_like(d)
    mask[..., 2:13, 3:17] = 1
    for level in build_gt_pyramid(d * mask, kernels=(2, 4, 8, 16),
                                  valid_mask=mask):
        inside = level[mask > 0]
        torch.testing.assert_close(inside, torch.ones_like(inside))
    # Against the hand computation, with a random map and mask.
    torch.manual_seed(1)
    d = torch.rand(1, 1, 16, 24, dtype=torch.float64)
    mask = (torch.rand_like(d) > 0.3).to(d.dtype)
    for k in (2, 4, 8):
        level = build_gt_pyramid(d, kernels=(k, ), valid_mask=mask)[0]
        np.testing.assert_allclose(
            level[0, 0].numpy(),
            _masked_pyramid_level(d[0, 0].numpy(), mask[0, 0].numpy(), k),
            rtol=1e-10, atol=1e-12)


def test_euclidean_loss_hand_computation():
    pred = torch.tensor([[[[1., 2.], [3., 4.]]]])
    gt = torch.tensor([[[[0., 2.], [1., 1.]]]])
    mask = torch.tensor([[[[1., 1.], [1., 0.]]]])
    # Valid: (1-0)^2 + 0 + (3-1)^2 = 5 over 3 valid pixels.
    out = EuclideanLoss(loss_weight=2.0)(pred, gt, mask)
    torch.testing.assert_close(out['loss_density'], torch.tensor(2 * 5 / 6))
    full = EuclideanLoss()(pred, gt)['loss_density']
    torch.testing.assert_close(full, torch.tensor((5 + 9) / 8))


def test_scale_consistency_hand_computation():
    torch.manual_seed(0)
    gt = torch.rand(2, 1, 8, 8, dtype=torch.float64)
    mask = torch.ones_like(gt)
    mask[1, :, 6:, :] = 0
    d0 = torch.rand_like(gt)
    scales = [torch.rand_like(gt) for _ in range(3)]
    lambdas = (0.5, 2.0, 3.0)
    loss = ScaleConsistencyLoss(lambdas=lambdas, kernels=(1, 2, 4))
    out = loss(d0, gt, mask, scale_outputs=scales)
    assert list(out) == ['loss_density', 'loss_scale1', 'loss_scale2',
                         'loss_scale3']
    n_valid = 2 * 64 - 16
    gt_np, m_np = (gt * mask).numpy(), mask.numpy()
    expected0 = ((d0.numpy() - gt_np)**2 * m_np).sum() / (2 * n_valid)
    np.testing.assert_allclose(out['loss_density'].item(), expected0)
    for i, (k, lam) in enumerate(zip((1, 2, 4), lambdas)):
        level = np.stack([
            _masked_pyramid_level(gt_np[n, 0], m_np[n, 0], k)
            for n in range(2)
        ])[:, None]
        expected = lam * ((scales[i].numpy() - level)**2 * m_np).sum() / (
            2 * n_valid)
        np.testing.assert_allclose(out[f'loss_scale{i + 1}'].item(),
                                   expected, rtol=1e-10)


def test_gt_outside_the_mask_is_ignored():
    torch.manual_seed(0)
    gt = torch.rand(1, 1, 16, 16)
    mask = torch.ones_like(gt)
    mask[..., 8:] = 0
    preds = [torch.rand_like(gt) for _ in range(6)]
    loss = ScaleConsistencyLoss()
    a = loss(preds[0], gt, mask, scale_outputs=preds[1:])
    gt2 = gt.clone()
    gt2[..., 8:] += 5.0  # changes only the masked-out half
    b = loss(preds[0], gt2, mask, scale_outputs=preds[1:])
    for key in a:
        torch.testing.assert_close(a[key], b[key])


def test_learnable_weights_uncertainty_form():
    """Term i is exp(-s_i) L_i + s_i with s_i = -log(lambda_i), L_i the
    Euclidean loss of D_i against level i of the GT pyramid, all by hand;
    d/ds_i = 1 - lambda_i L_i."""
    torch.manual_seed(0)
    lambdas = (1., 2., 4., 1., 1.)
    loss = ScaleConsistencyLoss(lambdas=lambdas, learnable=True)
    torch.testing.assert_close(loss.log_vars.detach(),
                               -torch.tensor(lambdas).log())
    gt = torch.rand(1, 1, 16, 16)
    preds = [torch.rand_like(gt, requires_grad=True) for _ in range(6)]
    out = loss(preds[0], gt, None, scale_outputs=preds[1:])
    g = gt[0, 0].double().numpy()
    hand = []  # L_i: sum of squares over 2 * 256 pixels
    for i, k in enumerate((1, 2, 4, 8, 16)):
        d = preds[i + 1][0, 0].detach().double().numpy()
        hand.append(((d - _pyramid_level(g, k))**2).sum() / (2 * 256))
        np.testing.assert_allclose(out[f'loss_scale{i + 1}'].item(),
                                   lambdas[i] * hand[i] - math.log(
                                       lambdas[i]), rtol=1e-5)
        assert out[f'lambda_scale{i + 1}'].item() == pytest.approx(
            lambdas[i])
    sum(v for k, v in out.items() if 'loss' in k).backward()
    np.testing.assert_allclose(loss.log_vars.grad.numpy(),
                               1 - np.array(lambdas) * hand, rtol=1e-5)


def test_errors():
    with pytest.raises(ValueError, match='needs 5 scale outputs, got none'):
        ScaleConsistencyLoss()(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4,
                                                                   4))
    with pytest.raises(ValueError, match='3 lambdas for 5 kernels'):
        ScaleConsistencyLoss(lambdas=(1, 1, 1))
    with pytest.raises(ValueError, match='positive'):
        ScaleConsistencyLoss(lambdas=(1, 0, 1, 1, 1), learnable=True)
    with pytest.raises(ValueError, match='differ in shape'):
        EuclideanLoss()(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5))


@pytest.mark.parametrize('learnable', [False, True])
def test_loss_weight_multiplies_every_term(learnable):
    """loss_weight scales L0 and each weighted scale term (with the + s_i
    of learnable weights), against the hand computation of each term."""
    torch.manual_seed(0)
    gt = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    d0 = torch.rand_like(gt)
    scales = [torch.rand_like(gt) for _ in range(2)]
    lambdas, weight = (0.5, 4.0), 2.5
    loss = ScaleConsistencyLoss(lambdas=lambdas, kernels=(1, 2),
                                learnable=learnable, loss_weight=weight)
    out = loss(d0, gt, None, scale_outputs=scales)
    g = gt[0, 0].numpy()

    def half_mse(pred, target):  # sum of squares / (2 * pixels)
        return ((pred[0, 0].detach().numpy() - target)**2).sum() / (2 * 64)

    np.testing.assert_allclose(out['loss_density'].item(),
                               weight * half_mse(d0, g), rtol=1e-6)
    for i, (k, lam) in enumerate(zip((1, 2), lambdas)):
        term = lam * half_mse(scales[i], _pyramid_level(g, k))
        if learnable:
            term += -math.log(lam)  # s_i = -log(lambda_i)
        np.testing.assert_allclose(out[f'loss_scale{i + 1}'].item(),
                                   weight * term, rtol=1e-6)
