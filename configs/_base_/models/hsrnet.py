# HSRNet (paper sec. 3): VGG-16 -> Scale Focus Module on the last feature of
# stages 2-5 -> Scale Recalibration head (E2..E5 with 2, 3, 4, 5 channels,
# slice/stack into D1..D5, 1x1 fusion into D0) trained with the Scale
# Consistency loss. The first ten convs come from ImageNet VGG-16, the rest
# from N(0, 0.01) (sec. 4.1).
data_preprocessor = dict(
    type='CrowdDataPreprocessor',
    mean=(123.675, 116.28, 103.53),
    std=(58.395, 57.12, 57.375),
    bgr_to_rgb=True,
    pad_size_divisor=16)
model = dict(
    type='CrowdCounter',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VGG16',
        out_indices=(1, 2, 3, 4),
        with_bn=False,
        num_pretrained_convs=10,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')),
    neck=dict(
        type='ScaleFocusModule',
        in_channels=(128, 256, 512, 512),
        reduction=64,
        mode='channel_spatial'),
    head=dict(
        type='ScaleRecalibrationHead',
        in_channels=(128, 256, 512, 512),
        strides=(2, 4, 8, 16),
        score_channels=(2, 3, 4, 5),
        stack_mode='conv',
        # GT densities are multiplied by this in the loss and predictions
        # divided by it: a density of ~1e-3 people/pixel gives too small a
        # gradient.
        density_scale=100.0,
        loss_decode=dict(
            type='ScaleConsistencyLoss',
            lambdas=(1.0, 1.0, 1.0, 1.0, 1.0),
            learnable=False)))
