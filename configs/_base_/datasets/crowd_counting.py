# Shared data settings of every crowd-counting dataset family. A family file
# (shanghaitech_a.py, mall.py, ...) inherits this and sets `dataset_type`,
# `data_root`, the splits and whatever else differs; it must restate the
# nested keys it changes (see below), since a variable changed in a child is
# not re-threaded into the dicts built here.
#
# Training follows the paper (sec. 4.1): random scale 0.8/1.0/1.2, four
# quarter patches plus ten random patches of the same size per image and
# epoch (PatchRepeatDataset, 14 patches per image), geometry-adaptive
# kernels (k=3, beta=0.3) whose widths are computed on the whole image
# (LoadCrowdAnnotations head_sigmas) and carried through rescale, crop and
# flip. The horizontal flip is hsrcount's addition, not the paper's (it
# names none); `prob=0` turns it off (docs/train_test.md). Test takes whole
# images.
#
# Protocol: the best checkpoint is chosen on a validation split (the family
# file says which: carved from the training images with a fixed seed, or
# the release's own), never on the test split, which only tools/test.py
# reads. The classic protocol (select on test) is a separate config,
# `*_classic_*` (docs/train_test.md).
load_annotations = dict(
    type='LoadCrowdAnnotations',
    head_sigmas=dict(mode='adaptive', k=3, beta=0.3))
train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    load_annotations,
    dict(type='RandomRescale', scales=(0.8, 1.0, 1.2)),
    dict(type='PaperCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]
test_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    load_annotations,
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]

# The family file adds `type`, `data_root` and the validation split to the
# innermost datasets:
#   train_dataloader = dict(dataset=dict(dataset=dict(
#       type=dataset_type, data_root=data_root, ...)))
#   val_dataloader = dict(dataset=dict(
#       type=dataset_type, data_root=data_root, ...))
#   test_dataloader = dict(dataset=dict(
#       type=dataset_type, data_root=data_root))
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
    dataset=dict(split='val', test_mode=True, pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(split='test', test_mode=True, pipeline=test_pipeline))

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
