# HSRNet on ShanghaiTech Part A, paper recipe, with Channel Focus reduction
# ratio r = 32 instead of 64. Figure 4, the point r = 32 of the Part A
# curve (r = 64 is configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(reduction=32))
