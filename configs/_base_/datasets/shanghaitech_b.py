# ShanghaiTech Part B (see docs/dataset_prepare.md): everything as Part A
# (shanghaitech_a.py), only the data root differs.
_base_ = ['./shanghaitech_a.py']

data_root = 'data/ShanghaiTech/part_B'

train_dataloader = dict(dataset=dict(dataset=dict(data_root=data_root)))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
