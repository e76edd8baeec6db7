# HSRNet on UCF_CC_50, cross-validation fold 0 (tests on images 1-10, trains
# on 11-50), with the paper's recipe (sec. 4.1): ImageNet VGG-16, Adam 1e-5,
# 100k iterations at batch 1 on one GPU. Folds 1-4 are
# hsrnet_ucf_cc_50_fold1.py .. hsrnet_ucf_cc_50_fold4.py; report the mean of
# the five. The paper reports no UCF_CC_50 result, so no table row.
_base_ = [
    '../_base_/models/hsrnet.py', '../_base_/datasets/ucf_cc_50.py',
    '../_base_/schedules/adam_1e-5_100k.py', '../_base_/default_runtime.py'
]
