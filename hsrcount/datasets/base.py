"""The base class of every crowd-counting dataset."""
import os.path as osp
import warnings

import numpy as np
from mmengine.dataset import BaseDataset

DATASET_DOC = 'docs/dataset_prepare.md'
VAL_SPLITS = (None, 'train', 'val')


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
    - ``gt_head_sizes`` (np.ndarray, optional): (N, 2) width and height of
      each head's box, for datasets that annotate boxes (JHU, NWPU).

    A published release sets :attr:`OUTSIDE` to ``'clip'``: every entry
    then carries ``outside='clip'``, which tells ``LoadCrowdAnnotations`` to
    move heads annotated off their image onto its border, so each image
    keeps its official count (its number of annotation points). Your own
    data keeps the default, ``'error'``.

    A validation split can be carved from any split: the images are
    shuffled with ``seed`` and the first ``num_val`` form ``val_split='val'``,
    the rest ``val_split='train'`` (:meth:`held_out`). The two sides never
    overlap and the same seed gives the same carve.

    Args:
        data_root (str): The dataset's root folder. A missing root fails with
            a message that points to ``docs/dataset_prepare.md``.
        split (str): Which split to read, e.g. ``'train'`` or ``'test'``.
        pipeline (list[dict]): Transforms applied to each sample.
        test_mode (bool): Whether the dataset is used for evaluation.
        val_split (str, optional): ``None`` (all images of ``split``),
            ``'train'`` or ``'val'`` (the two sides of the carve).
        num_val (int): Images held out for ``'val'``. Defaults to 60.
        seed (int): Seed of the carve. Defaults to 0.
        check_size (bool): Warn when ``split`` does not hold the number of
            images the release has (:meth:`expected_size`). Defaults to
            True.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=('person', ))
    #: What ``LoadCrowdAnnotations`` does with heads off their image, unless
    #: it is told otherwise: ``'error'`` for your own data, ``'clip'`` for
    #: published releases.
    OUTSIDE = 'error'
    #: The number of images of each split of a published release (e.g.
    #: ``dict(train=1201, test=334)``): ``split`` must be one of them and
    #: :meth:`expected_size` reports its size. None: any split name.
    SPLIT_SIZES = None

    def __init__(self, data_root, split='train', pipeline=(), test_mode=False,
                 val_split=None, num_val=60, seed=0, check_size=True,
                 **kwargs):
        if self.SPLIT_SIZES is not None and split not in self.SPLIT_SIZES:
            *first, last = self.SPLIT_SIZES
            choices = f'{", ".join(first)} or {last}' if first else last
            raise ValueError(f'{type(self).__name__}: split must be '
                             f'{choices}, got {split!r}')
        if not osp.isdir(data_root):
            raise FileNotFoundError(
                f'{type(self).__name__}: data root {data_root!r} does not '
                f'exist. See {DATASET_DOC} for where to put the dataset and '
                f'how to point the config at another folder.')
        if val_split not in VAL_SPLITS:
            raise ValueError(f'{type(self).__name__}: val_split must be None, '
                             f'"train" or "val", got {val_split!r}')
        self.split = split
        self.val_split = val_split
        self.num_val = num_val
        self.seed = seed
        self.check_size = check_size
        super().__init__(
            data_root=data_root,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    def expected_size(self):
        """The number of images ``split`` has in the release, or None.

        Published releases give their sizes in :attr:`SPLIT_SIZES` or
        override this.
        """
        return None if self.SPLIT_SIZES is None else \
            self.SPLIT_SIZES[self.split]

    def held_out(self, num_images):
        """Indices of the images that form the ``'val'`` side of a carve.

        Args:
            num_images (int): Images in the split.

        Returns:
            np.ndarray: ``num_val`` distinct indices in ``[0, num_images)``,
            the first ``num_val`` of a permutation drawn with ``seed``.
        """
        order = np.random.default_rng(self.seed).permutation(num_images)
        return order[:self.num_val]

    def filter_data(self):
        """Check the split's size, carve the validation split, and refuse
        an empty dataset before MMEngine serialises it."""
        data_list = super().filter_data()
        if not data_list:
            raise FileNotFoundError(
                f'{type(self).__name__}: no images found for split '
                f'{self.split!r} under {self.data_root!r}. See {DATASET_DOC}.')
        expected = self.expected_size() if self.check_size else None
        if expected is not None and len(data_list) != expected:
            warnings.warn(
                f'{type(self).__name__}: {self.data_root!r} holds '
                f'{len(data_list)} images for split {self.split!r}, the '
                f'release has {expected}; see {DATASET_DOC}',
                stacklevel=2)
        if OUTSIDE_KEY not in data_list[0] and self.OUTSIDE != 'error':
            for info in data_list:
                info[OUTSIDE_KEY] = self.OUTSIDE
        return self._carve(data_list)

    def _carve(self, data_list):
        if self.val_split is None:
            return data_list
        if not (isinstance(self.num_val, int)
                and 0 < self.num_val < len(data_list)):
            raise ValueError(
                f'{type(self).__name__}: num_val={self.num_val!r} must be '
                f'between 1 and {len(data_list) - 1} ({len(data_list)} '
                f'images in split {self.split!r})')
        val = set(np.asarray(self.held_out(len(data_list))).tolist())
        keep_val = self.val_split == 'val'
        return [
            info for i, info in enumerate(data_list)
            if (i in val) == keep_val
        ]

    @staticmethod
    def check_points(points, source: str, columns=(2, )) -> np.ndarray:
        """Validate a head-point array read from ``source``.

        Accepts real numbers only: strings, booleans, complex numbers and
        ragged lists are errors, as is an array of another shape (e.g. (2,
        3), which could be three heads stored transposed).

        Args:
            points (array-like): Head positions, x then y, one row a head.
            source (str): The annotation file, named in errors.
            columns (tuple[int]): Accepted numbers of columns; the first two
                are x and y, the rest (e.g. UCSD's z) are dropped.

        Returns:
            np.ndarray: (N, 2) float32 points.

        Raises:
            ValueError: If the array is not (N, C) with C in ``columns``, is
                not real numbers, or holds NaN or inf.
        """
        try:
            raw = np.asarray(points)
        except ValueError as err:  # ragged nested lists
            raise ValueError(f'{source}: head points must be a list of '
                             f'[x, y] pairs of numbers ({err})') from None
        if raw.size == 0 and raw.dtype.kind in 'biufO':
            return np.zeros((0, 2), dtype=np.float32)
        if raw.dtype.kind not in 'iuf':
            what = {
                'b': 'booleans', 'c': 'complex numbers', 'U': 'strings',
                'S': 'bytes', 'O': 'mixed or ragged values'
            }.get(raw.dtype.kind, f'{raw.dtype} values')
            raise ValueError(f'{source}: head points must be real numbers, '
                             f'got {what} (dtype {raw.dtype})')
        if raw.ndim != 2 or raw.shape[1] not in columns:
            want = ' or '.join(f'(N, {c})' for c in columns)
            raise ValueError(f'{source}: expected head points of shape '
                             f'{want}, got {raw.shape}')
        points = raw[:, :2].astype(np.float32)
        if not np.isfinite(points).all():
            bad = int((~np.isfinite(points)).any(axis=1).sum())
            raise ValueError(f'{source}: {bad} head point(s) are NaN or '
                             f'infinite')
        return np.ascontiguousarray(points)


#: The data-info key that carries a dataset's :attr:`BaseCrowdDataset.OUTSIDE`
#: to ``LoadCrowdAnnotations``.
OUTSIDE_KEY = 'outside'
