# VGG-16, Spatial Focus only (no Channel Focus) and the Scale Recalibration
# head, Euclidean loss on D0 only, on ShanghaiTech Part A.
# Table 5, row 4 (Backbone + SRM + SF; the paper prints CF ticked too, its
# text says SF alone).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    neck=dict(mode='spatial'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
