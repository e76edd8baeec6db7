# Figure 4: channel-focus reduction ratio r = 128 (the paper's r = 64 is
# configs/hsrnet/hsrnet_shtech_b.py).
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(neck=dict(reduction=128))
