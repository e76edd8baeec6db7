# VGG-16, Channel Focus only (no Spatial Focus) and the Scale Recalibration
# head, Euclidean loss on D0 only, on ShanghaiTech Part A.
# Table 5, row 3 (Backbone + SRM + CF).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    neck=dict(mode='channel'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
