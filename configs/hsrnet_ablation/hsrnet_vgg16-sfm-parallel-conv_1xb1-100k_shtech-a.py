# HSRNet on ShanghaiTech Part A, paper recipe, with the Scale Focus Module
# order 'parallel_conv': Channel and Spatial Focus side by side, outputs
# stacked and fused by a conv. Table 6, row "(Channel (+) Spatial) + Conv",
# Part A
# (Channel+Spatial, the paper's choice, is configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(mode='parallel_conv'))
