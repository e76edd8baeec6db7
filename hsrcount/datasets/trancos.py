"""TRANCOS (vehicles): images, dot files, per-image ROI masks."""
import os.path as osp
from typing import List

import numpy as np

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .density import points_in_roi
from .release_io import image_shape, load_roi_file, require_file


def read_dots(path):
    """Read a TRANCOS dot file: one ``x y`` pair (1-based) per line.

    Args:
        path (str): The ``.txt`` file.

    Returns:
        np.ndarray: (N, 2) float32 x, y, 0-based.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If a line does not hold two numbers.
    """
    require_file(path, 'TRANCOS dot annotation')
    points = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                if len(fields) != 2:
                    raise ValueError
                points.append((float(fields[0]), float(fields[1])))
            except ValueError:
                raise ValueError(f'{path}:{lineno}: expected "x y", got '
                                 f'{line.strip()!r}') from None
    points = BaseCrowdDataset.check_points(np.reshape(points, (-1, 2)), path)
    return points - 1


@DATASETS.register_module()
class TrancosDataset(BaseCrowdDataset):
    """TRANCOS v3 traffic-jam vehicle counting (Guerrero-Gomez-Olmedo et al.).

    Expected layout, as ``TRANCOS_v3.tar.gz`` unpacks::

        data_root/
          images/
            image-1-000001.jpg          # 640x480 colour frame
            image-1-000001.txt          # one "x<TAB>y" vehicle dot per line,
                                        #   1-based pixels
            image-1-000001mask.mat      # variable BW: (H, W) logical ROI
            image-1-000001dots.png      # (not read: the .txt holds the dots)
            ...
          image_sets/
            training.txt  validation.txt  test.txt  # one image name a line,
                                                    # e.g. image-1-000001.jpg

    The mask is looked up as ``<name>mask.mat`` (the release's spelling) and,
    failing that, ``<name> mask.mat``. Each entry carries its ``roi_path``;
    :meth:`get_data_info` reads it with :func:`load_roi_file` into ``roi``,
    so the 1244 masks are never all held in memory. Only vehicles whose dot
    falls inside the mask count (the GAME protocol evaluates inside the
    ROI), and ``gt_points`` holds just those.

    Args:
        data_root (str): The ``TRANCOS_v3`` folder.
        split (str): ``'train'`` (training.txt), ``'val'`` (validation.txt),
            ``'trainval'`` (both) or ``'test'`` (test.txt).
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    METAINFO = dict(classes=('vehicle', ))
    OUTSIDE = 'clip'
    SPLIT_FILES = dict(
        train=('training.txt', ),
        val=('validation.txt', ),
        trainval=('training.txt', 'validation.txt'),
        test=('test.txt', ))

    def __init__(self, data_root, split='train', **kwargs):
        if split not in self.SPLIT_FILES:
            raise ValueError(f'TrancosDataset: split must be one of '
                             f'{sorted(self.SPLIT_FILES)}, got {split!r}')
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _read_image_set(self, path):
        require_file(path, 'TRANCOS image list')
        with open(path) as f:
            names = [line.strip() for line in f if line.strip()]
        return [osp.splitext(name)[0] for name in names]

    def _mask_path(self, stem):
        joined = osp.join(self.data_root, 'images', f'{stem}mask.mat')
        spaced = osp.join(self.data_root, 'images', f'{stem} mask.mat')
        if osp.isfile(joined) or not osp.isfile(spaced):
            return joined
        return spaced

    def load_data_list(self) -> List[dict]:
        """Read the split's image list, dots and masks.

        Returns:
            list[dict]: One entry per listed image with ``img_path``,
            ``roi_path``, ``gt_points`` (inside the ROI) and ``gt_count``.
        """
        stems = []
        for name in self.SPLIT_FILES[self.split]:
            stems += self._read_image_set(
                osp.join(self.data_root, 'image_sets', name))
        data_list = []
        for stem in stems:
            img_path = osp.join(self.data_root, 'images', f'{stem}.jpg')
            require_file(img_path, 'TRANCOS image')
            points = read_dots(
                osp.join(self.data_root, 'images', f'{stem}.txt'))
            roi_path = self._mask_path(stem)
            roi = load_roi_file(roi_path, shape=image_shape(img_path))
            points = points[points_in_roi(points, roi)]
            data_list.append(
                dict(
                    img_path=img_path,
                    roi_path=roi_path,
                    gt_points=points,
                    gt_count=len(points)))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The entry ``idx`` with its mask, (H, W) uint8, read as ``roi``."""
        info = super().get_data_info(idx)
        info['roi'] = load_roi_file(info['roi_path'])
        return info
