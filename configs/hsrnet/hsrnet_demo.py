# HSRNet on the built-in synthetic crowds, sized to train on 2 CPU cores in
# a few minutes (`make demo`); no paper row. Departures from the paper, for
# that budget only: no ImageNet weights (batch-norm backbone trained from
# N(0, 0.01)), half-width VGG-16 (width_ratio=0.5), channel-focus ratio 16
# instead of 64 (64 would leave 1-4 hidden units at half width), Adam at
# 1e-3, 300 iterations at batch 4.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/synthetic_demo.py',
    '../_base_/default_runtime.py'
]
channels = (64, 128, 256, 256)
model = dict(
    backbone=dict(
        with_bn=True, width_ratio=0.5, num_pretrained_convs=0,
        init_cfg=None),
    neck=dict(in_channels=channels, reduction=16),
    head=dict(in_channels=channels))
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = []
train_cfg = dict(type='IterBasedTrainLoop', max_iters=300, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100, max_keep_ckpts=2))
env_cfg = dict(cudnn_benchmark=False)
# Testing also scores the head points of every prediction (docs/
# localization.md): precision, recall and F1 within 4 and 8 pixels.
test_evaluator = [
    dict(type='CrowdCountingMetric'),
    dict(type='LocalizationMetric', thresholds=(4, 8))
]
