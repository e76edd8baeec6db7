"""Figure 5 of the paper: the GT density pyramid beside the scale outputs.

Top row: the GT density, then its Scale Consistency pyramid (average
pooling with kernel 1, 2, 4, 8, 16, bilinearly upsampled back; the levels
the loss compares D1..D5 with). Bottom row: the fused prediction D0, then
D1..D5. Every title carries the panel's count: the sum of the map over the
whole image (no ROI), D_k divided by the head's ``density_scale``.
"""
import torch

from hsrcount.models.losses.scale_consistency import (PYRAMID_KERNELS,
                                                      build_gt_pyramid)
from hsrcount.visualization.density_figure import draw_panels
from .model_outputs import scale_outputs


def pyramid_kernels(model):
    """The pooling kernels the model's loss pairs with D1..DK.

    Args:
        model (CrowdCounter): The counter.

    Returns:
        tuple[int]: ``head.loss_decode.kernels`` when the loss has them,
        else (1, 2, 4, 8, 16).
    """
    loss = getattr(model.head, 'loss_decode', None)
    return tuple(getattr(loss, 'kernels', PYRAMID_KERNELS))


def scale_pyramid(model, inputs, data_sample):
    """The maps and counts of Figure 5 for one image.

    Args:
        model (CrowdCounter): A counter whose head returns ``(D0, [D1..DK])``.
        inputs (Tensor): (3, H, W) uint8 BGR.
        data_sample (CrowdDataSample): With ``gt_density`` (1, H, W) for the
            GT row; without it only the prediction row is made.

    Returns:
        dict: ``kernels``; ``gt`` (list of ``(title, (H, W) map, count)``:
        the GT then one per kernel; empty without GT) and ``pred`` (``D0``
        then ``D1..DK``, same form).
    """
    kernels = pyramid_kernels(model)
    d0, scales = scale_outputs(model, inputs, data_sample)
    if len(scales) != len(kernels):
        raise ValueError(f'the model has {len(scales)} scale outputs but its '
                         f'pyramid has {len(kernels)} kernels {kernels}')
    pred = [('D0', d0, float(d0.sum()))]
    pred += [(f'D{k + 1}', d, float(d.sum())) for k, d in enumerate(scales)]
    gt = []
    if 'gt_density' in data_sample:
        density = torch.as_tensor(data_sample.gt_density.data,
                                  dtype=torch.float32)
        gt.append(('GT', density[0].numpy(), float(density.sum())))
        for k, level in zip(kernels, build_gt_pyramid(density[None],
                                                      kernels)):
            level = level[0, 0].numpy()
            gt.append((f'GT pool {k}', level, float(level.sum())))
    return dict(kernels=kernels, gt=gt, pred=pred)


def draw_scale_pyramid(pyramid, shared_scale=False, panel_width=200):
    """Draw the GT pyramid row over the prediction row.

    Args:
        pyramid (dict): From :func:`scale_pyramid`.
        shared_scale (bool): One colour scale for every panel, the density
            scale of :func:`hsrcount.visualization.draw_panels` (with its
            colour bar). Defaults to False: each panel spans its own range
            (1st to 99th percentile), which shows where each scale responds
            (scale outputs can be negative and far apart in magnitude).
        panel_width (int): Cell width in pixels. Defaults to 200.

    Returns:
        tuple: ``picture`` ((h, w, 3) uint8 RGB) and ``titles`` (the panel
        titles, row by row).
    """
    kind = 'density' if shared_scale else 'heatmap'
    panels = [(m, f'{title}: {count:.1f}', kind)
              for title, m, count in pyramid['gt'] + pyramid['pred']]
    picture = draw_panels(panels, ncols=len(pyramid['pred']),
                          panel_width=panel_width)
    return picture, [t for _, t, _ in panels]
