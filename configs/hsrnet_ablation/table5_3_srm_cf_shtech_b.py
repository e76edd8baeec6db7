# Table 5, row 3 (Backbone + SRM + Channel Focus), Euclidean loss only.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    neck=dict(mode='channel'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
