# CSRNet baseline (Li et al., CVPR 2018) on ShanghaiTech Part B, trained with
# HSRNet's data pipeline and schedule (Adam 1e-5, 100k iterations at batch 1
# on one GPU) for a like-for-like comparison. No paper row (Table 1's CSRNet
# row quotes CSRNet's own paper and recipe).
_base_ = [
    '../_base_/models/csrnet.py', '../_base_/datasets/shanghaitech_b.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
