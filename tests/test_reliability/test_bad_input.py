"""The bad-input matrix: every case fails clearly or is handled correctly.

One parametrised test walks the matrix. A failing case must raise an error
that names the file (or config key) and the fault; a valid case must give
the right values. Datasets are fakes in the ShanghaiTech release layout
(``fake_releases.make_shanghaitech_part``: 10 x 12 black images, image ``i``
with ``i`` heads) or the custom points format (JSON).
"""
import contextlib
import json
import os

import cv2
import numpy as np
import pytest
import torch
from fake_releases import (make_shanghaitech_part, truncate,
                           write_shanghaitech_mat)
from PIL import Image
from reliability_helpers import DEMO_CONFIG, run_tool

from hsrcount.apis import init_model
from hsrcount.datasets import CustomPointsDataset, ShanghaiTechDataset
from hsrcount.datasets.release_io import load_roi_file
from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules

# Datasets build their pipelines in hsrcount's registry scope.
register_all_modules()

PIPELINE = [
    dict(type='LoadCrowdImageFromFile'),
    dict(type='LoadCrowdAnnotations'),
    dict(type='GenerateDensity', kernel='adaptive', k=3, beta=0.3),
    dict(type='PackCrowdInputs'),
]


def shanghaitech(root):
    return ShanghaiTechDataset(str(root), split='train', pipeline=PIPELINE)


def custom(root, images, ann_file='annotations.json'):
    """A custom-format dataset; ``images`` maps file name -> (img, points).

    ``img`` is an array written with OpenCV (so 16-bit works), a PIL image,
    or None for "no file".
    """
    img_dir = root / 'images'
    img_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for name, (img, points) in images.items():
        if isinstance(img, Image.Image):
            img.save(img_dir / name)
        elif img is not None:
            assert cv2.imwrite(str(img_dir / name), img)
        entries.append(dict(file=name, points=points))
    (root / ann_file).write_text(json.dumps(dict(images=entries)))
    return CustomPointsDataset(str(root), ann_file=ann_file,
                               pipeline=PIPELINE)


@contextlib.contextmanager
def raises(exc, *fragments):
    """Expect ``exc`` whose message holds every one of ``fragments``."""
    with pytest.raises(exc) as info:
        yield info
    for fragment in fragments:
        assert str(fragment) in str(info.value), (fragment, info.value)


def loaded_image(root, name, img):
    """The (H, W, 3) uint8 BGR input the pipeline makes of ``img``."""
    sample = custom(root, {name: (img, [])})[0]
    assert sample['inputs'].dtype == torch.uint8
    return sample['inputs'].permute(1, 2, 0).numpy()


# -- datasets ----------------------------------------------------------------


def corrupt_jpeg(root):
    img_dir, _ = make_shanghaitech_part(root)
    (img_dir / 'IMG_2.jpg').write_bytes(
        np.random.default_rng(0).bytes(600))
    dataset = shanghaitech(root)
    assert dataset[0]['data_samples'].gt_count == 1
    with raises(ValueError, img_dir / 'IMG_2.jpg', 'cannot decode image'):
        dataset[1]


def truncated_jpeg(root):
    img_dir, _ = make_shanghaitech_part(root)
    noise = np.random.default_rng(0).integers(0, 256, (10, 12, 3), np.uint8)
    Image.fromarray(noise).save(img_dir / 'IMG_3.jpg', quality=95)
    truncate(img_dir / 'IMG_3.jpg', 0.6)
    dataset = shanghaitech(root)
    with raises(ValueError, img_dir / 'IMG_3.jpg', 'truncated'):
        dataset[2]


def truncated_mat(root):
    _, gt_dir = make_shanghaitech_part(root)
    truncate(gt_dir / 'GT_IMG_2.mat', 0.5)
    with raises(ValueError, gt_dir / 'GT_IMG_2.mat',
                'not a readable ShanghaiTech annotation'):
        shanghaitech(root)


