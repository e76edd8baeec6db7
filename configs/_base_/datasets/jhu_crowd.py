# JHUCrowdDataset (see docs/dataset_prepare.md): 2272 train, 500 val and
# 1600 test images, some without heads. Every image is resized so that its
# long side is at most 2048 px and its short side at least 512 px
# (ResizeToRange; points and sigmas move with it, the count stays); then
# the paper's recipe from crowd_counting.py. The head boxes of the release
# can give the kernel widths instead: head_sigmas=dict(mode='boxes')
# (docs/dataset_prepare.md). Heads annotated off their image are clipped to
# the border (the release's official count).
#
# Model selection on the release's own val split; the test split is read
# by tools/test.py only, with the benchmark's breakdowns (density low /
# medium / high, weather). `tools/test.py --format-only` writes the
# predictions in JHU's format (format_evaluator).
_base_ = ['./crowd_counting.py']

dataset_type = 'JHUCrowdDataset'
data_root = 'data/jhu_crowd_v2.0'
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
            pipeline=train_pipeline)))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, split='val',
        pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))

val_evaluator = dict(type='CrowdCountingMetric')
test_evaluator = dict(
    type='CrowdCountingMetric', breakdown='jhu')
format_evaluator = dict(
    type='CountSubmissionMetric', benchmark='jhu',
    out_file='jhu_predictions.txt')
