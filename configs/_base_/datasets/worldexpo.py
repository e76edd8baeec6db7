# WorldExpoDataset (see docs/dataset_prepare.md) with the paper's training
# recipe from crowd_counting.py. Test MAE is reported per scene (S1-S5) and
# as their average, as in Table 3.
#
# Model selection: 300 of the 3380 training frames, drawn with seed 0, are
# held out for validation; the five test scenes are read by tools/test.py
# only.
_base_ = ['./crowd_counting.py']

dataset_type = 'WorldExpoDataset'
data_root = 'data/world_expo'
carve = dict(num_val=300, seed=0)

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

test_evaluator = dict(type='CrowdCountingMetric', per_scene=True)
