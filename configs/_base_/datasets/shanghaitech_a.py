# ShanghaiTech Part A (see docs/dataset_prepare.md) with the paper's
# training recipe from crowd_counting.py: random scale, 14 patches per image,
# flip (hsrcount's addition), geometry-adaptive kernels (k=3, beta=0.3);
# test on whole images. Heads annotated off their image are clipped to the
# border by the dataset's loader (the release's official count).
#
# Model selection: 30 of the 300 training images, drawn with seed 0, are
# held out for validation (`save_best` on their MAE) and the other 270
# train; the test split (182 images) is read by tools/test.py only.
_base_ = ['./crowd_counting.py']

dataset_type = 'ShanghaiTechDataset'
data_root = 'data/ShanghaiTech/part_A'
carve = dict(num_val=30, seed=0)

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type, data_root=data_root, split='train',
            val_split='train', **carve)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train',
        val_split='val', **carve))
test_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
