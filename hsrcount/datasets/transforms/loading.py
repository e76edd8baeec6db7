"""Loading an image and its head points / region of interest."""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from hsrcount.registry import TRANSFORMS
from ..density import points_inside

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


def check_points_on_image(points, shape, source, outside='error'):
    """Check that head points lie on their image, ``[0, W] x [0, H]``.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        shape (tuple[int, int]): The image's ``(H, W)``.
        source (str): The image file, named in errors.
        outside (str): ``'error'`` or ``'drop'``, what to do with heads off
            the image.

    Returns:
        np.ndarray: (M, 2) float32 points, M = N unless heads were dropped.

    Raises:
        ValueError: If a point is NaN or infinite, or lies off the image and
            ``outside='error'``.
    """
    points = np.array(points, dtype=np.float32).reshape(-1, 2)
    if not np.isfinite(points).all():
        raise ValueError(f'{source}: head points are NaN or infinite')
    inside = points_inside(points, shape)
    if inside.all():
        return points
    if outside == 'drop':
        return points[inside]
    h, w = shape
    x, y = points[~inside][0]
    raise ValueError(
        f'{source}: {int((~inside).sum())} of {len(points)} head points lie '
        f'outside the image (W x H = {w} x {h}), e.g. x={x:g}, y={y:g}. Fix '
        f"the annotation, or use dict(type='LoadCrowdAnnotations', "
        f"outside='drop') to drop such heads from the count.")


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
    :mod:`hsrcount.datasets.density`): a head off the image is an annotation
    error that would otherwise vanish from the count silently, so by default
    it fails, naming the image.

    Args:
        outside (str): What to do with heads off the image: ``'error'``
            (raise :class:`ValueError`) or ``'drop'`` (remove them; they are
            not counted). Defaults to ``'error'``.

    Required keys: ``gt_points``, ``img_shape``; optional ``roi`` ((H, W)
    array, non-zero inside, as the dataset gives it).

    Modified keys: ``gt_points`` ((N, 2) float32 copy, x then y) and
    ``roi`` (made (H, W) uint8, 1 inside) when the sample has one.
    """

    def __init__(self, outside='error'):
        if outside not in ('error', 'drop'):
            raise ValueError(f'outside must be "error" or "drop", got '
                             f'{outside!r}')
        self.outside = outside

    def transform(self, results: dict) -> dict:
        source = results.get('img_path', '<sample>')
        results['gt_points'] = check_points_on_image(
            results['gt_points'], results['img_shape'], source, self.outside)
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
        return f'{type(self).__name__}(outside={self.outside!r})'
