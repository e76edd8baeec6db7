# Table 6: the Scale Focus Module with order 'spatial_channel'. The paper's
# choice, channel_spatial, is configs/hsrnet/hsrnet_shtech_b.py.
_base_ = ['../hsrnet/hsrnet_shtech_b.py']
model = dict(neck=dict(mode='spatial_channel'))