def missing_annotation_file(root):
    (root / 'images').mkdir()
    with raises(FileNotFoundError, root / 'annotations.json', 'not found'):
        CustomPointsDataset(str(root), pipeline=PIPELINE)


def image_without_annotation(root):
    img_dir, gt_dir = make_shanghaitech_part(root)
    (gt_dir / 'GT_IMG_2.mat').unlink()
    with raises(FileNotFoundError, img_dir / 'IMG_2.jpg', 'no annotation',
                gt_dir / 'GT_IMG_2.mat'):
        shanghaitech(root)


def image_not_in_custom_annotations(root):
    """Valid: the annotation file defines a custom dataset, so that train
    and test annotation files can share one image folder."""
    black = np.zeros((10, 12, 3), np.uint8)
    (root / 'images').mkdir()
    assert cv2.imwrite(str(root / 'images' / 'other.jpg'), black)
    dataset = custom(root, {'a.jpg': (black, [[1, 1], [2, 2]])})
    assert len(dataset) == 1
    assert dataset[0]['data_samples'].gt_count == 2


def annotation_without_image(root):
    black = np.zeros((10, 12, 3), np.uint8)
    with raises(FileNotFoundError, root / 'annotations.json', "'b.jpg'",
                'not found'):
        custom(root, {'a.jpg': (black, [[1, 1]]), 'b.jpg': (None, [[2, 2]])})


def points_outside_image(root):
    # Your own data (a published release clips instead, see
    # published_release_heads_outside). x = 12.5 is past the right edge of
    # the 12-pixel-wide image; x = 12 is on it (the image is the closed
    # rectangle [0, W] x [0, H]).
    black = np.zeros((10, 12, 3), np.uint8)
    dataset = custom(root, {'a.jpg': (black, [[12.0, 3.0], [12.5, 3]])})
    with raises(ValueError, root / 'images' / 'a.jpg', '1 of 2 head points',
                'outside the image', 'x=12.5'):
        dataset[0]


def nan_points(root):
    _, gt_dir = make_shanghaitech_part(root)
    write_shanghaitech_mat(gt_dir / 'GT_IMG_3.mat',
                           [[1, 1], [np.nan, 2], [3, 3]])
    with raises(ValueError, gt_dir / 'GT_IMG_3.mat', '1 head point(s)',
                'NaN'):
        shanghaitech(root)


def zero_heads(root):
    _, gt_dir = make_shanghaitech_part(root, ids=(1, 2))
    write_shanghaitech_mat(gt_dir / 'GT_IMG_2.mat', np.zeros((0, 2)))
    sample = shanghaitech(root)[1]['data_samples']
    assert sample.gt_count == 0
    assert tuple(sample.gt_points.shape) == (0, 2)
    assert tuple(sample.gt_density.data.shape) == (1, 10, 12)
    assert not sample.gt_density.data.any()


def grayscale_png(root):
    grey = np.array([[0, 17, 128], [200, 254, 255]], np.uint8)
    out = loaded_image(root, 'grey.png', Image.fromarray(grey, 'L'))
    np.testing.assert_array_equal(out, np.repeat(grey[..., None], 3, 2))


def rgba_png(root):
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = 10, 20, 30
    rgba[..., 3] = [[0, 128, 255], [1, 2, 3]]  # alpha is dropped, not mixed
    out = loaded_image(root, 'rgba.png', Image.fromarray(rgba, 'RGBA'))
    np.testing.assert_array_equal(out, np.broadcast_to([30, 20, 10], (2, 3,
                                                                      3)))


# 16-bit samples and their 8-bit values round(v / 257) = round(v * 255 /
# 65535), computed by hand: 1000 / 257 = 3.89, 30000 / 257 = 116.7,
# 40000 / 257 = 155.6.
SIXTEEN = np.array([[0, 1000, 30000], [40000, 65280, 65535]], np.uint16)
EIGHT = np.array([[0, 4, 117], [156, 254, 255]], np.uint8)


def grey_16bit_png(root):
    out = loaded_image(root, 'grey16.png', SIXTEEN)
    np.testing.assert_array_equal(out, np.repeat(EIGHT[..., None], 3, 2))


