"""NWPU-Crowd (Wang et al., TPAMI 2020), read from the release."""
import json
import os.path as osp
import warnings
from typing import List

import numpy as np

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .release_io import require_file

#: Scene levels of the list files: S0 has no head, then 1-100, 101-500,
#: 501-5000 and more than 5000 heads.
NWPU_SCENE_LEVELS = (0, 1, 2, 3, 4)
#: Luminance classes of the list files, as the benchmark's evaluation code
#: counts them (0 to 3).
NWPU_LUMINANCE = (0, 1, 2, 3)


def read_nwpu_list(path):
    """Read ``train.txt``, ``val.txt`` or ``test.txt`` of NWPU-Crowd.

    One line per image: ``id luminance scene_level`` (the order of the
    benchmark's evaluation code), e.g. ``3110 1 2``.

    Args:
        path (str): The list file.

    Returns:
        list[tuple[str, int, int]]: ``(id, luminance, scene_level)`` in file
        order; ``id`` as written, e.g. ``'0001'``.

    Raises:
        ValueError: If a line has not three integer fields, a label is out
            of range or an id is listed twice; names the file and line.
    """
    require_file(path, 'NWPU-Crowd list file')
    entries, seen = [], set()
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                if len(fields) != 3:
                    raise ValueError
                luminance, level = int(fields[1]), int(fields[2])
                int(fields[0])
            except ValueError:
                raise ValueError(f'{path}, line {line_no}: expected "id '
                                 f'luminance scene_level", three integers, '
                                 f'got {line.strip()!r}') from None
            if luminance not in NWPU_LUMINANCE or \
                    level not in NWPU_SCENE_LEVELS:
                raise ValueError(f'{path}, line {line_no}: luminance must be '
                                 f'0-3 and scene level 0-4, got '
                                 f'{line.strip()!r}')
            if fields[0] in seen:
                raise ValueError(f'{path}, line {line_no}: image '
                                 f'{fields[0]} is listed twice')
            seen.add(fields[0])
            entries.append((fields[0], luminance, level))
    return entries


def read_nwpu_json(path):
    """Read one ``jsons/NNNN.json`` of NWPU-Crowd.

    The file holds ``human_num``, ``points`` ((N, 2) x, y) and ``boxes``
    ((N, 4) x1, y1, x2, y2, one per head).

    Args:
        path (str): The file.

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, 2) float32 points and (N, 2)
        float32 box sizes ``(x2 - x1, y2 - y1)``, NaN where the file gives
        no box per head.

    Raises:
        ValueError: If the file is no JSON object with ``points``, or they
            are not (N, 2) numbers; names the file.
    """
    require_file(path, 'NWPU-Crowd annotation')
    try:
        with open(path, encoding='utf-8-sig') as f:
            data = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f'{path}: not a readable JSON file ({err})') from None
    if not isinstance(data, dict) or 'points' not in data:
        raise ValueError(f'{path}: expected a JSON object with "points"')
    points = BaseCrowdDataset.check_points(data['points'], path)
    num = data.get('human_num')
    if num is not None and num != len(points):
        warnings.warn(f'{path}: human_num is {num} but the file holds '
                      f'{len(points)} points; the count is the number of '
                      f'points', stacklevel=2)
    sizes = np.full((len(points), 2), np.nan, dtype=np.float32)
    boxes = data.get('boxes')
    if boxes is not None and len(boxes):
        try:
            boxes = np.asarray(boxes, dtype=np.float64)
        except (TypeError, ValueError):
            boxes = None
        if boxes is None or boxes.shape != (len(points), 4):
            warnings.warn(f'{path}: "boxes" is not one (x1, y1, x2, y2) box '
                          f'per head; its boxes are not used', stacklevel=2)
        else:
            sizes = (boxes[:, 2:] - boxes[:, :2]).astype(np.float32)
    return points, sizes


