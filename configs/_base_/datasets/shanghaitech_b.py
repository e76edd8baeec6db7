# ShanghaiTech Part B (see docs/dataset_prepare.md): everything as Part A
# (shanghaitech_a.py), including the validation carve (30 of the 400
# training images, seed 0); only the data root differs.
_base_ = ['./shanghaitech_a.py']

data_root = 'data/ShanghaiTech/part_B'

train_dataloader = dict(dataset=dict(dataset=dict(data_root=data_root)))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