def colour_16bit_png(root):
    bgr16 = np.stack([SIXTEEN, SIXTEEN[::-1], np.full_like(SIXTEEN, 1000)],
                     axis=2)
    out = loaded_image(root, 'bgr16.png', bgr16)
    expected = np.stack([EIGHT, EIGHT[::-1], np.full_like(EIGHT, 4)], 2)
    np.testing.assert_array_equal(out, expected)


@pytest.fixture(scope='module')
def demo_model():
    return init_model(DEMO_CONFIG)


def smaller_than_stride(root, demo_model):
    """A 7 x 9 image (stride 16) is padded by the model and cropped back."""
    img = np.random.default_rng(0).integers(0, 256, (7, 9, 3), np.uint8)
    packed = custom(root, {'tiny.png': (img, [[1.5, 2.5], [8.0, 6.0]])})[0]
    assert tuple(packed['data_samples'].gt_density.shape) == (7, 9)
    assert float(packed['data_samples'].gt_density.data.sum()) == \
        pytest.approx(2.0, rel=1e-5)
    with torch.no_grad():
        pred, = demo_model.test_step(
            dict(inputs=[packed['inputs']],
                 data_samples=[packed['data_samples']]))
    assert tuple(pred.pred_density.data.shape) == (1, 7, 9)
    assert torch.isfinite(pred.pred_density.data).all()
    assert pred.pred_count == pytest.approx(
        float(pred.pred_density.data.sum()), rel=1e-5)


def empty_data_folder(root):
    (root / 'train_data' / 'images').mkdir(parents=True)
    (root / 'train_data' / 'ground-truth').mkdir(parents=True)
    with raises(FileNotFoundError, 'no images found', repr(str(root)),
                'docs/dataset_prepare.md'):
        shanghaitech(root)


def roi_npy_with_pickle(root):
    """A ROI .npy holding pickled objects is refused without unpickling."""
    marker = root / 'MARKER'
    objects = np.empty(1, dtype=object)
    objects[0] = RunsCommand(f'touch {marker}')
    np.save(root / 'roi.npy', objects, allow_pickle=True)
    with raises(ValueError, root / 'roi.npy', 'allow_pickle=False'):
        load_roi_file(str(root / 'roi.npy'), shape=(1, 1))
    assert not marker.exists()


class RunsCommand:

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command, ))


# -- configs -----------------------------------------------------------------


def unknown_type(root):
    with raises(KeyError, "type='ShanghaiTechDatset'", 'Did you mean',
                'Registered names:', 'CustomPointsDataset',
                'ShanghaiTechDataset'):
        DATASETS.build(dict(type='ShanghaiTechDatset', data_root=str(root)))


def missing_data_root(root):
    with raises(FileNotFoundError, repr(str(root / 'part_A')),
                'does not exist', 'docs/dataset_prepare.md'):
        ShanghaiTechDataset(str(root / 'part_A'))


def misspelled_cfg_option(root):
    proc = run_tool('train.py', DEMO_CONFIG, '--work-dir', root / 'work',
                    '--cfg-options', 'train_dataloader.batchsize=2')
    assert proc.returncode != 0
    assert ("--cfg-options train_dataloader.batchsize: train_dataloader has "
            "no key 'batchsize'. Did you mean batch_size?") in proc.stderr
    assert not (root / 'work').exists()


CASES = [
    corrupt_jpeg, truncated_jpeg, truncated_mat, missing_annotation_file,
    image_without_annotation, image_not_in_custom_annotations,
    annotation_without_image, points_outside_image,
    nan_points, zero_heads, grayscale_png, rgba_png, grey_16bit_png,
    colour_16bit_png, smaller_than_stride, empty_data_folder,
    roi_npy_with_pickle, unknown_type, missing_data_root,
    misspelled_cfg_option
]



# -- annotations: parsing (datasets, ground truth) ---------------------------


