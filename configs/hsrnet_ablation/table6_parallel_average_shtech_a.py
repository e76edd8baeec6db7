# Table 6: the Scale Focus Module with order 'parallel_average'. The paper's
# choice, channel_spatial, is configs/hsrnet/hsrnet_shtech_a.py.
_base_ = ['../hsrnet/hsrnet_shtech_a.py']
model = dict(neck=dict(mode='parallel_average'))
