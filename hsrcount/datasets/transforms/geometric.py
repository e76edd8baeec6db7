"""Count-preserving geometric transforms of the image, points and ROI.

Points are x then y, 0-based, in a frame where pixel ``(r, c)`` covers
``[c, c + 1) x [r, r + 1)`` (see :mod:`hsrcount.datasets.density`). Each
transform maps the image, ``gt_points`` and ``roi`` together; crops keep
the points inside the crop (the closed rectangle). Density maps are rendered
afterwards from the points (:class:`GenerateDensity`), so a transform that
finds ``gt_density`` in the results refuses to run instead of leaving a map
that no longer matches.
"""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from hsrcount.registry import TRANSFORMS
from ..density import points_inside


def _check_no_density(results, name):
    if 'gt_density' in results:
        raise RuntimeError(
            f'{name} must run before GenerateDensity: it moves the points, '
            f'and the density is rendered from them')


def rescale(results, new_w, new_h):
    """Resize image, points and ROI of ``results`` to ``(new_h, new_w)``."""
    h, w = results['img'].shape[:2]
    sx, sy = new_w / w, new_h / h
    interp = cv2.INTER_AREA if sx * sy < 1 else cv2.INTER_LINEAR
    results['img'] = cv2.resize(results['img'], (new_w, new_h),
                                interpolation=interp)
    if 'roi' in results:
        results['roi'] = cv2.resize(results['roi'], (new_w, new_h),
                                       interpolation=cv2.INTER_NEAREST)
    if 'gt_points' in results:
        results['gt_points'] = (results['gt_points'] *
                                np.array([sx, sy], dtype=np.float32))
    old = results.get('scale_factor', (1.0, 1.0))
    results['scale_factor'] = (old[0] * sx, old[1] * sy)
    results['img_shape'] = (new_h, new_w)
    return results


def crop(results, x0, y0, w, h):
    """Crop image, points and ROI of ``results`` to
    ``[x0, x0 + w) x [y0, y0 + h)``.

    Points inside the crop's closed rectangle are kept and shifted.
    """
    results['img'] = results['img'][y0:y0 + h, x0:x0 + w]
    if 'roi' in results:
        results['roi'] = results['roi'][y0:y0 + h, x0:x0 + w]
    if 'gt_points' in results:
        pts = results['gt_points'] - np.array([x0, y0], dtype=np.float32)
        results['gt_points'] = pts[points_inside(pts, (h, w))]
    results['img_shape'] = (h, w)
    return results


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
        ph, pw = max(ch - h, 0), max(cw - w, 0)
        if ph or pw:
            results['img'] = np.pad(results['img'],
                                    ((0, ph), (0, pw), (0, 0)))
            if 'roi' in results:
                results['roi'] = np.pad(results['roi'],
                                           ((0, ph), (0, pw)))
            h, w = h + ph, w + pw
        x0 = np.random.randint(w - cw + 1)
        y0 = np.random.randint(h - ch + 1)
        return crop(results, x0, y0, cw, ch)


@TRANSFORMS.register_module()
class RandomFlip(BaseTransform):
    """Flip horizontally with probability ``prob``.

    A point at ``x`` goes to ``W - x``: the mirror in the pixel-corner
    frame, so a point of pixel column ``c`` lands in column ``W - 1 - c``
    (a point exactly on a pixel boundary stays on the mirrored boundary).

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
        results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
        if 'roi' in results:
            results['roi'] = np.ascontiguousarray(results['roi'][:, ::-1])
        if 'gt_points' in results:
            pts = results['gt_points'].copy()
            pts[:, 0] = w - pts[:, 0]
            results['gt_points'] = pts
        return results
