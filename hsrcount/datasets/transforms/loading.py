"""Loading an image and its head points / region of interest."""
import os.path as osp
import warnings

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from hsrcount.registry import TRANSFORMS
from ..density import adaptive_sigmas, points_inside

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# PNG colour types with more than one channel: RGB, grey + alpha, RGBA.
_PNG_COLOUR_TYPES = (2, 4, 6)


def _scale_16_to_8(arr):
    """Scale 16-bit values to 8 bits: ``rint(v * 255 / 65535)``."""
    arr = np.asarray(arr, dtype=np.float64) * (255.0 / 65535.0)
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def _is_16bit_colour_png(path):
    """Whether ``path`` is a PNG with 16-bit samples and several channels.

    PIL reads those as 8-bit by dropping the low byte (``v >> 8``), which
    disagrees with the rounding used for 16-bit greyscale; they are decoded
    with OpenCV instead. The bit depth and colour type are bytes 24 and 25
    of the file (the IHDR chunk, which must come first).
    """
    with open(path, 'rb') as f:
        head = f.read(26)
    return (len(head) == 26 and head[:8] == _PNG_SIGNATURE
            and head[12:16] == b'IHDR' and head[24] == 16
            and head[25] in _PNG_COLOUR_TYPES)


def _read_16bit_colour_png(path):
    """(H, W, 3) uint8 RGB of a 16-bit RGB / grey + alpha / RGBA PNG."""
    arr = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if arr is None or arr.ndim != 3 or arr.dtype != np.uint16:
        raise ValueError(f'{path}: cannot decode 16-bit PNG')
    # OpenCV gives BGR, or BGRA for RGBA and grey + alpha: drop the alpha.
    return _scale_16_to_8(arr[..., 2::-1])


