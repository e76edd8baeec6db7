# Built-in synthetic crowds (SyntheticCrowdDataset): generated once into
# data/synthetic/ by seed, so the demo and the tests need no download.
# As crowd_counting.py but without random rescaling, batch 4, one worker,
# and the generator's settings: 100 train, 20 validation and 20 test images
# of 192x256, each split drawn with its own seed. The best checkpoint is
# chosen on the validation images; the test images are read by
# tools/test.py only.
_base_ = ['./crowd_counting.py']

dataset_type = 'SyntheticCrowdDataset'
data_root = 'data/synthetic'

train_pipeline = [
    dict(type='LoadCrowdImageFromFile'),
    dict(
        type='LoadCrowdAnnotations',
        head_sigmas=dict(mode='adaptive', k=3, beta=0.3)),
    dict(type='PaperCrop'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='GenerateDensity', kernel='adaptive'),
    dict(type='PackCrowdInputs'),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            num_images=100,
            img_size=(192, 256),
            seed=0,
            pipeline=train_pipeline)))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        num_images=20,
        img_size=(192, 256),
        seed=0))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        num_images=20,
        img_size=(192, 256),
        seed=0))
