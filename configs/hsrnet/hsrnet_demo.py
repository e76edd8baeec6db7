# HSRNet on the built-in synthetic crowds, sized to train on 2 CPU cores in
# a few minutes (`make demo`). No ImageNet weights: the backbone has batch
# norm and trains from N(0, 0.01), with a higher learning rate than the
# paper's 1e-5 to learn in few iterations.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/synthetic_demo.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(with_bn=True, num_pretrained_convs=0, init_cfg=None))
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
