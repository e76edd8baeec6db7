"""ShanghaiTech Part A / Part B, read from the authors' release."""
import os
import os.path as osp
import re
from typing import List

import numpy as np
import scipy.io as sio

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset

_IMG_RE = re.compile(r'^IMG_(\d+)\.jpg$')


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

    A validation split can be carved from the training images: the image
    ids are shuffled with ``seed`` and the first ``num_val`` form ``'val'``,
    the rest ``'train'``, e.g. "Part A train minus 60 held-out images".

    Args:
        data_root (str): The ``part_A`` or ``part_B`` folder.
        split (str): ``'train'`` or ``'test'``.
        val_split (str, optional): ``None`` (all images of ``split``),
            ``'train'`` or ``'val'`` (the two sides of the carve).
        num_val (int): Images held out for ``'val'``. Defaults to 60.
        seed (int): Seed of the carve. Defaults to 0.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    def __init__(self, data_root, split='train', val_split=None, num_val=60,
                 seed=0, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f'split must be "train" or "test", got {split!r}')
        if val_split not in (None, 'train', 'val'):
            raise ValueError(f'val_split must be None, "train" or "val", '
                             f'got {val_split!r}')
        self.val_split = val_split
        self.num_val = num_val
        self.seed = seed
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _image_ids(self, img_dir, gt_dir):
        for d in (img_dir, gt_dir):
            if not osp.isdir(d):
                raise FileNotFoundError(
                    f'ShanghaiTechDataset: folder {d!r} not found; data_root '
                    f'must be a part_A or part_B folder')
        img_ids = {int(m.group(1)) for m in map(_IMG_RE.match,
                                                os.listdir(img_dir)) if m}
        gt_ids = {
            int(m.group(1))
            for m in map(re.compile(r'^GT_IMG_(\d+)\.mat$').match,
                         os.listdir(gt_dir)) if m
        }
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

    def _carve(self, ids):
        if self.val_split is None:
            return ids
        if not 0 < self.num_val < len(ids):
            raise ValueError(f'num_val={self.num_val} must be between 1 and '
                             f'{len(ids) - 1} ({len(ids)} images)')
        order = np.random.default_rng(self.seed).permutation(len(ids))
        val = set(np.asarray(ids)[order[:self.num_val]].tolist())
        keep_val = self.val_split == 'val'
        return [i for i in ids if (i in val) == keep_val]

    def load_data_list(self) -> List[dict]:
        base = osp.join(self.data_root, f'{self.split}_data')
        img_dir = osp.join(base, 'images')
        gt_dir = osp.join(base, 'ground-truth')
        data_list = []
        for i in self._carve(self._image_ids(img_dir, gt_dir)):
            points = load_shanghaitech_mat(osp.join(gt_dir, f'GT_IMG_{i}.mat'))
            data_list.append(
                dict(img_path=osp.join(img_dir, f'IMG_{i}.jpg'),
                     gt_points=points, gt_count=len(points)))
        return data_list
