import json

import numpy as np
import pytest
from PIL import Image

from hsrcount.datasets import CustomPointsDataset


def make_images(root, names=('a.jpg', 'b.jpg')):
    (root / 'images').mkdir()
    for name in names:
        Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(
            root / 'images' / name)


def test_json_annotations(tmp_path):
    make_images(tmp_path)
    (tmp_path / 'ann.json').write_text(json.dumps({'images': [
        {'file': 'a.jpg', 'points': [[1.5, 2.0], [3, 4]]},
        {'file': 'b.jpg', 'points': []}]}))
    ds = CustomPointsDataset(str(tmp_path), ann_file='ann.json')
    assert len(ds) == 2
    a, b = ds.get_data_info(0), ds.get_data_info(1)
    assert a['img_path'] == str(tmp_path / 'images' / 'a.jpg')
    np.testing.assert_array_equal(a['gt_points'], [[1.5, 2.0], [3, 4]])
    assert a['gt_points'].dtype == np.float32 and a['gt_count'] == 2
    assert b['gt_points'].shape == (0, 2) and b['gt_count'] == 0


def test_csv_annotations(tmp_path):
    make_images(tmp_path)
    (tmp_path / 'ann.csv').write_text(
        'file,x,y\na.jpg,1.5,2\nb.jpg,,\na.jpg,3,4\n')
    ds = CustomPointsDataset(str(tmp_path), ann_file='ann.csv')
    assert [d['gt_count'] for d in ds] == [2, 0]
    np.testing.assert_array_equal(ds.get_data_info(0)['gt_points'],
                                  [[1.5, 2], [3, 4]])


@pytest.mark.parametrize('text,match', [
    ('file,x,y\na.jpg,1,2\na.jpg,one,2\n', r'ann.csv, line 3'),
    ('a.jpg,1\n', r'ann.csv, line 1: expected 3'),
    ('a.jpg,nan,2\n', r'line 1: x, y is NaN'),
])
def test_csv_errors_name_file_and_line(tmp_path, text, match):
    make_images(tmp_path)
    (tmp_path / 'ann.csv').write_text(text)
    with pytest.raises(ValueError, match=match):
        CustomPointsDataset(str(tmp_path), ann_file='ann.csv')


def test_json_errors(tmp_path):
    make_images(tmp_path)
    ann = tmp_path / 'ann.json'
    ann.write_text('{"images": [{"file": "a.jpg", "points": [[1, NaN]]}]}')
    with pytest.raises(ValueError, match=r'ann.json \(images\[0\], a.jpg\)'):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')
    ann.write_text('{"images": [{"file": "c.jpg", "points": []}]}')
    with pytest.raises(FileNotFoundError, match="image 'c.jpg' not found"):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')
    ann.write_text('[1, 2]')
    with pytest.raises(ValueError, match='images'):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')
    with pytest.raises(FileNotFoundError, match='missing.json'):
        CustomPointsDataset(str(tmp_path), ann_file='missing.json')


@pytest.mark.parametrize('points,fragment', [
    ([['ten', 'twelve']], r"points\[0\] must be \[x, y\], two numbers, got "
     r"\['ten', 'twelve'\]"),
    ([[1, 2], [3]], r'points\[1\] must be \[x, y\]'),
    ({}, r'"points" must be a list of \[x, y\] pairs, got dict'),
    ([[1, 2, 3], [4, 5, 6]], r'points\[0\] must be \[x, y\]'),
    ([[True, False]], r'points\[0\] must be \[x, y\], two numbers'),
    ('1,2', r'"points" must be a list'),
])
def test_json_points_must_be_pairs_of_numbers(tmp_path, points, fragment):
    (tmp_path / 'images').mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
        tmp_path / 'images' / 'a.jpg')
    (tmp_path / 'ann.json').write_text(json.dumps(
        dict(images=[dict(file='a.jpg', points=points)])))
    with pytest.raises(ValueError, match=r'ann.json \(images\[0\], a.jpg\): '
                       + fragment):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')


@pytest.mark.parametrize('name,fragment', [
    ('../secret.jpg', 'leaves the image folder'),
    ('sub/../../x.jpg', 'leaves the image folder'),
    ('/etc/passwd', 'is absolute'),
    ('C:/data/a.jpg', 'is absolute'),
])
def test_image_paths_stay_inside_the_image_folder(tmp_path, name, fragment):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'ann.json').write_text(json.dumps(
        dict(images=[dict(file=name, points=[])])))
    with pytest.raises(ValueError, match=fragment):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')
    (tmp_path / 'ann.csv').write_text(f'{name},1,2\n')
    with pytest.raises(ValueError, match=rf'ann.csv, line 1: .*{fragment}'):
        CustomPointsDataset(str(tmp_path), ann_file='ann.csv')


def test_an_image_listed_twice_is_refused(tmp_path):
    (tmp_path / 'images').mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
        tmp_path / 'images' / 'a.jpg')
    (tmp_path / 'ann.json').write_text(json.dumps(dict(images=[
        dict(file='a.jpg', points=[[1, 1]]),
        dict(file='./a.jpg', points=[[2, 2]])])))
    with pytest.raises(ValueError, match=r"images\[1\] and images\[0\] both "
                       r"annotate 'a.jpg'"):
        CustomPointsDataset(str(tmp_path), ann_file='ann.json')


def test_csv_encodings(tmp_path):
    (tmp_path / 'images').mkdir()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(
        tmp_path / 'images' / 'é.jpg')
    # A UTF-8 byte-order mark before the header (Excel writes one).
    (tmp_path / 'bom.csv').write_bytes(
        '\ufefffile,x,y\né.jpg,1,2\n'.encode('utf-8'))
    ds = CustomPointsDataset(str(tmp_path), ann_file='bom.csv')
    assert ds.get_data_info(0)['gt_count'] == 1
    # Latin-1 is not UTF-8: an error naming the file and line.
    (tmp_path / 'latin.csv').write_bytes(
        'file,x,y\na.jpg,1,2\né.jpg,1,2\n'.encode('latin-1'))
    with pytest.raises(ValueError, match=r'latin.csv, line 3: not UTF-8 '
                       r'text \(byte 0xe9'):
        CustomPointsDataset(str(tmp_path), ann_file='latin.csv')