@DATASETS.register_module()
class NWPUCrowdDataset(BaseCrowdDataset):
    """NWPU-Crowd: 5109 images, 3109 train, 500 val, 1500 test.

    Expected layout, as the release unpacks (the ``images_part1`` ..
    ``images_part5`` archives may be merged into ``images/`` or kept)::

        data_root/                     # NWPU-Crowd
          images/0001.jpg ... 5109.jpg (or images_part1/ ... images_part5/)
          jsons/0001.json ... 3609.json   # train and val only
          mats/                           # (not read)
          train.txt  val.txt  test.txt    # "id luminance scene_level"

    The list file of a split gives its images. A json holds ``human_num``,
    ``points`` and ``boxes``; the count of an image is its number of points
    (a ``human_num`` that differs warns). Points are read as 0-based pixels,
    unshifted (not confirmed on the real files, see
    ``docs/dataset_prepare.md``). The test labels are withheld: the test
    split has images only, its entries no ground truth, and is scored by
    the benchmark's server from a submission file (``tools/test.py
    --format-only``). Heads annotated off their image are clipped to its
    border (:attr:`OUTSIDE`).

    Each entry carries ``luminance`` and ``scene_level`` (the list file's
    labels, for the benchmark's breakdowns) and, with ground truth,
    ``gt_head_sizes`` (box width and height per head). All three lists are
    read whatever the split: an image listed twice, or a listed image or
    annotation missing anywhere, is an error in the split read and a
    warning elsewhere.

    Args:
        data_root (str): The ``NWPU-Crowd`` folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    OUTSIDE = 'clip'
    SPLIT_SIZES = dict(train=3109, val=500, test=1500)
    #: Splits whose annotations are released.
    LABELLED = ('train', 'val')

    def image_path(self, image_id):
        """The image of ``image_id``: ``images/`` or ``images_partK/``."""
        merged = osp.join(self.data_root, 'images', f'{image_id}.jpg')
        if osp.isfile(merged):
            return merged
        part = min(5, (int(image_id) - 1) // 1000 + 1)
        split_part = osp.join(self.data_root, f'images_part{part}',
                              f'{image_id}.jpg')
        return split_part if osp.isfile(split_part) else merged

    def _check_split(self, split, listed):
        """Every image (and json of a labelled split) of ``split``."""
        for image_id, _, _ in listed[split]:
            require_file(self.image_path(image_id), 'NWPU-Crowd image')
            if split in self.LABELLED:
                require_file(
                    osp.join(self.data_root, 'jsons', f'{image_id}.json'),
                    'NWPU-Crowd annotation')
        for other, entries in listed.items():
            if other == split:
                continue
            common = {e[0] for e in entries} & {e[0] for e in listed[split]}
            if common:
                raise ValueError(
                    f'NWPUCrowdDataset: image {min(common)} is listed in both '
                    f'{split}.txt and {other}.txt ({len(common)} image(s))')

    def load_data_list(self) -> List[dict]:
        """Read the split's list and annotations; check the other splits.

        Returns:
            list[dict]: One entry per listed image with ``img_path``,
            ``luminance``, ``scene_level`` and, for ``train`` and ``val``,
            ``gt_points``, ``gt_count`` and ``gt_head_sizes``.
        """
        listed = {}
        for split in self.SPLIT_SIZES:
            path = osp.join(self.data_root, f'{split}.txt')
            if split == self.split:
                listed[split] = read_nwpu_list(path)
            elif osp.isfile(path):
                try:
                    listed[split] = read_nwpu_list(path)
                except ValueError as err:
                    warnings.warn(f'NWPUCrowdDataset: {err}', stacklevel=2)
        for split in listed:
            if split == self.split:
                continue
            try:
                self._check_split(split, listed)
            except (FileNotFoundError, ValueError) as err:
                warnings.warn(f'NWPUCrowdDataset: in the {split} split: '
                              f'{err}', stacklevel=2)
        self._check_split(self.split, listed)
        data_list = []
        for image_id, luminance, level in listed[self.split]:
            info = dict(img_path=self.image_path(image_id),
                        luminance=luminance, scene_level=level)
            if self.split in self.LABELLED:
                points, sizes = read_nwpu_json(
                    osp.join(self.data_root, 'jsons', f'{image_id}.json'))
                info.update(gt_points=points, gt_count=len(points),
                            gt_head_sizes=sizes)
            data_list.append(info)
        return data_list
