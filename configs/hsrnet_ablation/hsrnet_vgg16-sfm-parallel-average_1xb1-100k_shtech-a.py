# HSRNet on ShanghaiTech Part A, paper recipe, with the Scale Focus Module
# order 'parallel_average': Channel and Spatial Focus side by side, outputs
# averaged. Table 6, row "(Channel (+) Spatial) + average", Part A
# (Channel+Spatial, the paper's choice, is configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(mode='parallel_average'))
