# TrancosDataset (see docs/dataset_prepare.md). Vehicles. Training takes 800
# random 115x115 crops per image (sec. 4.2) with fixed Gaussian kernels
# (sigma 10); evaluation is GAME(0-3) inside each image's ROI. Everything
# else as crowd_counting.py. Model selection on the release's own
# validation list (validation.txt); the test list is read by tools/test.py
# only.
_base_ = ['./crowd_counting.py']

dataset_type = 'TrancosDataset'
data_root = 'data/trancos'
density = dict(type='GenerateDensity', kernel='fixed', sigma=10.0)

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='RandomCrop', size=115),
    dict(type='RandomFlip', prob=0.5),
    density,
    dict(type='PackCrowdInputs'),
]
test_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    density,
    dict(type='PackCrowdInputs'),
]

train_dataloader = dict(
    dataset=dict(
        patches_per_image=800,
        dataset=dict(
            type=dataset_type, data_root=data_root, split='train',
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='val',
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))

val_evaluator = dict(game_levels=(0, 1, 2, 3))
test_evaluator = val_evaluator
