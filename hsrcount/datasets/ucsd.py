"""The UCSD pedestrian dataset (Chan et al., vidf1_33 walkway videos)."""
import os
import os.path as osp
import re

from hsrcount.registry import DATASETS
from .fixed_camera import FixedCameraDataset
from .release_io import (load_mat, mat_variable, matlab_cells, require_file,
                         roi_struct_to_mask, struct_field)

SEQUENCE_DIR = re.compile(r'^vidf1_33_(\d{3})\.y$')


@DATASETS.register_module()
class UCSDDataset(FixedCameraDataset):
    """UCSD pedestrians: 2000 grayscale 158x238 frames of one walkway.

    Expected layout, as ``ucsdpeds_vidf.zip`` and ``vidf-cvpr.zip`` unpack::

        data_root/
          vidf/
            vidf1_33_000.y/vidf1_33_000_f001.png ... vidf1_33_000_f200.png
            ...
            vidf1_33_009.y/...
          vidf-cvpr/
            vidf1_33_000_frame_full.mat ... vidf1_33_009_frame_full.mat
            vidf1_33_roi_mainwalkway.mat

    ``vidf1_33_00X_frame_full.mat`` holds ``frame``, a 1x200 cell of structs
    whose ``loc`` is the (N, 3) or (N, 2) array of heads of that frame,
    columns x, y[, z] in 1-based MATLAB pixels (converted to 0-based here).
    ``frame{j}`` annotates ``vidf1_33_00X_fJJJ.png``. The ROI file holds a
    struct ``roi`` with a ``mask`` (used when present) or a polygon
    ``xi``/``yi`` (1-based, rasterised with :func:`cv2.fillPoly`).

    Frames are numbered globally 1..2000 in sequence order (sequence ``X``,
    frame ``j`` is ``200 * X + j``); the paper trains on 601-1400 and tests
    on the rest. Only heads inside the ROI count: ``gt_points`` holds them
    and the ROI comes with each sample as ``roi``.

    Args:
        data_root (str): The folder holding ``vidf/`` and ``vidf-cvpr/``.
        split (str): ``'train'`` or ``'test'``.
        train_range (tuple[int, int]): First and last global frame index
            (1-based, inclusive) of the training split.
        use_roi (bool): Count heads inside the ROI and attach it to each
            sample. If False, every annotated head counts and no ROI is set.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    ROI_FILE = 'vidf1_33_roi_mainwalkway.mat'

    SPLIT_SIZES = dict(train=800, test=1200)
    DEFAULT_TRAIN_RANGE = (601, 1400)

    def __init__(self, data_root, split='train', train_range=(601, 1400),
                 use_roi=True, **kwargs):
        super().__init__(data_root=data_root, split=split,
                         train_range=train_range, use_roi=use_roi, **kwargs)

    def _sequences(self):
        """The sequence numbers under ``vidf/``; they must run 0, 1, ..."""
        frame_root = osp.join(self.data_root, 'vidf')
        if not osp.isdir(frame_root):
            raise FileNotFoundError(
                f'UCSDDataset: frame folder {frame_root!r} not found')
        ids = sorted(
            int(m.group(1)) for m in map(SEQUENCE_DIR.match,
                                         os.listdir(frame_root)) if m)
        if not ids:
            raise FileNotFoundError(
                f'UCSDDataset: no vidf1_33_XXX.y folders in {frame_root!r}')
        if ids != list(range(len(ids))):
            missing = sorted(set(range(ids[-1] + 1)) - set(ids))
            raise FileNotFoundError(
                f'UCSDDataset: sequence folder(s) '
                f'{", ".join(f"vidf1_33_{i:03d}.y" for i in missing)} '
                f'missing from {frame_root!r}; the global frame numbers of '
                f'the split depend on every sequence before it')
        return ids

    def _read_sequence(self, seq):
        """Frame paths and 0-based head points of one sequence."""
        name = f'vidf1_33_{seq:03d}'
        ann_path = osp.join(self.data_root, 'vidf-cvpr',
                            f'{name}_frame_full.mat')
        mat = load_mat(ann_path, 'UCSD annotation file')
        cells = matlab_cells(mat_variable(mat, 'frame', ann_path), ann_path)
        seq_dir = osp.join(self.data_root, 'vidf', f'{name}.y')
        num_frames = sum(f.endswith('.png') for f in os.listdir(seq_dir))
        if num_frames != len(cells):
            raise ValueError(
                f'{ann_path}: annotates {len(cells)} frames but {seq_dir!r} '
                f'holds {num_frames} .png frames')
        frames = []
        for j, cell in enumerate(cells, 1):
            source = f'{ann_path} frame{{{j}}}'
            img_path = osp.join(seq_dir, f'{name}_f{j:03d}.png')
            require_file(img_path, f'UCSD frame of {source}')
            loc = struct_field(cell, 'loc', source)
            frames.append(
                (img_path, self.check_points(loc, source, (2, 3)) - 1))
        return frames

    def read_frames(self):
        """Every frame of every sequence, in global frame order."""
        frames = []
        for seq in self._sequences():
            frames += self._read_sequence(seq)
        return frames

    def read_roi(self, shape):
        path = osp.join(self.data_root, 'vidf-cvpr', self.ROI_FILE)
        roi = mat_variable(load_mat(path, 'UCSD ROI file'), 'roi', path)
        return roi_struct_to_mask(roi, path, shape)
