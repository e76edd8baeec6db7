# HSRNet on Mall, the paper's recipe (sec. 4.1).
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/mall.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
