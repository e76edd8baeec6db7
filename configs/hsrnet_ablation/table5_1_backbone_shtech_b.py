# Table 5, row 1 ("Backbone"): VGG-16 and a 1x1 conv on its last feature,
# Euclidean loss on D0 only. No SFM, no SRM, no Scale Consistency.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    backbone=dict(out_indices=(4, )),
    neck=None,
    head=dict(
        _delete_=True,
        type='PlainHead',
        in_channels=512,
        in_stride=16,
        loss_decode=dict(type='EuclideanLoss')))
