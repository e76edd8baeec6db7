# MCNN (Zhang et al., CVPR 2016): three columns (9/7/7/7, 7/5/5/5, 5/3/3/3
# kernels), concatenated at stride 4, fused by a 1x1 conv. Trained from
# N(0, 0.01), without ImageNet weights. A complete model on its own: it
# shares no base with HSRNet.
data_preprocessor = dict(
    type='CrowdDataPreprocessor',
    mean=(123.675, 116.28, 103.53),
    std=(58.395, 57.12, 57.375),
    bgr_to_rgb=True,
    pad_size_divisor=16)
model = dict(
    type='CrowdCounter',
    data_preprocessor=data_preprocessor,
    backbone=dict(type='MCNN'),
    neck=None,
    head=dict(
        type='PlainHead',
        in_channels=30,
        in_stride=4,
        # GT densities are multiplied by this in the loss and predictions
        # divided by it: a density of ~1e-3 people/pixel gives too small a
        # gradient.
        density_scale=100.0,
        loss_decode=dict(type='EuclideanLoss')))
