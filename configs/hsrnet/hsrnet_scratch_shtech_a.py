# HSRNet on ShanghaiTech Part A without ImageNet weights (none can be
# fetched offline): batch norm after every backbone conv, all layers from
# N(0, 0.01), and a learning rate of 1e-4 instead of the paper's 1e-5;
# otherwise hsrnet_shtech_a.py. A departure from the paper, no table row.
_base_ = ['./hsrnet_shtech_a.py']
model = dict(
    backbone=dict(with_bn=True, num_pretrained_convs=0, init_cfg=None))
optim_wrapper = dict(optimizer=dict(lr=1e-4))
