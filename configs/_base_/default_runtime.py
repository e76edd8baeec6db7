default_scope = 'hsrcount'

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # Written atomically; keeps the checkpoint with the best validation MAE.
    checkpoint=dict(
        type='AtomicCheckpointHook',
        by_epoch=False,
        interval=2000,
        max_keep_ckpts=3,
        save_best='MAE',
        rule='less'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Off by default; tools/test.py --show-dir turns it on.
    visualization=dict(type='CrowdVisualizationHook'))

# Stops training on a NaN/inf loss before anything is saved.
custom_hooks = [dict(type='FiniteLossHook')]

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='CrowdLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
