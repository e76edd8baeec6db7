# MCNN (Zhang et al., CVPR 2016): three columns (9/7/7/7, 7/5/5/5, 5/3/3/3
# kernels), concatenated at stride 4, fused by a 1x1 conv. Trained from
# N(0, 0.01), without ImageNet weights.
_base_ = ['./hsrnet.py']
model = dict(
    backbone=dict(_delete_=True, type='MCNN'),
    neck=None,
    head=dict(
        _delete_=True,
        type='PlainHead',
        in_channels=30,
        in_stride=4,
        loss_decode=dict(type='EuclideanLoss')))