def custom_json(root, points, file='a.jpg', img=True):
    """A custom dataset whose one entry has ``points`` (any JSON value)."""
    (root / 'images').mkdir(exist_ok=True)
    if img:
        assert cv2.imwrite(str(root / 'images' / 'a.jpg'),
                           np.zeros((10, 12, 3), np.uint8))
    (root / 'ann.json').write_text(
        json.dumps(dict(images=[dict(file=file, points=points)])))
    return CustomPointsDataset(str(root), ann_file='ann.json',
                               pipeline=PIPELINE)


def json_string_points(root):
    with raises(ValueError, root / 'ann.json', "points[0] must be [x, y], "
                "two numbers, got ['ten', 'twelve']"):
        custom_json(root, [['ten', 'twelve']])


def json_ragged_points(root):
    with raises(ValueError, root / 'ann.json', 'points[1] must be [x, y]'):
        custom_json(root, [[1, 2], [3]])


def json_points_not_a_list(root):
    with raises(ValueError, root / 'ann.json',
                '"points" must be a list of [x, y] pairs, got dict'):
        custom_json(root, {})


def json_points_transposed(root):
    """(2, 3): three heads stored transposed, or two with a third column;
    either way it is not (N, 2), and was read as two heads."""
    with raises(ValueError, root / 'ann.json', 'points[0] must be [x, y]'):
        custom_json(root, [[1, 2, 3], [4, 5, 6]])


def json_boolean_points(root):
    with raises(ValueError, root / 'ann.json', 'points[0] must be [x, y], '
                'two numbers, got [True, False]'):
        custom_json(root, [[True, False]])


def mat_string_locations(root):
    _, gt_dir = make_shanghaitech_part(root, ids=(1, 2))
    write_shanghaitech_mat_raw(gt_dir / 'GT_IMG_2.mat',
                               np.array([['1.5', '2.5']]))
    with raises(ValueError, gt_dir / 'GT_IMG_2.mat',
                'head points must be real numbers, got strings'):
        shanghaitech(root)


def mat_points_transposed(root):
    _, gt_dir = make_shanghaitech_part(root, ids=(1, ))
    write_shanghaitech_mat_raw(gt_dir / 'GT_IMG_1.mat',
                               np.arange(6.0).reshape(2, 3))
    with raises(ValueError, gt_dir / 'GT_IMG_1.mat',
                'expected head points of shape (N, 2), got (2, 3)'):
        shanghaitech(root)


def mat_complex_points(root):
    _, gt_dir = make_shanghaitech_part(root, ids=(1, ))
    write_shanghaitech_mat_raw(gt_dir / 'GT_IMG_1.mat',
                               np.array([[1 + 2j, 3.0]]))
    with raises(ValueError, gt_dir / 'GT_IMG_1.mat',
                'got complex numbers'):
        shanghaitech(root)


def write_shanghaitech_mat_raw(path, location):
    """A GT_IMG_n.mat whose location array is stored as given."""
    import scipy.io
    info = np.zeros((1, 1), dtype=[('location', 'O'), ('number', 'O')])
    info[0, 0]['location'] = location
    info[0, 0]['number'] = np.array([[len(location)]], np.uint16)
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = info
    scipy.io.savemat(path, {'image_info': cell})


def csv_latin1(root):
    (root / 'images').mkdir()
    (root / 'ann.csv').write_bytes(
        'file,x,y\nb.jpg,1,2\ncaf\u00e9.jpg,3,4\n'.encode('latin-1'))
    with raises(ValueError, root / 'ann.csv', 'line 3: not UTF-8 text',
                'save the file as UTF-8'):
        CustomPointsDataset(str(root), ann_file='ann.csv', pipeline=PIPELINE)


def csv_utf8_bom(root):
    """Valid: the byte-order mark Excel writes before the header."""
    (root / 'images').mkdir()
    assert cv2.imwrite(str(root / 'images' / 'a.jpg'),
                       np.zeros((10, 12, 3), np.uint8))
    (root / 'ann.csv').write_bytes(
        '\ufefffile,x,y\na.jpg,1,2\na.jpg,3,4\n'.encode('utf-8'))
    dataset = CustomPointsDataset(str(root), ann_file='ann.csv',
                                  pipeline=PIPELINE)
    assert len(dataset) == 1
    assert dataset[0]['data_samples'].gt_count == 2


