# NWPUCrowdDataset (see docs/dataset_prepare.md): 3109 train, 500 val and
# 1500 test images; the test labels are withheld. Every image is resized
# so that its long side is at most 2048 px and its short side at least
# 512 px (ResizeToRange; points and sigmas move with it, the count stays);
# then the paper's recipe from crowd_counting.py. The head boxes of the
# release can give the kernel widths instead: head_sigmas=dict(mode='boxes')
# (docs/dataset_prepare.md). Heads annotated off their image are clipped to
# the border (the release's official count).
#
# Model selection on the release's own val split, with the benchmark's
# breakdowns (scene level S0-S4 and their mean mMAE, luminance). The test
# split has images only: `tools/test.py CONFIG CKPT --format-only` writes
# the benchmark's submission file (format_evaluator), which its server
# scores.
_base_ = ['./crowd_counting.py']

dataset_type = 'NWPUCrowdDataset'
data_root = 'data/NWPU-Crowd'
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
val_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(
        type='LoadCrowdAnnotations',
        head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
    resize,
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]
# No ground truth to load on the test split.
test_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    resize,
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
        pipeline=val_pipeline))
test_dataloader = dict(
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))

# Localization as NWPU's track scores it (per-head box threshold) beside
# fixed 4 and 8 px thresholds, from the points of every prediction.
val_evaluator = [
    dict(type='CrowdCountingMetric', breakdown='nwpu'),
    dict(type='LocalizationMetric', thresholds=(4, 8), nwpu_box=True)
]
# The test split has no labels: tools/test.py --format-only swaps this for
# format_evaluator. (Run as it is, it stops with an error naming an image
# without gt_count.)
test_evaluator = val_evaluator
format_evaluator = [
    dict(type='CountSubmissionMetric', benchmark='nwpu',
         out_file='nwpu_submission.txt'),
    dict(type='LocalizationSubmissionMetric',
         out_file='nwpu_localization_submission.txt')
]