def read_image_bgr(path):
    """Decode an image file to (H, W, 3) uint8 BGR, whatever its mode.

    Grayscale is repeated over three channels, alpha is dropped, 16-bit
    images (greyscale, RGB, RGBA PNGs) are scaled to 8 bits
    (``rint(v * 255 / 65535)``) and palette images are expanded. EXIF
    orientation is ignored: annotations refer to the stored pixels.

    Args:
        path (str): The image file.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the file is not an image or is truncated.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'image file {path!r} not found')
    try:
        with Image.open(path) as img:
            img.load()  # decodes fully: a truncated file raises here
            if _is_16bit_colour_png(path):
                rgb = _read_16bit_colour_png(path)
            elif img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
                grey = np.asarray(img)
                # Mode 'I' does not tell the bit depth: scale only values
                # that cannot be 8-bit.
                if img.mode != 'I' or grey.max() > 255:
                    grey = _scale_16_to_8(grey)
                grey = np.clip(grey, 0, 255).astype(np.uint8)
                rgb = np.repeat(grey[..., None], 3, axis=2)
            else:
                rgb = np.asarray(img.convert('RGB'))
    except Exception as e:  # PIL raises OSError, SyntaxError, ... on bad data
        raise ValueError(
            f'{path}: cannot decode image ({type(e).__name__}: {e})') from e
    return np.ascontiguousarray(rgb[..., ::-1])


OUTSIDE_MODES = ('error', 'clip', 'drop')


def check_points_on_image(points, shape, source, outside='error'):
    """Check that head points lie on their image, ``[0, W] x [0, H]``.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        shape (tuple[int, int]): The image's ``(H, W)``.
        source (str): The image file, named in errors.
        outside (str): What to do with heads off the image: ``'error'``,
            ``'clip'`` (move them to the nearest point of the border; the
            count keeps them) or ``'drop'`` (remove them).

    Returns:
        tuple[np.ndarray, np.ndarray, int]: The (M, 2) float32 points, the
        (N, ) bool mask of the input points kept (all but dropped heads)
        and the number of heads that were off the image.

    Raises:
        ValueError: If a point is NaN or infinite, or lies off the image and
            ``outside='error'``.
    """
    if outside not in OUTSIDE_MODES:
        raise ValueError(f'outside must be one of {OUTSIDE_MODES}, got '
                         f'{outside!r}')
    points = np.array(points, dtype=np.float32).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise ValueError(f'{source}: head points are NaN or infinite')
    inside = points_inside(points, shape)
    num_off = int((~inside).sum())
    if num_off == 0:
        return points, inside, 0
    h, w = shape
    if outside == 'drop':
        return points[inside], inside, num_off
    if outside == 'clip':
        points[:, 0] = np.clip(points[:, 0], 0, w)
        points[:, 1] = np.clip(points[:, 1], 0, h)
        return points, np.ones(len(points), bool), num_off
    x, y = points[~inside][0]
    raise ValueError(
        f'{source}: {num_off} of {len(points)} head points lie '
        f'outside the image (W x H = {w} x {h}), e.g. x={x:g}, y={y:g}. Fix '
        f"the annotation, or use dict(type='LoadCrowdAnnotations', "
        f"outside='clip') to move them onto the border (the count keeps "
        f"them) or outside='drop' to drop them from the count.")


def compute_head_sigmas(points, settings, head_sizes=None, source='<sample>'):
    """Kernel widths of the heads of one whole image.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        settings (dict): ``mode`` (``'adaptive'``, eq. 7 of the paper, or
            ``'boxes'``), ``k``, ``beta`` and ``fallback`` (the adaptive
            settings, see :func:`adaptive_sigmas`) and, for ``'boxes'``,
            ``box_scale``: a head with a box gets ``box_scale * sqrt(w *
            h)``; a head without one (size NaN or <= 0) the adaptive sigma.
        head_sizes (np.ndarray, optional): (N, 2) box width and height of
            each head; needed by ``'boxes'``.
        source (str): The image, named in errors.

    Returns:
        np.ndarray: (N, ) float32 sigmas.
    """
    settings = dict(settings)
    mode = settings.pop('mode', 'adaptive')
    box_scale = settings.pop('box_scale', 0.3)
    unknown = set(settings) - {'k', 'beta', 'fallback'}
    if mode not in ('adaptive', 'boxes') or unknown:
        raise ValueError(
            f"head_sigmas: expected dict(mode='adaptive' or 'boxes', k, "
            f'beta, fallback, box_scale), got mode={mode!r} and '
            f'{sorted(unknown)}')
    sigmas = adaptive_sigmas(points, **settings)
    if mode == 'boxes':
        if head_sizes is None:
            raise KeyError(f"{source}: head_sigmas mode 'boxes' needs "
                           f'gt_head_sizes, which this dataset does not give')
        sizes = np.asarray(head_sizes, dtype=np.float64).reshape(-1, 2)
        area = sizes[:, 0] * sizes[:, 1]
        has_box = np.isfinite(area) & (sizes > 0).all(axis=1)
        sigmas[has_box] = box_scale * np.sqrt(area[has_box])
    return sigmas.astype(np.float32)


@TRANSFORMS.register_module()
class LoadCrowdImageFromFile(BaseTransform):
    """Load ``results['img_path']`` as a BGR uint8 image.

    Grayscale, RGBA and 16-bit files are converted to 3-channel 8-bit; a file
    that cannot be decoded raises an error naming it.

    Added keys: ``img`` ((H, W, 3) uint8, BGR), ``img_shape`` and
    ``ori_shape`` (``(H, W)``).
    """

    def transform(self, results: dict) -> dict:
        img = read_image_bgr(results['img_path'])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadCrowdImageFromNDArray(BaseTransform):
    """Take an image that is already decoded, ``results['img']``.

    The stand-in for :class:`LoadCrowdImageFromFile` when inference is given
    arrays (video frames, tiles of a large image), as mmseg's
    ``LoadImageFromNDArray``.

    Required keys: ``img`` ((H, W, 3) uint8, BGR); optional ``img_path``,
    named in errors.

    Added keys: ``img_shape`` and ``ori_shape`` (``(H, W)``).
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        if not (isinstance(img, np.ndarray) and img.ndim == 3
                and img.shape[2] == 3 and img.dtype == np.uint8):
            desc = f'{img.shape} {img.dtype}' if isinstance(
                img, np.ndarray) else type(img).__name__
            raise ValueError(f'{results.get("img_path") or "image"}: '
                             f'expected an (H, W, 3) uint8 BGR array, got '
                             f'{desc}')
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadCrowdAnnotations(BaseTransform):
    """Take the head points and the region of interest of a sample.

    Run after :class:`LoadCrowdImageFromFile`, which gives the image size.
    Every head must lie on the image, ``[0, W] x [0, H]`` (see
    :mod:`hsrcount.datasets.density`). What happens to a head off the image
    is ``outside``; by default the dataset decides (``results['outside']``):
    the loaders of published releases say ``'clip'``, so that an image
    keeps its official count (its number of annotation points), and a
    dataset of your own says nothing, which means ``'error'``.

    With ``head_sigmas``, the kernel width of every head is computed here,
    on the whole image, and carried through the geometric transforms as
    ``gt_sigmas``; :class:`GenerateDensity` renders with them, so a crop
    does not change a head's kernel.

    Args:
        outside (str, optional): ``'error'`` (raise :class:`ValueError`
            naming the image), ``'clip'`` (move such heads onto the nearest
            point of the border: they stay counted; warns once per file,
            naming it and how many) or ``'drop'`` (remove them; they are not
            counted). Defaults to None: ``results['outside']`` if the
            dataset sets it, else ``'error'``.
        head_sigmas (dict, optional): Compute ``gt_sigmas``, see
            :func:`compute_head_sigmas`: e.g. ``dict(mode='adaptive', k=3,
            beta=0.3)``, or ``dict(mode='boxes', box_scale=0.3)`` for
            datasets with head boxes (``gt_head_sizes``). Defaults to None
            (no sigmas; :class:`GenerateDensity` then computes adaptive
            sigmas from the heads of the image it gets).

    Required keys: ``gt_points``, ``img_shape``; optional ``roi`` ((H, W)
    array, non-zero inside, as the dataset gives it), ``outside``,
    ``gt_head_sizes`` ((N, 2) box width and height).

    Modified keys: ``gt_points`` ((N, 2) float32 copy, x then y) and
    ``roi`` (made (H, W) uint8, 1 inside) when the sample has one.
    Added keys: ``gt_sigmas`` ((N, ) float32) with ``head_sigmas``.
    """

    def __init__(self, outside=None, head_sigmas=None):
        if outside is not None and outside not in OUTSIDE_MODES:
            raise ValueError(f'outside must be one of {OUTSIDE_MODES} or '
                             f'None, got {outside!r}')
        self.outside = outside
        self.head_sigmas = None if head_sigmas is None else dict(head_sigmas)
        if self.head_sigmas is not None:  # fail on bad settings at once
            compute_head_sigmas(np.zeros((0, 2)), self.head_sigmas,
                          np.zeros((0, 2)))
        self._warned = set()

    def transform(self, results: dict) -> dict:
        source = results.get('img_path', '<sample>')
        if 'gt_points' not in results:
            raise KeyError(
                f'{source}: the sample has no ground truth (a split whose '
                f'labels are withheld, such as NWPU-Crowd test?); use a '
                f'pipeline without LoadCrowdAnnotations and GenerateDensity')
        outside = self.outside or results.get('outside') or 'error'
        points, keep, num_off = check_points_on_image(
            results['gt_points'], results['img_shape'], source, outside)
        results['gt_points'] = points
        sizes = results.get('gt_head_sizes')
        if sizes is not None:
            sizes = np.asarray(sizes, dtype=np.float32).reshape(-1, 2)
            if len(sizes) != len(keep):
                raise ValueError(f'{source}: {len(sizes)} head sizes for '
                                 f'{len(keep)} head points')
            results['gt_head_sizes'] = sizes[keep]
        if num_off and outside == 'clip' and source not in self._warned:
            self._warned.add(source)
            h, w = results['img_shape'][:2]
            warnings.warn(
                f'{source}: {num_off} of {len(points)} head points lie '
                f'outside the image (W x H = {w} x {h}); clipped to the '
                f'border, so the count keeps them (outside=\'clip\')',
                stacklevel=2)
        if self.head_sigmas is not None:
            results['gt_sigmas'] = compute_head_sigmas(
                points, self.head_sigmas, results.get('gt_head_sizes'),
                source)
        roi = results.get('roi')
        if roi is not None:
            roi = (np.asarray(roi) != 0).astype(np.uint8)
            if roi.shape != tuple(results['img_shape']):
                raise ValueError(
                    f'{source}: ROI of shape {roi.shape} does not match the '
                    f'image of shape {tuple(results["img_shape"])}')
            results['roi'] = roi
        return results

    def __repr__(self):
        return (f'{type(self).__name__}(outside={self.outside!r}, '
                f'head_sigmas={self.head_sigmas!r})')
