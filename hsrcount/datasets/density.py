"""Ground-truth density maps: Gaussian kernels stamped at head points.

Coordinates follow one convention everywhere in hsrcount: x then y, 0-based,
pixel ``(r, c)`` covers ``[c, c + 1) x [r, r + 1)``, so a head at ``(x, y)``
belongs to pixel ``(floor(y), floor(x))``. The image is the closed rectangle
``[0, W] x [0, H]``: a head on the far edge (``x == W``, e.g. after a
horizontal flip of a head at ``x == 0``) belongs to the last column. Heads
outside that rectangle are skipped: they add no mass and are not counted.

Each head adds a Gaussian truncated at ``radius = int(truncate * sigma +
0.5)`` pixels, the same discrete kernel as
:func:`scipy.ndimage.gaussian_filter` (separable, each 1-D kernel normalised
to sum to one), stamped into the map instead of filtering the whole image
once per head.
"""
import numpy as np
from scipy.spatial import cKDTree

BORDER_MODES = ('renormalize', 'constant')
KERNELS = ('adaptive', 'fixed')


def points_inside(points, shape):
    """Which points lie inside an image of ``shape``.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        shape (tuple[int, int]): Image size ``(H, W)``.

    Returns:
        np.ndarray: (N, ) bool, True for points in ``[0, W] x [0, H]``.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    h, w = shape
    return ((points[:, 0] >= 0) & (points[:, 0] <= w) &
            (points[:, 1] >= 0) & (points[:, 1] <= h))


def points_to_pixels(points, shape):
    """The pixel ``(row, col)`` of each point, clipped to the image.

    Args:
        points (np.ndarray): (N, 2) head positions inside the image.
        shape (tuple[int, int]): Image size ``(H, W)``.

    Returns:
        np.ndarray: (N, 2) int64 ``(row, col)``.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    h, w = shape
    cols = np.clip(np.floor(points[:, 0]), 0, w - 1).astype(np.int64)
    rows = np.clip(np.floor(points[:, 1]), 0, h - 1).astype(np.int64)
    return np.stack([rows, cols], axis=1)


def points_in_roi(points, roi):
    """Which points lie inside the image and on a non-zero ROI pixel.

    A point belongs to the pixel that contains it (:func:`points_to_pixels`),
    the one convention of the whole project (density maps, ROIs, GAME cells).

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        roi (np.ndarray): (H, W) mask, non-zero inside.

    Returns:
        np.ndarray: (N, ) bool.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    keep = points_inside(points, roi.shape)
    rows, cols = points_to_pixels(points[keep], roi.shape).T
    keep[keep] = roi[rows, cols] > 0
    return keep


def adaptive_sigmas(points, k=3, beta=0.3, fallback=4.0):
    """Geometry-adaptive kernel widths (eq. 7 of the paper).

    ``sigma_i = beta * mean distance from head i to its k nearest other
    heads``. A head with fewer than ``k`` other heads uses those it has; a
    head alone in the image gets ``fallback``.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y.
        k (int): Number of nearest neighbours. Defaults to 3.
        beta (float): Scale of the mean distance. Defaults to 0.3.
        fallback (float): Sigma of a head with no other head. Defaults to 4.

    Returns:
        np.ndarray: (N, ) float64 sigmas.
    """
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    n = len(points)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.full(1, float(fallback))
    num = min(k, n - 1)
    # The nearest "neighbour" of each point is itself at distance 0.
    dists, _ = cKDTree(points).query(points, k=num + 1)
    return beta * dists[:, 1:].mean(axis=1)


def gaussian_kernel_1d(sigma, truncate=4.0):
    """The 1-D kernel of :func:`scipy.ndimage.gaussian_filter`.

    Args:
        sigma (float): Standard deviation in pixels; 0 gives a delta.
        truncate (float): Cut-off in sigmas. Defaults to 4.

    Returns:
        np.ndarray: (2 * radius + 1, ) float64 weights summing to 1.
    """
    radius = int(truncate * sigma + 0.5)
    if radius == 0:
        return np.ones(1)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    weights = np.exp(-0.5 * (x / sigma)**2)
    return weights / weights.sum()


def render_density(points,
                   shape,
                   kernel='adaptive',
                   sigma=4.0,
                   k=3,
                   beta=0.3,
                   border='renormalize',
                   max_sigma=None,
                   truncate=4.0,
                   mask=None):
    """Render the density map of head points.

    Args:
        points (np.ndarray): (N, 2) head positions, x then y, 0-based.
            Points outside the image are skipped, but still count as
            neighbours for the adaptive sigmas of the heads inside.
        shape (tuple[int, int]): Map size ``(H, W)``.
        kernel (str): ``'adaptive'`` (eq. 7) or ``'fixed'``.
        sigma (float): The sigma of every kernel for ``'fixed'``; for
            ``'adaptive'``, the sigma of a head with no other head.
        k (int): Neighbours for adaptive sigmas. Defaults to 3.
        beta (float): Scale for adaptive sigmas. Defaults to 0.3.
        border (str): ``'renormalize'`` scales each kernel so that its part
            inside the image sums to 1 (the map sums to the number of heads
            inside the image); ``'constant'`` drops the mass outside the
            image, like ``gaussian_filter(mode='constant')``.
        max_sigma (float, optional): Upper bound on sigmas.
        truncate (float): Kernel cut-off in sigmas. Defaults to 4.
        mask (np.ndarray, optional): (H, W) region of interest, non-zero
            inside. Kernels are cut to it like to the image border: with
            ``'renormalize'`` each kernel's part inside the mask sums to 1,
            so the map sums to the heads inside the mask and the loss, which
            ignores pixels outside it, sees every head whole. Only pass
            heads inside the mask.

    Returns:
        np.ndarray: (H, W) float32 density map.
    """
    if kernel not in KERNELS:
        raise ValueError(f'kernel must be one of {KERNELS}, got {kernel!r}')
    if border not in BORDER_MODES:
        raise ValueError(
            f'border must be one of {BORDER_MODES}, got {border!r}')
    h, w = int(shape[0]), int(shape[1])
    if mask is not None:
        if tuple(mask.shape) != (h, w):
            raise ValueError(f'mask of shape {mask.shape} does not match the '
                             f'map of shape {(h, w)}')
        mask = np.asarray(mask) != 0
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    density = np.zeros((h, w), dtype=np.float64)
    if kernel == 'adaptive':
        sigmas = adaptive_sigmas(points, k=k, beta=beta, fallback=sigma)
    else:
        sigmas = np.full(len(points), float(sigma))
    if max_sigma is not None:
        sigmas = np.minimum(sigmas, max_sigma)
    inside = points_inside(points, (h, w))
    pixels = points_to_pixels(points[inside], (h, w))
    cache = {}
    for (row, col), s in zip(pixels, sigmas[inside]):
        kern = cache.get(s)
        if kern is None:
            kern = cache[s] = gaussian_kernel_1d(s, truncate)
        r = len(kern) // 2
        y0, y1 = max(row - r, 0), min(row + r + 1, h)
        x0, x1 = max(col - r, 0), min(col + r + 1, w)
        ky = kern[y0 - row + r:y1 - row + r]
        kx = kern[x0 - col + r:x1 - col + r]
        stamp = np.outer(ky, kx)
        if mask is not None:
            stamp *= mask[y0:y1, x0:x1]
        if border == 'renormalize':
            stamp /= stamp.sum()
        density[y0:y1, x0:x1] += stamp
    return density.astype(np.float32)
