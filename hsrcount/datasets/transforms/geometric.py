"""Count-preserving geometric transforms of the image, points and ROI.

Points are x then y, 0-based, in a frame where pixel ``(r, c)`` covers
``[c, c + 1) x [r, r + 1)`` (see :mod:`hsrcount.datasets.density`). Each
transform maps the image, ``gt_points`` and ``roi`` together, and with them
the per-head arrays ``gt_sigmas`` (kernel widths computed on the whole
image, scaled with it) and ``gt_head_sizes`` (box sizes). A crop keeps the
heads whose pixel lies in it: crops are half-open, so a head on the edge
shared by two crops belongs to exactly one. Density maps are rendered
afterwards from the points (:class:`GenerateDensity`), so a transform that
finds ``gt_density`` in the results refuses to run instead of leaving a map
that no longer matches.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hsrcount.registry import TRANSFORMS
from ..density import points_inside, points_to_pixels


def _check_no_density(results, name):
    if 'gt_density' in results:
        raise RuntimeError(
            f'{name} must run before GenerateDensity: it moves the points, '
            f'and the density is rendered from them')


#: Per-head arrays that move with ``gt_points`` (same first dimension).
PER_HEAD_KEYS = ('gt_points', 'gt_sigmas', 'gt_head_sizes')


def select_heads(results, keep):
    """Keep the heads ``keep`` (bool mask) in every per-head array."""
    for key in PER_HEAD_KEYS:
        if key in results:
            results[key] = np.asarray(results[key])[keep]
    return results


def rescale(results, new_w, new_h):
    """Resize image, points and ROI of ``results`` to ``(new_h, new_w)``.

    Points scale by ``(sx, sy)``, head sizes likewise, and sigmas by
    ``sqrt(sx * sy)`` (the two factors differ only by rounding of the new
    size, or when the aspect ratio is changed on purpose).
    """
    h, w = results['img'].shape[:2]
    sx, sy = new_w / w, new_h / h
    interp = cv2.INTER_AREA if sx * sy < 1 else cv2.INTER_LINEAR
    results['img'] = cv2.resize(results['img'], (new_w, new_h),
                                interpolation=interp)
    if results['img'].ndim == 2:  # cv2 drops a channel axis of length 1
        results['img'] = results['img'][..., None]
    if 'roi' in results:
        results['roi'] = cv2.resize(results['roi'], (new_w, new_h),
                                    interpolation=cv2.INTER_NEAREST)
    # In float64, then rounded once: with a float32 factor a head on the
    # far edge (x == w) could land just past the new one (13 * float32(7 /
    # 13) is 7.0000005), off the image, where it is no longer counted.
    factors = np.array([sx, sy])
    for key in ('gt_points', 'gt_head_sizes'):
        if key in results:
            results[key] = (np.asarray(results[key], np.float64) *
                            factors).astype(np.float32)
    if 'gt_sigmas' in results:
        results['gt_sigmas'] = (results['gt_sigmas'] *
                                np.float32(np.sqrt(sx * sy)))
    old = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (old[0] * sx, old[1] * sy)
    results['img_shape'] = (new_h, new_w)
    return results


def heads_in_crop(points, shape, x0, y0, w, h):
    """Which heads belong to the crop ``[x0, x0 + w) x [y0, y0 + h)``.

    A head belongs to the pixel that contains it (the far image edge to
    the last row/column, :func:`points_to_pixels`), and to the crop that
    contains that pixel: crops are half-open, so crops that tile an image
    share out its heads exactly.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        shape (tuple[int, int]): ``(H, W)`` of the image being cropped.
        x0, y0, w, h (int): The crop.

    Returns:
        np.ndarray: (N, ) bool.
    """
    keep = points_inside(points, shape)
    rows, cols = points_to_pixels(points[keep], shape).T
    keep[keep] = ((cols >= x0) & (cols < x0 + w) & (rows >= y0) &
                  (rows < y0 + h))
    return keep


def crop(results, x0, y0, w, h, pixel_shape=None):
    """Crop image, points and ROI of ``results`` to
    ``[x0, x0 + w) x [y0, y0 + h)``.

    Heads whose pixel lies in the crop (:func:`heads_in_crop`) are kept and
    shifted; the others are dropped with their per-head values.

    Args:
        results (dict): The sample.
        x0, y0, w, h (int): The crop.
        pixel_shape (tuple[int, int], optional): The ``(H, W)`` that
            decides a head's pixel; defaults to the image's. A padded image
            passes its size before padding, so that a head on its far edge
            stays in the last real column.
    """
    shape = pixel_shape or results['img'].shape[:2]
    results['img'] = results['img'][y0:y0 + h, x0:x0 + w]
    if 'roi' in results:
        results['roi'] = results['roi'][y0:y0 + h, x0:x0 + w]
    if 'gt_points' in results:
        points = np.asarray(results['gt_points'], np.float32).reshape(-1, 2)
        select_heads(results, heads_in_crop(points, shape, x0, y0, w, h))
        results['gt_points'] = (results['gt_points'] -
                                np.array([x0, y0], dtype=np.float32))
    results['img_shape'] = (h, w)
    results['crop_box'] = (x0, y0, x0 + w, y0 + h)
    return results


def flip_x(x, width):
    """Mirror x coordinates in an image ``width`` pixels wide.

    A head in pixel column ``c`` lands in column ``W - 1 - c``, whatever its
    position inside the pixel: a fractional ``x = c + f`` goes to ``W - x``
    (the exact mirror), and an integer ``x = c`` (a pixel annotated by its
    index, as TRANCOS does) to ``W - 1 - c``, not to ``W - c``, which is the
    next column. A head on the far edge (``x == W``, column ``W - 1``) goes
    to 0.

    Args:
        x (np.ndarray): (N, ) x coordinates in ``[0, W]``.
        width (int): ``W``.

    Returns:
        np.ndarray: (N, ) mirrored x, float32.
    """
    x = np.asarray(x, dtype=np.float64)
    col = np.clip(np.floor(x), 0, width - 1)
    frac = x - col
    mirrored = width - 1 - col + np.where(frac > 0, 1 - frac, 0)
    # A fraction of exactly 1 is the far edge: it mirrors onto 0.
    return np.where(frac >= 1, 0.0, mirrored).astype(np.float32)


@TRANSFORMS.register_module()
class Resize(BaseTransform):
    """Resize to a fixed size or by a factor.

    Args:
        scale (tuple[int, int], optional): Target ``(w, h)``; with
            ``keep_ratio`` the image is fit inside it.
        scale_factor (float, optional): Factor for both sides.
        keep_ratio (bool): Keep the aspect ratio with ``scale``.

    Modified keys: ``img``, ``gt_points``, ``roi``, ``img_shape``.
    Added keys: ``scale_factor`` ``(sx, sy)``.
    """

    def __init__(self, scale=None, scale_factor=None, keep_ratio=True):
        if (scale is None) == (scale_factor is None):
            raise ValueError('give exactly one of scale and scale_factor')
        self.scale = scale
        self.scale_factor = scale_factor
        self.keep_ratio = keep_ratio

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'Resize')
        h, w = results['img'].shape[:2]
        if self.scale_factor is not None:
            f_w = f_h = self.scale_factor
        elif self.keep_ratio:
            f_w = f_h = min(self.scale[0] / w, self.scale[1] / h)
        else:
            f_w, f_h = self.scale[0] / w, self.scale[1] / h
        return rescale(results, max(1, int(round(w * f_w))),
                       max(1, int(round(h * f_h))))


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale by a factor drawn uniformly from ``scales``.

    The paper's multi-scale image pyramid (0.8 to 1.2 in steps of 0.2).

    Args:
        scales (tuple[float]): Candidate factors.

    Modified keys: ``img``, ``gt_points``, ``roi``, ``img_shape``.
    Added keys: ``scale_factor`` ``(sx, sy)``.
    """

    def __init__(self, scales=(0.8, 1.0, 1.2)):
        self.scales = tuple(scales)

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'RandomRescale')
        s = self.scales[np.random.randint(len(self.scales))]
        h, w = results['img'].shape[:2]
        return rescale(results, max(1, int(round(w * s))),
                       max(1, int(round(h * s))))


