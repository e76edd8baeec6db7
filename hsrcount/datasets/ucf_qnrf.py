"""UCF-QNRF (Idrees et al., ECCV 2018), read from the release."""
import os
import os.path as osp
import re
import warnings
from typing import List

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .release_io import load_mat, mat_variable

_IMG_RE = re.compile(r'^img_(\d+)\.jpg$')
_ANN_RE = re.compile(r'^img_(\d+)_ann\.mat$')


def pair_qnrf_folder(folder):
    """The images of one UCF-QNRF split folder with their annotations.

    Args:
        folder (str): ``Train`` or ``Test``.

    Returns:
        list[tuple[str, str]]: ``(img_NNNN.jpg, img_NNNN_ann.mat)`` file
        names, sorted by number.

    Raises:
        FileNotFoundError: If the folder is missing, or an image lacks its
            annotation or the other way round; names the first such file
            and how many there are.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'UCFQNRFDataset: folder {folder!r} not '
                                f'found; data_root must hold Train/ and '
                                f'Test/')
    imgs, anns = {}, {}
    for name in os.listdir(folder):
        for regex, found in ((_IMG_RE, imgs), (_ANN_RE, anns)):
            match = regex.match(name)
            if match:
                found[match.group(1)] = name
    for have, lack, other in ((imgs, anns, 'annotation img_{}_ann.mat'),
                              (anns, imgs, 'image img_{}.jpg')):
        orphans = sorted(set(have) - set(lack), key=int)
        if orphans:
            raise FileNotFoundError(
                f'{osp.join(folder, have[orphans[0]])}: no '
                f'{other.format(orphans[0])} ({len(orphans)} file(s) without '
                f'a partner)')
    return [(imgs[i], anns[i]) for i in sorted(imgs, key=int)]


@DATASETS.register_module()
class UCFQNRFDataset(BaseCrowdDataset):
    """UCF-QNRF: 1535 dense-crowd images, 1201 train and 334 test.

    Expected layout, as ``UCF-QNRF_ECCV18.zip`` unpacks::

        data_root/                  # UCF-QNRF_ECCV18
          Train/img_0001.jpg  img_0001_ann.mat  ...  img_1201.jpg ...
          Test/img_0001.jpg   img_0001_ann.mat  ...  img_0334.jpg ...

    ``img_NNNN_ann.mat`` holds ``annPoints``, the (N, 2) heads as x, y.
    They are read as 1-based MATLAB pixels and moved to 0-based (the
    release comes from the authors of UCF_CC_50, whose ``annPoints`` are
    1-based; not confirmed on the real files, see
    ``docs/dataset_prepare.md``). Images are up to about 9000 px wide:
    configs resize them with ``ResizeToRange``. Heads annotated off their
    image are clipped to its border (:attr:`OUTSIDE`), keeping the
    official count.

    Both split folders are paired (an image without annotation, or the
    reverse, is an error in the split read and a warning in the other), and
    a split whose size is not the release's (1201/334) warns.

    Args:
        data_root (str): The ``UCF-QNRF_ECCV18`` folder.
        split (str): ``'train'`` or ``'test'``.
        **kwargs: Passed to :class:`BaseCrowdDataset` (``val_split``,
            ``num_val``, ``seed`` carve a validation split from ``train``).
    """

    OUTSIDE = 'clip'
    FOLDERS = dict(train='Train', test='Test')
    SPLIT_SIZES = dict(train=1201, test=334)

    def load_data_list(self) -> List[dict]:
        """Read the split's annotations, pairing every folder's files.

        Returns:
            list[dict]: One entry per image with ``img_path``,
            ``gt_points`` and ``gt_count``.
        """
        folder = osp.join(self.data_root, self.FOLDERS[self.split])
        pairs = pair_qnrf_folder(folder)
        for split, name in self.FOLDERS.items():
            other = osp.join(self.data_root, name)
            if split != self.split and osp.isdir(other):
                try:
                    pair_qnrf_folder(other)
                except FileNotFoundError as err:
                    warnings.warn(f'UCFQNRFDataset: in the {split} split: '
                                  f'{err}', stacklevel=2)
        data_list = []
        for img_name, ann_name in pairs:
            ann_path = osp.join(folder, ann_name)
            mat = load_mat(ann_path, 'UCF-QNRF annotation file')
            points = self.check_points(
                mat_variable(mat, 'annPoints', ann_path), ann_path) - 1
            data_list.append(
                dict(img_path=osp.join(folder, img_name), gt_points=points,
                     gt_count=len(points)))
        return data_list
