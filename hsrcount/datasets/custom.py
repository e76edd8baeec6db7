"""Images with head points in a JSON or CSV file (your own data)."""
import csv
import json
import os.path as osp
from typing import List

import numpy as np

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset


def read_points_json(path):
    """Read ``{"images": [{"file": ..., "points": [[x, y], ...]}, ...]}``.

    Args:
        path (str): The JSON file.

    Returns:
        list[tuple[str, np.ndarray]]: ``(file, (N, 2) float32 points)`` per
        image, in file order.
    """
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f'{path}: not valid JSON ({e})') from e
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise ValueError(f'{path}: expected {{"images": [...]}} at the top')
    entries = []
    for i, item in enumerate(data['images']):
        if not isinstance(item, dict) or 'file' not in item \
                or 'points' not in item:
            raise ValueError(f'{path}: images[{i}] needs "file" and "points"')
        where = f'{path} (images[{i}], {item["file"]})'
        points = BaseCrowdDataset.check_points(item['points'], where)
        entries.append((str(item['file']), points))
    return entries


def read_points_csv(path):
    """Read ``file,x,y`` rows, one head per row.

    An image without heads is one row with empty ``x`` and ``y``. A first
    row ``file,x,y`` is a header and skipped.

    Args:
        path (str): The CSV file.

    Returns:
        list[tuple[str, np.ndarray]]: ``(file, (N, 2) float32 points)`` per
        image, in order of first appearance.
    """
    points = {}
    with open(path, newline='', encoding='utf-8') as f:
        for line_no, row in enumerate(csv.reader(f), start=1):
            if not row or (line_no == 1 and [c.strip() for c in row]
                           == ['file', 'x', 'y']):
                continue
            if len(row) != 3:
                raise ValueError(f'{path}, line {line_no}: expected 3 '
                                 f'columns file,x,y, got {len(row)}')
            name, x, y = (c.strip() for c in row)
            heads = points.setdefault(name, [])
            if x == '' and y == '':
                continue
            try:
                xy = (float(x), float(y))
            except ValueError:
                raise ValueError(f'{path}, line {line_no}: x and y must be '
                                 f'numbers, got {x!r}, {y!r}') from None
            if not np.isfinite(xy).all():
                raise ValueError(f'{path}, line {line_no}: x, y is NaN or '
                                 f'infinite')
            heads.append(xy)
    return [(name, BaseCrowdDataset.check_points(p, f'{path} ({name})'))
            for name, p in points.items()]


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