@TRANSFORMS.register_module()
class PaperCrop(BaseTransform):
    """The paper's crop: half the height and half the width of the image.

    The paper takes, per image and epoch, the four non-overlapping quarters
    and ten random patches of the same size. Which one a sample gets is
    ``results['patch_index']``, set by :class:`PatchRepeatDataset` (with
    ``patches_per_image=14``): 0 to 3 are the quarters (top-left, top-right,
    bottom-left, bottom-right; with an odd side the middle row/column is
    left out), 4 and above a random location. Wrap the dataset in
    ``PatchRepeatDataset`` to use this crop; for plain random crops use
    :class:`RandomCrop`.

    Required keys: ``img``, ``patch_index``.
    Modified keys: ``img``, ``gt_points``, ``roi``, ``img_shape``.
    """

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'PaperCrop')
        index = results.get('patch_index')
        if index is None:
            raise KeyError(
                f'{results.get("img_path", "<sample>")}: PaperCrop needs '
                f'results["patch_index"], which PatchRepeatDataset sets: '
                f"wrap the dataset in dict(type='PatchRepeatDataset', "
                f"patches_per_image=14, dataset=...), or use RandomCrop")
        h, w = results['img'].shape[:2]
        ch, cw = max(1, h // 2), max(1, w // 2)
        if 0 <= index < 4:
            x0 = 0 if index % 2 == 0 else w - cw
            y0 = 0 if index < 2 else h - ch
        else:
            x0 = np.random.randint(w - cw + 1)
            y0 = np.random.randint(h - ch + 1)
        return crop(results, x0, y0, cw, ch)


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a fixed size at a random location, padding small images.

    An image smaller than the crop is first padded with zeros at the bottom
    and right (points keep their positions; the padded ROI is outside).

    Args:
        size (int | tuple[int, int]): Crop ``(h, w)``.

    Modified keys: ``img``, ``gt_points``, ``roi``, ``img_shape``.
    """

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'RandomCrop')
        ch, cw = self.size
        h, w = results['img'].shape[:2]
        real_shape = (h, w)
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        if ph or pw:
            results['img'] = np.pad(results['img'],
                                    ((0, ph), (0, pw), (0, 0)))
            if 'roi' in results:
                results['roi'] = np.pad(results['roi'], ((0, ph), (0, pw)))
            h, w = h + ph, w + pw
        x0 = np.random.randint(w - cw + 1)
        y0 = np.random.randint(h - ch + 1)
        return crop(results, x0, y0, cw, ch, pixel_shape=real_shape)


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip horizontally with probability ``prob``.

    Not part of the paper's recipe (sec. 4.1 names random scaling and the
    patches only): hsrcount's configs add it, as most crowd-counting code
    does, and ``prob=0`` turns it off. A head in pixel column ``c`` goes to
    column ``W - 1 - c`` (see :func:`flip_x`).

    Args:
        prob (float): Probability of flipping. Defaults to 0.5.

    Modified keys: ``img``, ``gt_points``, ``roi``.
    Added keys: ``flip`` (bool), ``flip_direction``.
    """

    def __init__(self, prob=0.5):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'RandomFlip')
        flip = bool(np.random.rand() < self.prob)
        results['flip'] = flip
        results['flip_direction'] = 'horizontal' if flip else None
        if not flip:
            return results
        w = results['img'].shape[1]
        # copy(), not ascontiguousarray(): NumPy calls a reversed axis of
        # length 1 contiguous and would keep its negative stride, which
        # torch.from_numpy refuses.
        results['img'] = results['img'][:, ::-1].copy()
        if 'roi' in results:
            results['roi'] = results['roi'][:, ::-1].copy()
        if 'gt_points' in results:
            pts = np.array(results['gt_points'], dtype=np.float32)
            pts[:, 0] = flip_x(pts[:, 0], w)
            results['gt_points'] = pts
        return results

    def __repr__(self):
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class ResizeToRange(BaseTransform):
    """Resize so that the long side is at most ``max_long_side`` and the
    short side at least ``min_short_side``, keeping the aspect ratio.

    The resize policy for releases with huge images (UCF-QNRF up to about
    9000 px wide, NWPU-Crowd, JHU-Crowd++), as peer codebases resize them
    to a long side of 1536-2048. The factor is ``min(max(1, min_short /
    short), max_long / long)``: images already in range are untouched, the
    long-side limit wins where the two conflict (a very elongated image),
    since it bounds memory. Points, head sizes and sigmas are scaled with
    the image (:func:`rescale`), so the count is kept.

    Args:
        max_long_side (int, optional): Upper bound of ``max(H, W)``.
        min_short_side (int, optional): Lower bound of ``min(H, W)``.

    Modified keys: ``img``, ``gt_points``, ``roi``, ``gt_sigmas``,
    ``gt_head_sizes``, ``img_shape``. Added keys: ``scale_factor``.
    """

    def __init__(self, max_long_side=None, min_short_side=None):
        for name, value in (('max_long_side', max_long_side),
                            ('min_short_side', min_short_side)):
            if value is not None and not (isinstance(value, int)
                                          and value >= 1):
                raise ValueError(f'{name} must be a positive int or None, '
                                 f'got {value!r}')
        if (max_long_side is not None and min_short_side is not None
                and min_short_side > max_long_side):
            raise ValueError(f'min_short_side ({min_short_side}) exceeds '
                             f'max_long_side ({max_long_side})')
        self.max_long_side = max_long_side
        self.min_short_side = min_short_side

    def factor(self, h, w):
        """The resize factor of an ``h x w`` image."""
        f = 1.0
        if self.min_short_side is not None:
            f = max(f, self.min_short_side / min(h, w))
        if self.max_long_side is not None:
            f = min(f, self.max_long_side / max(h, w))
        return f

    def transform(self, results: dict) -> dict:
        _check_no_density(results, 'ResizeToRange')
        h, w = results['img'].shape[:2]
        f = self.factor(h, w)
        if f == 1.0:
            return results
        return rescale(results, max(1, int(round(w * f))),
                       max(1, int(round(h * f))))

    def __repr__(self):
        return (f'{type(self).__name__}(max_long_side={self.max_long_side}, '
                f'min_short_side={self.min_short_side})')
