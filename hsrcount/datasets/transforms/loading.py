"""Loading an image and its head points / region of interest."""
import os.path as osp

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from hsrcount.registry import TRANSFORMS


def read_image_bgr(path):
    """Decode an image file to (H, W, 3) uint8 BGR, whatever its mode.

    Grayscale is repeated over three channels, alpha is dropped, 16-bit
    images are scaled to 8 bits (``v * 255 / 65535``) and palette images are
    expanded. EXIF orientation is ignored: annotations refer to the stored
    pixels.

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
            if img.mode in ('I;16', 'I;16B', 'I;16L', 'I'):
                arr = np.asarray(img).astype(np.float64)
                if img.mode != 'I' or arr.max() > 255:
                    arr = arr * (255.0 / 65535.0)
                arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
                arr = np.repeat(arr[..., None], 3, axis=2)
            else:
                arr = np.asarray(img.convert('RGB'))
    except OSError as e:
        raise ValueError(f'{path}: cannot decode image ({e})') from e
    return np.ascontiguousarray(arr[..., ::-1])


@TRANSFORMS.register_module()
class LoadCrowdImageFromFile(BaseTransform):
    """Load ``results['img_path']`` as a BGR uint8 image.

    Added keys: ``img`` ((H, W, 3) uint8, BGR), ``img_shape`` and
    ``ori_shape`` (``(H, W)``).
    """

    def transform(self, results):
        img = read_image_bgr(results['img_path'])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


def read_roi(path):
    """Read a region-of-interest mask: an image (non-zero = inside) or .npy.

    Args:
        path (str): The mask file.

    Returns:
        np.ndarray: (H, W) uint8, 1 inside the region, 0 outside.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'ROI file {path!r} not found')
    if path.endswith('.npy'):
        mask = np.load(path)
    else:
        try:
            with Image.open(path) as img:
                mask = np.asarray(img.convert('L'))
        except OSError as e:
            raise ValueError(f'{path}: cannot decode ROI mask ({e})') from e
    if mask.ndim != 2:
        raise ValueError(f'{path}: ROI mask must be (H, W), got {mask.shape}')
    return (mask != 0).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadCrowdAnnotations(BaseTransform):
    """Take the head points and the region of interest of a sample.

    Run after :class:`LoadCrowdImageFromFile`.

    Required keys: ``gt_points``, ``img_shape``; optional ``roi`` ((H, W)
    array) or ``roi_path``.

    Added keys: ``gt_points`` ((N, 2) float32 copy, x then y), ``gt_roi``
    ((H, W) uint8, 1 inside) when the sample has a region of interest.
    """

    def transform(self, results):
        source = results.get('img_path', '<sample>')
        points = np.asarray(results['gt_points'], dtype=np.float32)
        results['gt_points'] = points.reshape(-1, 2).copy()
        roi = results.get('roi')
        if roi is None and results.get('roi_path'):
            roi = read_roi(results['roi_path'])
            source = results['roi_path']
        if roi is not None:
            roi = (np.asarray(roi) != 0).astype(np.uint8)
            if roi.shape != tuple(results['img_shape']):
                raise ValueError(
                    f'{source}: ROI of shape {roi.shape} does not match the '
                    f'image of shape {tuple(results["img_shape"])}')
            results['gt_roi'] = roi
        return results
