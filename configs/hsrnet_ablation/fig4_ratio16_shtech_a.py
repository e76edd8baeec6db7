# Figure 4: channel-focus reduction ratio r = 16 (the paper's r = 64 is
# configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(reduction=16))