def image_listed_twice(root):
    (root / 'images').mkdir()
    assert cv2.imwrite(str(root / 'images' / 'a.jpg'),
                       np.zeros((10, 12, 3), np.uint8))
    (root / 'ann.json').write_text(json.dumps(dict(images=[
        dict(file='a.jpg', points=[[1, 1]]),
        dict(file='a.jpg', points=[[2, 2]])])))
    with raises(ValueError, root / 'ann.json',
                "images[1] and images[0] both annotate 'a.jpg'"):
        CustomPointsDataset(str(root), ann_file='ann.json',
                            pipeline=PIPELINE)


def image_path_leaves_the_folder(root):
    with raises(ValueError, root / 'ann.json', "'../a.jpg' leaves the image "
                'folder'):
        custom_json(root, [], file='../a.jpg')


def absolute_image_path(root):
    with raises(ValueError, root / 'ann.json', 'is absolute'):
        custom_json(root, [], file=str(root / 'images' / 'a.jpg'))


def published_release_heads_outside(root):
    """Valid for a published release: heads off the image are clipped to
    the border and counted (the official count), with one warning naming
    the file; the same file in a custom dataset is an error (above)."""
    img_dir, gt_dir = make_shanghaitech_part(root)
    write_shanghaitech_mat(gt_dir / 'GT_IMG_2.mat', [[12.0, 3.0], [12.5, 3]])
    dataset = shanghaitech(root)
    with pytest.warns(UserWarning, match='IMG_2.jpg: 1 of 2 head points'):
        sample = dataset[1]['data_samples']
    assert sample.gt_count == 2
    assert float(sample.gt_density.data.sum()) == pytest.approx(2, rel=1e-5)


def tiny_image_in_training(root):
    """Valid: 1 x 1 and 2 x 2 images through the training pipeline (random
    rescale, paper crop, flip); a flipped one-pixel-wide crop used to fail
    at random with a negative-stride error."""
    from hsrcount.datasets import PatchRepeatDataset
    train = [
        dict(type='LoadCrowdImageFromFile'),
        dict(type='LoadCrowdAnnotations', head_sigmas=dict(mode='adaptive')),
        dict(type='RandomRescale', scales=(0.8, 1.0, 1.2)),
        dict(type='PaperCrop'),
        dict(type='RandomFlip', prob=1.0),
        dict(type='GenerateDensity', kernel='adaptive'),
        dict(type='PackCrowdInputs'),
    ]
    (root / 'images').mkdir()
    entries = []
    for size in (1, 2):
        assert cv2.imwrite(str(root / 'images' / f'{size}.png'),
                           np.full((size, size, 3), 90, np.uint8))
        entries.append(dict(file=f'{size}.png', points=[[0.5, 0.5]]))
    (root / 'ann.json').write_text(json.dumps(dict(images=entries)))
    dataset = PatchRepeatDataset(
        CustomPointsDataset(str(root), ann_file='ann.json', pipeline=train),
        patches_per_image=14)
    np.random.seed(0)
    for idx in range(len(dataset)):
        packed = dataset[idx]
        assert packed['inputs'].shape[0] == 3
        assert packed['data_samples'].gt_count in (0.0, 1.0)


CASES += [
    json_string_points, json_ragged_points, json_points_not_a_list,
    json_points_transposed, json_boolean_points, mat_string_locations,
    mat_points_transposed, mat_complex_points, csv_latin1, csv_utf8_bom,
    image_listed_twice, image_path_leaves_the_folder, absolute_image_path,
    published_release_heads_outside, tiny_image_in_training
]

@pytest.mark.parametrize('case', CASES, ids=[c.__name__ for c in CASES])
def test_bad_input(case, tmp_path, request):
    if case is smaller_than_stride:
        case(tmp_path, request.getfixturevalue('demo_model'))
    else:
        case(tmp_path)
