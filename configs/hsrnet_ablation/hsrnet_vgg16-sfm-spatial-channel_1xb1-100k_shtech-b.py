# HSRNet on ShanghaiTech Part B, paper recipe, with the Scale Focus Module
# order 'spatial_channel': Spatial Focus first, then Channel Focus.
# Table 6, row "Spatial+Channel", Part B
# (Channel+Spatial, the paper's choice, is configs/hsrnet/hsrnet_shtech_b.py).
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(neck=dict(mode='spatial_channel'))
