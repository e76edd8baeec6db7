# VGG-16 and a 1x1 conv on its last feature (stride 16), Euclidean loss on
# the density map only, on ShanghaiTech Part A: no Scale Focus, no Scale
# Recalibration, no Scale Consistency. Table 5, row 1 ("Backbone").
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    backbone=dict(out_indices=(4, )),
    neck=None,
    head=dict(
        _delete_=True,
        type='PlainHead',
        in_channels=512,
        in_stride=16,
        # HSRNet's density unit, so the rows differ only in the network.
        density_scale={{_base_.model.head.density_scale}},
        loss_decode=dict(type='EuclideanLoss')))
