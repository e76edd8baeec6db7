# CSRNet baseline on ShanghaiTech Part B, trained with the same data
# pipeline and schedule as HSRNet for a like-for-like comparison.
_base_ = [
    '../_base_/models/csrnet.py', '../_base_/datasets/shanghaitech_b.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
