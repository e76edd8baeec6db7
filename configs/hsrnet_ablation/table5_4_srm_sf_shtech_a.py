# Table 5, row 4 (Backbone + SRM + Spatial Focus), Euclidean loss only.
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    neck=dict(mode='spatial'),
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
