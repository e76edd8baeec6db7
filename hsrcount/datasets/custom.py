"""Images with head points in a JSON or CSV file (your own data)."""
import csv
import io
import json
import os.path as osp
import re
from typing import List

import numpy as np

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset


def image_name(name, source):
    """Check an image path of an annotation file and normalise it.

    Image paths are relative to the image folder and stay inside it: an
    absolute path or one that climbs out with ``..`` is refused, so an
    annotation file cannot make the dataset read files elsewhere (and two
    spellings of one file, ``a.jpg`` and ``./a.jpg``, are the same).

    Args:
        name (str): The path as the annotation file gives it.
        source (str): Where it comes from, named in errors.

    Returns:
        str: The normalised relative path.

    Raises:
        ValueError: If the path is empty, absolute or leaves the folder.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f'{source}: the image file must be a non-empty '
                         f'string, got {name!r}')
    if osp.isabs(name) or name.startswith(('/', '\\')) or \
            re.match(r'^[A-Za-z]:', name):
        raise ValueError(f'{source}: image path {name!r} is absolute; give '
                         f'it relative to the image folder')
    norm = osp.normpath(name.replace('\\', '/'))
    if norm == '..' or norm.startswith('../'):
        raise ValueError(f'{source}: image path {name!r} leaves the image '
                         f'folder; give it relative to the image folder')
    return norm


def _json_points(points, where):
    """(N, 2) float32 from a JSON ``points`` value; errors name the entry."""
    if not isinstance(points, list):
        raise ValueError(f'{where}: "points" must be a list of [x, y] '
                         f'pairs, got {type(points).__name__} {points!r:.60}')
    for j, point in enumerate(points):
        if not (isinstance(point, list) and len(point) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool)
                for v in point)):
            raise ValueError(f'{where}: points[{j}] must be [x, y], two '
                             f'numbers, got {point!r:.60}')
    return BaseCrowdDataset.check_points(
        np.array(points, dtype=np.float64).reshape(-1, 2), where)


def read_points_json(path):
    """Read ``{"images": [{"file": ..., "points": [[x, y], ...]}, ...]}``.

    Every point is a list of exactly two numbers (not strings, booleans or
    more columns), every file appears once and stays inside the image
    folder (:func:`image_name`).

    Args:
        path (str): The JSON file.

    Returns:
        list[tuple[str, np.ndarray]]: ``(file, (N, 2) float32 points)`` per
        image, in file order.
    """
    try:
        with open(path, encoding='utf-8-sig') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from e
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: not UTF-8 text ({e}); save it as '
                         f'UTF-8') from None
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise ValueError(f'{path}: expected {{"images": [...]}} at the top')
    entries, seen = [], {}
    for i, item in enumerate(data['images']):
        if not isinstance(item, dict) or 'file' not in item \
                or 'points' not in item:
            raise ValueError(f'{path}: images[{i}] needs "file" and "points"')
        where = f'{path} (images[{i}], {item["file"]})'
        name = image_name(item['file'], where)
        if name in seen:
            raise ValueError(f'{path}: images[{i}] and images[{seen[name]}] '
                             f'both annotate {name!r}; list each image once')
        seen[name] = i
        entries.append((name, _json_points(item['points'], where)))
    return entries


def read_points_csv(path):
    """Read ``file,x,y`` rows, one head per row.

    An image without heads is one row with empty ``x`` and ``y``. A first
    row ``file,x,y`` is a header and skipped. The file is UTF-8, with or
    without a byte-order mark; other encodings are an error.

    Args:
        path (str): The CSV file.

    Returns:
        list[tuple[str, np.ndarray]]: ``(file, (N, 2) float32 points)`` per
        image, in order of first appearance.
    """
    with open(path, 'rb') as f:
        data = f.read()
    try:
        text = data.decode('utf-8-sig')
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b'\n') + 1
        raise ValueError(
            f'{path}, line {line}: not UTF-8 text (byte '
            f'0x{data[e.start]:02x}: {e.reason}); save the file as UTF-8'
        ) from None
    points = {}
    for line_no, row in enumerate(csv.reader(io.StringIO(text, newline='')),
                                  start=1):
        if not row or (line_no == 1
                       and [c.strip() for c in row] == ['file', 'x', 'y']):
            continue
        _csv_row(path, line_no, row, points)
    return [(name, BaseCrowdDataset.check_points(p, f'{path} ({name})'))
            for name, p in points.items()]


def _csv_row(path, line_no, row, points):
    if len(row) != 3:
        raise ValueError(f'{path}, line {line_no}: expected 3 columns '
                         f'file,x,y, got {len(row)}')
    name, x, y = (c.strip() for c in row)
    name = image_name(name, f'{path}, line {line_no}')
    heads = points.setdefault(name, [])
    if x == '' and y == '':
        return
    try:
        xy = (float(x), float(y))
    except ValueError:
        raise ValueError(f'{path}, line {line_no}: x and y must be numbers, '
                         f'got {x!r}, {y!r}') from None
    if not np.isfinite(xy).all():
        raise ValueError(f'{path}, line {line_no}: x, y is NaN or infinite')
    heads.append(xy)


@DATASETS.register_module()
class CustomPointsDataset(BaseCrowdDataset):
    """A folder of images and one file of head points.

    The annotation file is JSON (``{"images": [{"file": "a.jpg", "points":
    [[x, y], ...]}, ...]}``) or CSV (``file,x,y`` rows); see
    ``docs/dataset_prepare.md``. Points are x then y in pixels, 0-based
    (pixel ``(r, c)`` covers ``[c, c + 1) x [r, r + 1)``).

    Args:
        data_root (str): The dataset folder.
        ann_file (str): The JSON or CSV file, relative to ``data_root``.
        data_prefix (dict): ``dict(img_path=FOLDER)``, the image folder
            relative to ``data_root``. Defaults to ``'images'``.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    def __init__(self, data_root, ann_file='annotations.json',
                 data_prefix=dict(img_path='images'), **kwargs):
        super().__init__(
            data_root=data_root,
            ann_file=ann_file,
            data_prefix=data_prefix,
            **kwargs)

    def load_data_list(self) -> List[dict]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{type(self).__name__}: annotation file {self.ann_file!r} '
                f'not found')
        ext = osp.splitext(self.ann_file)[1].lower()
        if ext == '.json':
            entries = read_points_json(self.ann_file)
        elif ext == '.csv':
            entries = read_points_csv(self.ann_file)
        else:
            raise ValueError(f'{self.ann_file}: annotation file must be '
                             f'.json or .csv')
        img_dir = self.data_prefix.get('img_path', '')
        data_list = []
        for name, points in entries:
            img_path = osp.join(img_dir, name)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'{self.ann_file}: image {name!r} not found at '
                    f'{img_path!r}')
            data_list.append(
                dict(img_path=img_path, gt_points=points,
                     gt_count=len(points)))
        return data_list
