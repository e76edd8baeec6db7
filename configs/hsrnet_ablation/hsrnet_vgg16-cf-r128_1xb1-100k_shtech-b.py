# HSRNet on ShanghaiTech Part B, paper recipe, with Channel Focus reduction
# ratio r = 128 instead of 64. Figure 4, the point r = 128 of the Part B
# curve (r = 64 is configs/hsrnet/hsrnet_shtech_b.py).
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(neck=dict(reduction=128))
