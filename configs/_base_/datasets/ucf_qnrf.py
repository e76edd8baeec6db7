# UCFQNRFDataset (see docs/dataset_prepare.md): 1201 train and 334 test
# images of dense crowds, up to about 9000 px wide. Every image is resized
# so that its long side is at most 2048 px and its short side at least
# 512 px (ResizeToRange; points and sigmas move with it, the count stays),
# as peer codebases resize UCF-QNRF; then the paper's recipe from
# crowd_counting.py. Heads annotated off their image are clipped to the
# border (the release's official count).
#
# Model selection: 120 of the 1201 training images, drawn with seed 0, are
# held out for validation; the test split is read by tools/test.py only.
_base_ = ['./crowd_counting.py']

dataset_type = 'UCFQNRFDataset'
data_root = 'data/UCF-QNRF_ECCV18'
carve = dict(num_val=120, seed=0)
resize = dict(type='ResizeToRange', max_long_side=2048, min_short_side=512)

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(
        type='LoadCrowdAnnotations',
        head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
    resize,
    dict(type='RandomRescale', scales=(0.8, 1.0, 1.2)),
    dict(type='PaperCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]
test_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(
        type='LoadCrowdAnnotations',
        head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
    resize,
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type=dataset_type, data_root=data_root, split='train',
            val_split='train', pipeline=train_pipeline, **carve)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train',
        val_split='val', pipeline=test_pipeline, **carve))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = val_evaluator
