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
