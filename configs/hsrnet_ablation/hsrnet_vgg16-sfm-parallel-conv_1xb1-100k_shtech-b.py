# HSRNet on ShanghaiTech Part B, paper recipe, with the Scale Focus Module
# order 'parallel_conv': Channel and Spatial Focus side by side, outputs
# stacked and fused by a conv. Table 6, row "(Channel (+) Spatial) + Conv",
# Part B
# (Channel+Spatial, the paper's choice, is configs/hsrnet/hsrnet_shtech_b.py).
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(neck=dict(mode='parallel_conv'))
