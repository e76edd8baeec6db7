# CSRNet (Li et al., CVPR 2018): VGG-16 front end up to conv4_3 (stride 8)
# and a dilated back end; the map is upsampled to the input keeping the count.
# The front end (ten convs) comes from ImageNet VGG-16, the back end from
# N(0, 0.01). A complete model on its own: it shares no base with HSRNet.
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
        num_stages=4,
        out_indices=(3, ),
        with_bn=False,
        num_pretrained_convs=10,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://vgg16')),
    neck=None,
    head=dict(
        type='CSRNetHead',
        in_channels=512,
        backend_channels=(512, 512, 512, 256, 128, 64),
        dilation=2,
        in_stride=8,
        # GT densities are multiplied by this in the loss and predictions
        # divided by it: a density of ~1e-3 people/pixel gives too small a
        # gradient.
        density_scale=100.0,
        loss_decode=dict(type='EuclideanLoss')))
