# Table 5, row 5 (Backbone + SRM + Channel then Spatial Focus), Euclidean
# loss only. Row 6 (+ Scale Consistency) is configs/hsrnet/hsrnet_shtech_a.py.
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(
    head=dict(loss_decode=dict(_delete_=True, type='EuclideanLoss')))
