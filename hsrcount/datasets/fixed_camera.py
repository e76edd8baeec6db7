"""Video datasets of one fixed camera: frames split by index, one ROI."""
from abc import abstractmethod
from typing import List

import numpy as np

from .base import BaseCrowdDataset
from .density import points_in_roi
from .release_io import image_shape


class FixedCameraDataset(BaseCrowdDataset):
    """Frames of one camera, split by frame index, sharing one ROI.

    Subclasses read their release in :meth:`read_frames` (every frame, in
    order) and :meth:`read_roi`. Frames ``train_range`` (1-based, inclusive)
    form the training split, the others the test split. With ``use_roi``
    only heads inside the ROI count, and each sample carries the ROI as
    ``roi``; it is kept once on the dataset, not in every entry.

    A validation carve (``val_split``) holds out the last ``num_val`` frames
    of the split, a contiguous stretch of video: a random carve would put
    the neighbours of every validation frame, nearly the same picture, in
    the training side. ``seed`` plays no part.

    Args:
        data_root (str): The release folder.
        split (str): ``'train'`` or ``'test'``.
        train_range (tuple[int, int]): First and last frame of the training
            split, 1-based and inclusive.
        use_roi (bool): Count heads inside the ROI and attach it to each
            sample. If False, every annotated head counts and no ROI is set.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    OUTSIDE = 'clip'
    #: Frames of the release's own train and test splits.
    SPLIT_SIZES = None
    #: The release's training range, the one :attr:`SPLIT_SIZES` is for.
    DEFAULT_TRAIN_RANGE = None

    def __init__(self, data_root, split='train', train_range=(1, 1),
                 use_roi=True, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f'{type(self).__name__}: split must be train or '
                             f'test, got {split!r}')
        self.train_range = tuple(train_range)
        self.use_roi = use_roi
        self.roi = None
        super().__init__(data_root=data_root, split=split, **kwargs)

    def expected_size(self):
        if self.SPLIT_SIZES is None or \
                self.train_range != self.DEFAULT_TRAIN_RANGE:
            return None
        return self.SPLIT_SIZES[self.split]

    def held_out(self, num_images):
        """The last ``num_val`` frames (see the class docstring)."""
        return np.arange(num_images - self.num_val, num_images)

    @abstractmethod
    def read_frames(self):
        """Every frame of the release, in frame order.

        Returns:
            list[tuple[str, np.ndarray]]: ``(img_path, points)`` per frame,
            points (N, 2) float32, 0-based.
        """

    @abstractmethod
    def read_roi(self, shape):
        """The camera's region of interest.

        Args:
            shape (tuple[int, int]): The frames' (H, W).

        Returns:
            np.ndarray: (H, W) uint8, 1 inside.
        """

    def load_data_list(self) -> List[dict]:
        """Read every frame and keep the split's.

        Returns:
            list[dict]: One entry per frame with ``img_path``, ``gt_points``,
            ``gt_count`` and ``frame_index`` (1-based).
        """
        frames = self.read_frames()
        if self.use_roi:
            self.roi = self.read_roi(image_shape(frames[0][0]))
        lo, hi = self.train_range
        data_list = []
        for index, (img_path, points) in enumerate(frames, 1):
            if (lo <= index <= hi) != (self.split == 'train'):
                continue
            if self.roi is not None:
                points = points[points_in_roi(points, self.roi)]
            data_list.append(
                dict(
                    img_path=img_path,
                    gt_points=points,
                    gt_count=len(points),
                    frame_index=index))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The entry ``idx`` with the camera's ROI, (H, W) uint8, as ``roi``.
        """
        info = super().get_data_info(idx)
        if self.roi is not None:
            info['roi'] = self.roi.copy()
        return info
