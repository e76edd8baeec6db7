# Shared data settings of every crowd-counting dataset family. A family file
# (shanghaitech_a.py, mall.py, ...) inherits this and sets `dataset_type`,
# `data_root` and whatever else differs; it must restate the nested keys it
# changes (see below), since a variable changed in a child is not re-threaded
# into the dicts built here.
#
# Training follows the paper (sec. 4.1): random scale 0.8/1.0/1.2, four
# quarter patches plus ten random patches of the same size per image and
# epoch (PatchRepeatDataset, 14 patches per image), horizontal flip,
# geometry-adaptive kernels (k=3, beta=0.3). Test takes whole images.

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='RandomRescale', scales=(0.8, 1.0, 1.2)),
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

# The family file adds `type` and `data_root` to the innermost datasets:
#   train_dataloader = dict(dataset=dict(dataset=dict(
#       type=dataset_type, data_root=data_root)))
#   val_dataloader = dict(dataset=dict(
#       type=dataset_type, data_root=data_root))
#   test_dataloader = val_dataloader
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='PatchRepeatDataset',
        patches_per_image=14,
        dataset=dict(split='train', pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
