# VGG-16 and the Scale Recalibration head on the raw backbone features (no
# Scale Focus), Euclidean loss on D0 only, on ShanghaiTech Part B.
# Table 5, row 2 (Backbone + SRM).
# The paper runs Table 5 on Part A only; this Part B run has no paper
# row.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    neck=None,
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
