"""The Mall dataset (Chen et al., BMVC 2012)."""
import os
import os.path as osp

import numpy as np

from hsrcount.registry import DATASETS
from .fixed_camera import FixedCameraDataset
from .release_io import (load_mat, mat_variable, matlab_cells, require_file,
                         roi_struct_to_mask, struct_field)


@DATASETS.register_module()
class MallDataset(FixedCameraDataset):
    """Mall: 2000 640x480 frames of one shopping-mall camera.

    Expected layout, as ``mall_dataset.zip`` unpacks::

        data_root/                    # mall_dataset/
          frames/seq_000001.jpg ... seq_002000.jpg
          mall_gt.mat
          perspective_roi.mat

    ``mall_gt.mat`` holds ``frame``, a 1x2000 cell of structs whose ``loc``
    is the (N, 2) array of head positions of frame ``j`` (x, y, 1-based
    MATLAB pixels, converted to 0-based here), and ``count``, the 2000x1
    head counts; each count must equal its number of points.
    ``perspective_roi.mat`` holds ``pMapN`` (not read) and a struct ``roi``
    with a ``mask`` (or a polygon ``xi``/``yi``, 1-based).

    Following Chen et al., frames 1-800 train and 801-2000 test. Heads
    inside the ROI count; ``gt_points`` holds them and each sample carries
    the ROI as ``roi``.

    Args:
        data_root (str): The ``mall_dataset`` folder.
        split (str): ``'train'`` or ``'test'``.
        train_range (tuple[int, int]): First and last frame (1-based,
            inclusive) of the training split; the other frames test.
        use_roi (bool): Count heads inside the ROI and attach it to each
            sample. If False, every annotated head counts and no ROI is set.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    SPLIT_SIZES = dict(train=800, test=1200)
    DEFAULT_TRAIN_RANGE = (1, 800)

    def __init__(self, data_root, split='train', train_range=(1, 800),
                 use_roi=True, **kwargs):
        super().__init__(data_root=data_root, split=split,
                         train_range=train_range, use_roi=use_roi, **kwargs)

    def _read_annotations(self):
        """(N, 2) 0-based points of every frame, in frame order."""
        path = osp.join(self.data_root, 'mall_gt.mat')
        mat = load_mat(path, 'Mall annotation file')
        cells = matlab_cells(mat_variable(mat, 'frame', path), path)
        counts = np.asarray(mat_variable(mat, 'count', path)).ravel()
        if len(counts) != len(cells):
            raise ValueError(f'{path}: holds {len(cells)} frame entries but '
                             f'{len(counts)} counts')
        frames = []
        for j, (cell, count) in enumerate(zip(cells, counts), 1):
            source = f'{path} frame{{{j}}}'
            points = self.check_points(struct_field(cell, 'loc', source),
                                       source)
            if len(points) != count:
                raise ValueError(f'{source}: {len(points)} head points but '
                                 f'count({j}) = {count:g}')
            frames.append(points - 1)
        return frames

    def read_frames(self):
        """Every frame with its points, checked against the frames folder."""
        frame_dir = osp.join(self.data_root, 'frames')
        if not osp.isdir(frame_dir):
            raise FileNotFoundError(
                f'MallDataset: frame folder {frame_dir!r} not found')
        frames = self._read_annotations()
        num_images = sum(f.endswith('.jpg') for f in os.listdir(frame_dir))
        if num_images != len(frames):
            raise ValueError(
                f'{osp.join(self.data_root, "mall_gt.mat")}: annotates '
                f'{len(frames)} frames but {frame_dir!r} holds {num_images} '
                f'.jpg frames')
        img_paths = [
            osp.join(frame_dir, f'seq_{j:06d}.jpg')
            for j in range(1, len(frames) + 1)
        ]
        for img_path in img_paths:
            require_file(img_path, 'Mall frame')
        return list(zip(img_paths, frames))

    def read_roi(self, shape):
        path = osp.join(self.data_root, 'perspective_roi.mat')
        roi = mat_variable(load_mat(path, 'Mall ROI file'), 'roi', path)
        return roi_struct_to_mask(roi, path, shape)
