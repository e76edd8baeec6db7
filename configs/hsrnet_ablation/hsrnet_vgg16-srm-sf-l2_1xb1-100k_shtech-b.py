# VGG-16, Spatial Focus only (no Channel Focus) and the Scale Recalibration
# head, Euclidean loss on D0 only, on ShanghaiTech Part B.
# Table 5, row 4 (Backbone + SRM + SF; the paper prints CF ticked too, its
# text says SF alone).
# The paper runs Table 5 on Part A only; this Part B run has no paper
# row.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    neck=dict(mode='spatial'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
