# VGG-16 and the Scale Recalibration head on the raw backbone features (no
# Scale Focus), Euclidean loss on D0 only, on ShanghaiTech Part A.
# Table 5, row 2 (Backbone + SRM).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    neck=None,
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
