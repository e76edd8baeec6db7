# CSRNet baseline (Li et al., CVPR 2018) on NWPU-Crowd, trained with
# HSRNet's data pipeline and schedule (Adam 1e-5, 100k iterations at batch 1
# on one GPU) for a like-for-like comparison with
# configs/hsrnet/hsrnet_nwpu_crowd.py. No paper row.
_base_ = [
    '../_base_/models/csrnet.py', '../_base_/datasets/nwpu_crowd.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
