# Table 5, row 2 (Backbone + SRM): the Scale Recalibration head on the raw
# backbone features, Euclidean loss on D0 only.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(
    neck=None,
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
