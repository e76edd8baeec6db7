"""JHU-Crowd++ (Sindagi et al., TPAMI 2020), read from the release."""
import os
import os.path as osp
import warnings
from typing import List

import numpy as np

from hsrcount.registry import DATASETS
from .base import BaseCrowdDataset
from .release_io import require_file

#: Weather labels of ``image_labels.txt``.
JHU_WEATHER = {0: 'none', 1: 'fog/haze', 2: 'rain', 3: 'snow'}


def read_image_labels(path):
    """Read a JHU-Crowd++ ``image_labels.txt``.

    One line per image: ``name,count,scene type,weather,distractor``
    (commas; a line without commas is split at whitespace). ``weather``
    is 0 (none), 1 (fog/haze), 2 (rain) or 3 (snow); ``distractor`` 0 or
    1.

    Args:
        path (str): The file.

    Returns:
        dict[str, dict]: Image name (without extension) to ``count``,
        ``scene_type``, ``weather`` and ``distractor``, in file order.

    Raises:
        ValueError: If a line does not have five fields, a number is not an
            integer, or a name appears twice; names the file and line.
    """
    require_file(path, 'JHU-Crowd++ image_labels.txt')
    labels = {}
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            text = line.strip()
            fields = [c.strip() for c in (text.split(',') if ',' in text
                                          else text.split())]
            if len(fields) != 5:
                raise ValueError(
                    f'{path}, line {line_no}: expected name,count,scene type,'
                    f'weather,distractor, got {line.strip()!r}')
            name = osp.splitext(fields[0])[0]
            try:
                count, weather, distractor = (int(fields[1]), int(fields[3]),
                                              int(fields[4]))
            except ValueError:
                raise ValueError(f'{path}, line {line_no}: count, weather and '
                                 f'distractor must be integers, got '
                                 f'{line.strip()!r}') from None
            if weather not in JHU_WEATHER:
                raise ValueError(f'{path}, line {line_no}: weather must be '
                                 f'one of {sorted(JHU_WEATHER)}, got '
                                 f'{weather}')
            if name in labels:
                raise ValueError(f'{path}, line {line_no}: image {name!r} is '
                                 f'listed twice')
            labels[name] = dict(count=count, scene_type=fields[2],
                                weather=weather, distractor=distractor)
    return labels


def read_jhu_gt(path):
    """Read a JHU-Crowd++ ``gt/NNNN.txt``: one ``x y w h o b`` line a head.

    ``x, y`` is the head, ``w, h`` its box size, ``o`` the occlusion level
    and ``b`` the blur flag. An empty file is an image without heads.

    Args:
        path (str): The file.

    Returns:
        tuple[np.ndarray, np.ndarray]: (N, 2) float32 points and (N, 2)
        float32 box sizes ``(w, h)``.

    Raises:
        ValueError: If a line does not hold six numbers; names the file
            and line.
    """
    rows = []
    with open(path, encoding='utf-8-sig') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                if len(fields) != 6:
                    raise ValueError
                rows.append([float(v) for v in fields])
            except ValueError:
                raise ValueError(f'{path}, line {line_no}: expected "x y w h '
                                 f'o b", six numbers, got {line.strip()!r}'
                                 ) from None
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 6)
    points = BaseCrowdDataset.check_points(rows[:, :2], path)
    sizes = rows[:, 2:4].astype(np.float32)
    return points, sizes


@DATASETS.register_module()
class JHUCrowdDataset(BaseCrowdDataset):
    """JHU-Crowd++: 4372 images, 2272 train, 500 val and 1600 test.

    Expected layout, as ``jhu_crowd_v2.0.zip`` unpacks::

        data_root/                     # jhu_crowd_v2.0
          train/images/0001.jpg ...
          train/gt/0001.txt ...        # one "x y w h o b" line per head
          train/image_labels.txt       # name,count,scene type,weather,
          val/...                      #   distractor; one line per image
          test/...

    The images of a split are those its ``image_labels.txt`` lists; every
    one must have its image and its ``gt`` file (an empty ``gt`` file, or
    a missing one for an image whose listed count is 0, is an image without
    heads: the release has such images). The count of an image is its
    number of ``gt`` lines; a listed count that differs warns. Points are
    read as 0-based pixels, unshifted (not confirmed on the real files, see
    ``docs/dataset_prepare.md``). Heads annotated off their image are
    clipped to its border (:attr:`OUTSIDE`).

    Each entry carries ``weather`` (0-3, :data:`JHU_WEATHER`),
    ``scene_type`` and ``distractor`` for the benchmark's breakdowns, and
    ``gt_head_sizes`` (the box ``w, h`` of each head) for
    ``LoadCrowdAnnotations(head_sigmas=dict(mode='boxes'))``. The other
    splits' lists are read too, so a missing file anywhere warns.

    Args:
        data_root (str): The ``jhu_crowd_v2.0`` folder.
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        **kwargs: Passed to :class:`BaseCrowdDataset`.
    """

    OUTSIDE = 'clip'
    SPLIT_SIZES = dict(train=2272, val=500, test=1600)

    def _split_files(self, split):
        """(name, img_path, gt_path, labels) of every listed image."""
        folder = osp.join(self.data_root, split)
        labels = read_image_labels(osp.join(folder, 'image_labels.txt'))
        files = []
        for name, label in labels.items():
            img_path = osp.join(folder, 'images', f'{name}.jpg')
            require_file(img_path, 'JHU-Crowd++ image')
            gt_path = osp.join(folder, 'gt', f'{name}.txt')
            if not osp.isfile(gt_path) and label['count'] != 0:
                require_file(gt_path, 'JHU-Crowd++ annotation')
            files.append((name, img_path, gt_path, label))
        listed = {f'{name}.jpg' for name in labels}
        unlisted = sorted(
            f for f in os.listdir(osp.join(folder, 'images'))
            if f.lower().endswith('.jpg') and f not in listed)
        if unlisted:
            warnings.warn(
                f'JHUCrowdDataset: {len(unlisted)} image(s) in '
                f'{osp.join(folder, "images")!r} are not listed in '
                f'image_labels.txt and are not read, e.g. {unlisted[0]}',
                stacklevel=3)
        return files

    def load_data_list(self) -> List[dict]:
        """Read the split's labels and annotations; check the other splits'.

        Returns:
            list[dict]: One entry per listed image with ``img_path``,
            ``gt_points``, ``gt_count``, ``gt_head_sizes``, ``weather``,
            ``scene_type`` and ``distractor``.
        """
        for split in self.SPLIT_SIZES:
            if split != self.split and osp.isdir(
                    osp.join(self.data_root, split)):
                try:
                    self._split_files(split)
                except (FileNotFoundError, ValueError) as err:
                    warnings.warn(f'JHUCrowdDataset: in the {split} split: '
                                  f'{err}', stacklevel=2)
        data_list = []
        for name, img_path, gt_path, label in self._split_files(self.split):
            if osp.isfile(gt_path):
                points, sizes = read_jhu_gt(gt_path)
            else:
                points, sizes = np.zeros((0, 2), np.float32), np.zeros(
                    (0, 2), np.float32)
            if len(points) != label['count']:
                warnings.warn(
                    f'{gt_path}: {len(points)} heads, but image_labels.txt '
                    f'lists {label["count"]} for {name}; the count is the '
                    f'number of heads', stacklevel=2)
            data_list.append(
                dict(img_path=img_path, gt_points=points,
                     gt_count=len(points), gt_head_sizes=sizes,
                     weather=label['weather'],
                     scene_type=label['scene_type'],
                     distractor=label['distractor']))
        return data_list
