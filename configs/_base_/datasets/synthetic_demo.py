# Built-in synthetic crowds (SyntheticCrowdDataset): generated once into
# data/synthetic/ by seed, so the demo and the tests need no download.
dataset_type = 'SyntheticCrowdDataset'
data_root = 'data/synthetic'

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='PaperCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GenerateDensity', kernel='adaptive', k=3, beta=0.3),
    dict(type='PackCrowdInputs'),
]
test_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='GenerateDensity', kernel='adaptive', k=3, beta=0.3),
    dict(type='PackCrowdInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PatchRepeatDataset',
        patches_per_image=14,
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            split='train',
            num_images=100,
            img_size=(192, 256),
            seed=0,
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        num_images=20,
        img_size=(192, 256),
        seed=0,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
