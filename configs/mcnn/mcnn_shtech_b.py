# MCNN baseline (Zhang et al., CVPR 2016) on ShanghaiTech Part B, trained
# with HSRNet's data pipeline and schedule (Adam 1e-5, 100k iterations at
# batch 1 on one GPU) for a like-for-like comparison. No paper row (Table 1's
# MCNN row quotes MCNN's own paper and recipe).
_base_ = [
    '../_base_/models/mcnn.py', '../_base_/datasets/shanghaitech_b.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
