# VGG-16, Channel Focus only (no Spatial Focus) and the Scale Recalibration
# head, Euclidean loss on D0 only, on ShanghaiTech Part B.
# Table 5, row 3 (Backbone + SRM + CF).
# The paper runs Table 5 on Part A only; this Part B run has no paper
# row.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    neck=dict(mode='channel'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
