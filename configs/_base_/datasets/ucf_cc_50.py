# UCFCC50Dataset (see docs/dataset_prepare.md) with the paper's training
# recipe from crowd_counting.py. 5-fold protocol: fold k tests on images
# 10k+1..10k+10 and trains on the other 40; run folds 0-4 and average.
# Model selection: 5 of the fold's 40 training images, drawn with seed 0,
# are held out for validation; the fold's test images are read by
# tools/test.py only. Heads annotated off their image are clipped to the
# border (the release's official count).
_base_ = ['./crowd_counting.py']

dataset_type = 'UCFCC50Dataset'
data_root = 'data/UCF_CC_50'
carve = dict(num_val=5, seed=0)
# The cross-validation fold, 0 to 4 (UCFCC50Dataset's `fold`), used by the
# train, validation and test datasets. A config for another fold must
# restate it in all three, as configs/hsrnet/hsrnet_ucf_cc_50_fold1.py does
# (changing only this variable, e.g. with --cfg-options fold=1, does not
# reach them).
fold = 0

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type, data_root=data_root, fold=fold, split='train',
            val_split='train', **carve)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, fold=fold, split='train',
        val_split='val', **carve))
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, fold=fold))
