# ShanghaiTech Part A (see docs/dataset_prepare.md) with the paper's
# training recipe from crowd_counting.py: random scale, 14 patches per image,
# flip, geometry-adaptive kernels (k=3, beta=0.3); test on whole images.
_base_ = ['./crowd_counting.py']

dataset_type = 'ShanghaiTechDataset'
data_root = 'data/ShanghaiTech/part_A'

train_dataloader = dict(
    dataset=dict(dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
