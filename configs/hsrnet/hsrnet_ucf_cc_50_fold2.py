# HSRNet on UCF_CC_50, cross-validation fold 2 (tests on images 21-30,
# trains on the other 40): hsrnet_ucf_cc_50.py (fold 0) with only the fold
# changed. The paper reports no UCF_CC_50 result, so no table row.
_base_ = ['./hsrnet_ucf_cc_50.py']

fold = 2
train_dataloader = dict(dataset=dict(dataset=dict(fold=fold)))
val_dataloader = dict(dataset=dict(fold=fold))
test_dataloader = dict(dataset=dict(fold=fold))
