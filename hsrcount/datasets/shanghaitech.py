"""ShanghaiTech Part A / Part B, read from the authors' release."""
import os
import os.path as osp
import re
import warnings
from typing import List

import numpy as np
import scipy.io as sio

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset

_IMG_RE = re.compile(r'^IMG_(\d+)\.jpg$')
_GT_RE = re.compile(r'^GT_IMG_(\d+)\.mat$')


def load_shanghaitech_mat(path):
    """Read the head points of one ``GT_IMG_n.mat``.

    The file holds ``image_info[0, 0][0, 0]`` with fields ``location``
    ((N, 2) x, y) and ``number`` (N).

    The release's coordinates lie in ``[0, W) x [0, H)`` with fractional
    parts (checked over every file of the release by the real-data tests:
    the smallest is 0.001, none reaches the width or height). They are
    therefore read as 0-based continuous pixel coordinates, the convention
    of hsrcount, and not shifted by one: subtracting 1 would move 312 of
    the 250,685 heads of Part A train and Part B out of the image.

    Args:
        path (str): The ``.mat`` file.

    Returns:
        np.ndarray: (N, 2) float32 points, x then y.

    Raises:
        ValueError: If the file cannot be read, has another layout, or
            ``len(location) != number``.
    """
    try:
        info = sio.loadmat(path)['image_info'][0, 0][0, 0]
        location = info['location']
        number = int(np.asarray(info['number']).squeeze())
    except Exception as e:  # scipy raises many types for broken files
        raise ValueError(f'{path}: not a readable ShanghaiTech annotation '
                         f'(image_info.location / number): {e!r}') from e
    points = BaseCrowdDataset.check_points(location, path)
    if len(points) != number:
        raise ValueError(f'{path}: {len(points)} locations but number = '
                         f'{number}')
    return points


#: Images per split of each part, as released.
SPLIT_SIZES = dict(part_a=dict(train=300, test=182),
                   part_b=dict(train=400, test=316))


def pair_ids(img_dir, gt_dir):
    """The image ids of one split folder, checked against its annotations.

    Args:
        img_dir (str): The ``images`` folder.
        gt_dir (str): The ``ground-truth`` folder.

    Returns:
        list[int]: The sorted ids ``n`` of ``IMG_n.jpg``.

    Raises:
        FileNotFoundError: If a folder is missing, or an image has no
            annotation or an annotation no image; names the first such file
            and how many there are.
    """
    for d in (img_dir, gt_dir):
        if not osp.isdir(d):
            raise FileNotFoundError(
                f'ShanghaiTechDataset: folder {d!r} not found; data_root '
                f'must be a part_A or part_B folder')
    img_ids = {int(m.group(1)) for m in map(_IMG_RE.match,
                                            os.listdir(img_dir)) if m}
    gt_ids = {int(m.group(1)) for m in map(_GT_RE.match, os.listdir(gt_dir))
              if m}
    if img_ids - gt_ids:
        i = min(img_ids - gt_ids)
        raise FileNotFoundError(
            f'{osp.join(img_dir, f"IMG_{i}.jpg")}: no annotation '
            f'{osp.join(gt_dir, f"GT_IMG_{i}.mat")} '
            f'({len(img_ids - gt_ids)} image(s) without one)')
    if gt_ids - img_ids:
        i = min(gt_ids - img_ids)
        raise FileNotFoundError(
            f'{osp.join(gt_dir, f"GT_IMG_{i}.mat")}: no image '
            f'{osp.join(img_dir, f"IMG_{i}.jpg")} '
            f'({len(gt_ids - img_ids)} annotation(s) without one)')
    return sorted(img_ids)


@DATASETS.register_module()
class ShanghaiTechDataset(BaseCrowdDataset):
    """ShanghaiTech Part A or Part B.

    Layout (as released)::

        part_A/                      <- data_root
          train_data/images/IMG_1.jpg
          train_data/ground-truth/GT_IMG_1.mat
          test_data/...

    The count of an image is ``number`` from its ``.mat`` file; every head
    of the release lies inside its image (see :func:`load_shanghaitech_mat`).
    Should a copy hold heads off their image, they are clipped to the
    border (:attr:`OUTSIDE`), keeping the official count.

    The split's images must pair with its annotations (an error names the
    first file without a partner); the other split of the part is paired
    too, and a problem there is a warning. A split whose size differs from
    the release's (Part A 300/182, Part B 400/316; the part is told by the
    folder name) is a warning naming the folder and both numbers.

    A validation split can be carved from the training images
    (``val_split``, ``num_val``, ``seed``; see :class:`BaseCrowdDataset`),
    e.g. "Part A train minus 30 held-out images".

    Args:
        data_root (str): The ``part_A`` or ``part_B`` folder.
        split (str): ``'train'`` or ``'test'``.
        **kwargs: Passed to :class:`BaseCrowdDataset` (``val_split``,
            ``num_val``, ``seed``, ``check_size``, ``pipeline``, ...).
    """

    OUTSIDE = 'clip'
    SPLITS = ('train', 'test')

    def __init__(self, data_root, split='train', **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'split must be "train" or "test", got {split!r}')
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _split_dirs(self, split):
        base = osp.join(self.data_root, f'{split}_data')
        return osp.join(base, 'images'), osp.join(base, 'ground-truth')

    def part(self):
        """``'part_a'``, ``'part_b'`` or None, from the folder name."""
        name = osp.basename(osp.normpath(self.data_root)).lower()
        match = re.match(r'^part_([ab])(_final)?$', name)
        return f'part_{match.group(1)}' if match else None

    def expected_size(self):
        sizes = SPLIT_SIZES.get(self.part())
        return None if sizes is None else sizes[self.split]

    def _check_siblings(self):
        """Pair the other split's files too; a problem there warns."""
        for split in self.SPLITS:
            if split == self.split:
                continue
            img_dir, gt_dir = self._split_dirs(split)
            if not osp.isdir(osp.dirname(img_dir)):
                continue  # a copy with one split only
            try:
                pair_ids(img_dir, gt_dir)
            except FileNotFoundError as err:
                warnings.warn(f'ShanghaiTechDataset: in the {split} split: '
                              f'{err}', stacklevel=3)

    def load_data_list(self) -> List[dict]:
        img_dir, gt_dir = self._split_dirs(self.split)
        ids = pair_ids(img_dir, gt_dir)
        self._check_siblings()
        data_list = []
        for i in ids:
            points = load_shanghaitech_mat(osp.join(gt_dir, f'GT_IMG_{i}.mat'))
            data_list.append(
                dict(img_path=osp.join(img_dir, f'IMG_{i}.jpg'),
                     gt_points=points, gt_count=len(points)))
        return data_list
