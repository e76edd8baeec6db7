"""The base class of every crowd-counting dataset."""
import os.path as osp

import numpy as np
from mmengine.dataset import BaseDataset

DATASET_DOC = 'docs/dataset_prepare.md'


class BaseCrowdDataset(BaseDataset):
    """A dataset of images with head points, one dict per image.

    Subclasses read their family's files in :meth:`load_data_list` and return
    one dict per image with these keys (the contract of the whole pipeline):

    - ``img_path`` (str): the image file.
    - ``gt_points`` (np.ndarray): (N, 2) float32, x then y, 0-based pixels.
    - ``gt_count`` (int): the number of annotated heads (inside the ROI where
      there is one). The count of an image is its number of points.
    - ``roi`` (np.ndarray, optional): (H, W), non-zero inside the region of
      interest (a dataset with per-image mask files reads the file into
      ``roi`` in :meth:`get_data_info`, as TRANCOS does).
    - ``scene`` (str, optional): the scene an image belongs to, for datasets
      that report per-scene metrics (WorldExpo'10).

    Args:
        data_root (str): The dataset's root folder. A missing root fails with
            a message that points to ``docs/dataset_prepare.md``.
        split (str): Which split to read, e.g. ``'train'`` or ``'test'``.
        pipeline (list[dict]): Transforms applied to each sample.
        test_mode (bool): Whether the dataset is used for evaluation.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=('person', ))

    def __init__(self, data_root, split='train', pipeline=(), test_mode=False,
                 **kwargs):
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {data_root!r} does not '
                f'exist. See {DATASET_DOC} for where to put the dataset and '
                f'how to point the config at another folder.')
        self.split = split
        super().__init__(
            data_root=data_root,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def filter_data(self):
        """Refuse an empty dataset before MMEngine serialises it."""
        data_list = super().filter_data()
        if not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__}: no images found for split '
                f'{self.split!r} under {self.data_root!r}. See {DATASET_DOC}.')
        return data_list

    @staticmethod
    def check_points(points, source: str) -> np.ndarray:
        """Validate an (N, 2) point array read from ``source``.

        Args:
            points (array-like): Head positions, x then y.
            source (str): The annotation file, named in errors.

        Returns:
            np.ndarray: (N, 2) float32 points.

        Raises:
            ValueError: If the array is not (N, 2) or holds NaN or inf.
        """
        points = np.asarray(points, dtype=np.float32)
        if points.size == 0:
            return np.zeros((0, 2), dtype=np.float32)
        if points.ndim != 2 or points.shape[1] < 2:
            raise ValueError(f'{source}: expected head points of shape '
                             f'(N, 2), got {points.shape}')
        points = points[:, :2]
        if not np.isfinite(points).all():
            bad = int((~np.isfinite(points)).any(axis=1).sum())
            raise ValueError(f'{source}: {bad} head point(s) are NaN or '
                             f'infinite')
        return np.ascontiguousarray(points)
