# HSRNet on ShanghaiTech Part A, paper recipe, with the Scale Focus Module
# order 'spatial_channel': Spatial Focus first, then Channel Focus.
# Table 6, row "Spatial+Channel", Part A
# (Channel+Spatial, the paper's choice, is configs/hsrnet/hsrnet_shtech_a.py).
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(mode='spatial_channel'))
