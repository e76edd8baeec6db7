"""The WorldExpo'10 cross-scene dataset (Zhang et al., CVPR 2015)."""
import os
import os.path as osp
import re
from typing import List

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .density import points_in_roi
from .release_io import image_shape, load_mat, mat_variable, polygon_to_mask

SCENE_ID = re.compile(r'^\d{6}$')


@DATASETS.register_module()
class WorldExpoDataset(BaseCrowdDataset):
    """WorldExpo'10: 576x720 frames of 108 scenes, a polygon ROI per scene.

    Expected layout, as the authors release it::

        data_root/
          train_frame/<scene>_<...>.jpg       # 3380 frames, flat; the scene
                                              #   is the first 6 characters
          train_label/<scene>/<frame>.mat     # one per frame, same stem
          train_label/<scene>/roi.mat
          test_frame/<scene>/<frame>.jpg      # 5 scene folders, 120 frames
          test_label/<scene>/<frame>.mat
          test_label/<scene>/roi.mat
          train_perspective/ test_perspective/  # (not read)

    Frames may also sit flat in ``test_frame/`` or in scene folders in
    ``train_frame/``: a frame in a sub-folder belongs to that folder's scene,
    a frame at the top to the scene its name starts with (6 digits, e.g.
    ``104207_...`` or ``200247-...``). A label file holds the heads in
    ``point_position`` (or ``point``): (N, 2) x, y in 1-based MATLAB pixels
    (converted to 0-based; the 1-based origin is our reading of the
    MATLAB-made labels). ``roi.mat`` holds the polygon
    ``maskVerticesXCoordinates`` / ``maskVerticesYCoordinates`` (1-based),
    rasterised at the scene's frame size with :func:`cv2.fillPoly`.

    Heads inside the ROI count (the benchmark's protocol); ``gt_points``
    holds them. Every entry carries ``scene`` and its ROI as ``roi``; the
    five test scenes (:attr:`TEST_SCENES`, S1-S5 of the paper) are reported
    separately by scene. Some copies of the release store labels as MATLAB
    v7.3 files, which scipy cannot read: re-save them with ``-v7``.

    Args:
        data_root (str): The folder holding ``train_frame/`` etc.
        split (str): ``'train'`` or ``'test'``.
        scenes (Sequence[str], optional): Read only these scenes, e.g.
            ``['104207']`` to evaluate S1 on its own. Default: all.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    TEST_SCENES = ('104207', '200608', '200702', '202201', '500717')
    OUTSIDE = 'clip'

    def __init__(self, data_root, split='train', scenes=None, **kwargs):
        if split not in ('train', 'test'):
            raise ValueError(f'WorldExpoDataset: split must be train or '
                             f'test, got {split!r}')
        self.scenes = None if scenes is None else [str(s) for s in scenes]
        self.rois = {}
        super().__init__(data_root=data_root, split=split, **kwargs)

    def _frames_by_scene(self):
        """{scene: [frame paths, sorted]} of the split's frame folder."""
        frame_dir = osp.join(self.data_root, f'{self.split}_frame')
        if not osp.isdir(frame_dir):
            raise FileNotFoundError(
                f'WorldExpoDataset: frame folder {frame_dir!r} not found')
        frames = {}
        for name in sorted(os.listdir(frame_dir)):
            path = osp.join(frame_dir, name)
            if osp.isdir(path):
                frames.setdefault(name, []).extend(
                    osp.join(path, f) for f in sorted(os.listdir(path))
                    if f.lower().endswith('.jpg'))
            elif name.lower().endswith('.jpg'):
                if not SCENE_ID.match(name[:6]):
                    raise ValueError(
                        f'{path}: cannot tell the scene of this frame; '
                        f'frame names start with the 6-digit scene id')
                frames.setdefault(name[:6], []).append(path)
        if self.scenes is not None:
            missing = sorted(set(self.scenes) - set(frames))
            if missing:
                raise FileNotFoundError(
                    f'WorldExpoDataset: no {self.split} frames of scene(s) '
                    f'{", ".join(missing)} in {frame_dir!r}')
            frames = {s: frames[s] for s in self.scenes}
        return {scene: paths for scene, paths in frames.items() if paths}

    def load_data_list(self) -> List[dict]:
        """Read each frame's label and each scene's ROI.

        Returns:
            list[dict]: One entry per frame with ``img_path``, ``gt_points``
            (inside the ROI), ``gt_count`` and ``scene``.
        """
        label_dir = osp.join(self.data_root, f'{self.split}_label')
        data_list = []
        for scene, img_paths in self._frames_by_scene().items():
            roi_path = osp.join(label_dir, scene, 'roi.mat')
            roi_mat = load_mat(roi_path, 'WorldExpo ROI file')
            self.rois[scene] = polygon_to_mask(
                mat_variable(roi_mat, 'maskVerticesXCoordinates', roi_path),
                mat_variable(roi_mat, 'maskVerticesYCoordinates', roi_path),
                image_shape(img_paths[0]), roi_path)
            for img_path in img_paths:
                stem = osp.splitext(osp.basename(img_path))[0]
                label_path = osp.join(label_dir, scene, f'{stem}.mat')
                mat = load_mat(label_path, 'WorldExpo label file')
                points = self.check_points(
                    mat_variable(mat, ('point_position', 'point'),
                                 label_path), label_path) - 1
                points = points[points_in_roi(points, self.rois[scene])]
                data_list.append(
                    dict(
                        img_path=img_path,
                        gt_points=points,
                        gt_count=len(points),
                        scene=scene))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The entry ``idx`` with its scene's ROI, (H, W) uint8, as ``roi``.

        Each scene's ROI is kept once on the dataset rather than in every
        entry.
        """
        info = super().get_data_info(idx)
        info['roi'] = self.rois[info['scene']].copy()
        return info
