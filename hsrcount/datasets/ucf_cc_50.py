"""The UCF_CC_50 dense-crowd dataset (Idrees et al., CVPR 2013)."""
import os.path as osp
from typing import List

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .release_io import load_mat, mat_variable, require_file


@DATASETS.register_module()
class UCFCC50Dataset(BaseCrowdDataset):
    """UCF_CC_50: 50 grayscale images of dense crowds, 5-fold protocol.

    Expected layout, as ``UCF_CC_50.zip`` unpacks::

        data_root/
          1.jpg  1_ann.mat  2.jpg  2_ann.mat  ...  50.jpg  50_ann.mat

    ``N_ann.mat`` holds ``annPoints``, the (N, 2) heads as x, y in 1-based
    MATLAB pixels (converted to 0-based here). There is no ROI.

    Fold ``k`` tests on images ``10k+1 .. 10k+10`` and trains on the other
    40; results are the mean over the five folds. Every image and
    annotation of the release must be there, whichever split is read.
    Heads annotated off their image are clipped to its border
    (:attr:`OUTSIDE`), keeping the official count.

    Args:
        data_root (str): The ``UCF_CC_50`` folder.
        split (str): ``'train'`` or ``'test'``.
        fold (int): The cross-validation fold, 0 to 4.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    NUM_IMAGES = 50
    NUM_FOLDS = 5
    OUTSIDE = 'clip'

    def __init__(self, data_root, split='train', fold=0, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f'UCFCC50Dataset: split must be train or test, '
                             f'got {split!r}')
        if fold not in range(self.NUM_FOLDS):
            raise ValueError(f'UCFCC50Dataset: fold must be 0 to '
                             f'{self.NUM_FOLDS - 1}, got {fold!r}')
        self.fold = fold
        super().__init__(data_root=data_root, split=split, **kwargs)

    def image_ids(self):
        """The 1-based image numbers of this split and fold."""
        per_fold = self.NUM_IMAGES // self.NUM_FOLDS
        test = range(self.fold * per_fold + 1, (self.fold + 1) * per_fold + 1)
        if self.split == 'test':
            return list(test)
        return [i for i in range(1, self.NUM_IMAGES + 1) if i not in test]

    def load_data_list(self) -> List[dict]:
        """Read the annotations of the split's images.

        Returns:
            list[dict]: One entry per image with ``img_path``, ``gt_points``
            and ``gt_count``.
        """
        for i in range(1, self.NUM_IMAGES + 1):
            require_file(osp.join(self.data_root, f'{i}.jpg'),
                         'UCF_CC_50 image')
            require_file(osp.join(self.data_root, f'{i}_ann.mat'),
                         'UCF_CC_50 annotation file')
        data_list = []
        for i in self.image_ids():
            img_path = osp.join(self.data_root, f'{i}.jpg')
            ann_path = osp.join(self.data_root, f'{i}_ann.mat')
            mat = load_mat(ann_path, 'UCF_CC_50 annotation file')
            points = self.check_points(
                mat_variable(mat, 'annPoints', ann_path), ann_path) - 1
            data_list.append(
                dict(
                    img_path=img_path, gt_points=points,
                    gt_count=len(points)))
        return data_list
