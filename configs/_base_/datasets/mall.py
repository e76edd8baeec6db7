# MallDataset (see docs/dataset_prepare.md). First 800 frames train, last 1200
# test; only heads inside the ROI count. The paper's recipe from
# crowd_counting.py, but fixed Gaussian kernels (sigma 4) instead of
# geometry-adaptive ones, so both pipelines are restated.
_base_ = ['./crowd_counting.py']

dataset_type = 'MallDataset'
data_root = 'data/mall'
density = dict(type='GenerateDensity', kernel='fixed', sigma=4.0)

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='RandomRescale', scales=(0.8, 1.0, 1.2)),
    dict(type='PaperCrop'),
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
        dataset=dict(
            type=dataset_type, data_root=data_root,
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
