# WorldExpoDataset (see docs/dataset_prepare.md) with the paper's training
# recipe from crowd_counting.py. Test MAE is reported per scene (S1-S5) and
# as their average, as in Table 3.
_base_ = ['./crowd_counting.py']

dataset_type = 'WorldExpoDataset'
data_root = 'data/world_expo'

train_dataloader = dict(
    dataset=dict(dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

val_evaluator = dict(per_scene=True)
test_evaluator = val_evaluator
