# CSRNet baseline (Li et al., CVPR 2018) on JHU-Crowd++, trained with
# HSRNet's data pipeline and schedule (Adam 1e-5, 100k iterations at batch 1
# on one GPU) for a like-for-like comparison with
# configs/hsrnet/hsrnet_jhu_crowd.py. No paper row.
_base_ = [
    '../_base_/models/csrnet.py', '../_base_/datasets/jhu_crowd.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
