# UCFCC50Dataset (see docs/dataset_prepare.md). 5-fold protocol: fold=k tests
# on images 10k+1..10k+10 and trains on the other 40; run folds 0-4 and
# average.
dataset_type = 'UCFCC50Dataset'
data_root = 'data/UCF_CC_50'
density = dict(type='GenerateDensity', kernel='adaptive', k=3, beta=0.3)

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
            fold=0,
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
            fold=0,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
