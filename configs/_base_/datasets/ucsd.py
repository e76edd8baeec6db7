# UCSDDataset (see docs/dataset_prepare.md). Frames 601-1400 train, the rest
# test; heads outside the walkway ROI are not counted and the loss ignores
# pixels there.
dataset_type = 'UCSDDataset'
data_root = 'data/ucsd'
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
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PatchRepeatDataset',
        patches_per_image=14,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
