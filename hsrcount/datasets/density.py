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
    head alone in the image gets ``fallback``. Heads annotated twice at the
    same position are each other's neighbours at distance 0.

    Runs in O(N log N) whatever the duplicates: identical points are merged
    first and the neighbours of each distinct position are looked up once,
    with their multiplicities (a k-d tree degenerates to O(N^2) on many
    identical points, since it cannot split them).

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
    want = min(int(k), n - 1)
    # Merge identical positions (+ 0.0 turns -0.0 into 0.0). The complex
    # view sorts by x then y, an order that keeps the tree queries local.
    keys = np.ascontiguousarray(points + 0.0).view(np.complex128).ravel()
    unique, inverse, counts = np.unique(keys, return_inverse=True,
                                        return_counts=True)
    unique = np.stack([unique.real, unique.imag], axis=1)
    # Each distinct position's nearest distinct positions, itself first (no
    # other position is at distance 0). want + 1 of them always hold at
    # least `want` other heads, since every position holds one or more.
    num = min(want + 1, len(unique))
    dists, idx = cKDTree(unique).query(unique, k=list(range(1, num + 1)))
    mult = counts[idx]
    mult[:, 0] = counts - 1  # the other heads at the same position
    before = np.cumsum(mult, axis=1) - mult
    take = np.clip(want - before, 0, mult)
    sigmas = beta * (take * dists).sum(axis=1) / want
    return sigmas[inverse.reshape(-1)]


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


#: Kernel taps stamped at once; bounds the temporary arrays to ~100 MB.
_CHUNK_TAPS = 1 << 22


def kernel_radius(sigmas, truncate=4.0):
    """Radius of the truncated kernel of each sigma, as in
    :func:`gaussian_kernel_1d`: ``int(truncate * sigma + 0.5)``."""
    return (truncate * np.asarray(sigmas, dtype=np.float64) +
            0.5).astype(np.int64)


def _stamp(density, rows, cols, sigmas, radius, mask, renormalize):
    """Add the kernels of heads that share one ``radius`` to ``density``.

    Each head's 1-D kernel is :func:`gaussian_kernel_1d` of its own sigma;
    the taps off the image (or, with ``mask``, outside it) get weight 0.
    """
    h, w = density.shape
    offsets = np.arange(-radius, radius + 1)
    if radius == 0:
        kern = np.ones((len(sigmas), 1))
    else:
        kern = np.exp(-0.5 * (offsets / sigmas[:, None])**2)
        kern /= kern.sum(axis=1, keepdims=True)
    ys = rows[:, None] + offsets
    xs = cols[:, None] + offsets
    ky = kern * ((ys >= 0) & (ys < h))
    kx = kern * ((xs >= 0) & (xs < w))
    ys = np.clip(ys, 0, h - 1)
    xs = np.clip(xs, 0, w - 1)
    stamps = ky[:, :, None] * kx[:, None, :]
    if mask is not None:
        stamps *= mask[ys[:, :, None], xs[:, None, :]]
    if renormalize:
        total = stamps.sum(axis=(1, 2), keepdims=True)
        # A head whose kernel misses the mask entirely adds nothing.
        np.divide(stamps, total, out=stamps, where=total > 0)
    flat = (ys[:, :, None] * w + xs[:, None, :]).ravel()
    if flat.size * 4 > density.size:
        density += np.bincount(flat, stamps.ravel(),
                               minlength=density.size).reshape(h, w)
    else:
        np.add.at(density.reshape(-1), flat, stamps.ravel())


def render_density(points,
                   shape,
                   kernel='adaptive',
                   sigma=4.0,
                   k=3,
                   beta=0.3,
                   border='renormalize',
                   max_sigma=None,
                   truncate=4.0,
                   mask=None,
                   sigmas=None):
    """Render the density map of head points.

    Heads are grouped by kernel radius and stamped in vectorised chunks, so
    the cost is about linear in the number of heads times the kernel area
    (plus O(N log N) for adaptive sigmas).

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
            heads inside the mask (a head whose kernel misses the mask
            entirely adds nothing).
        sigmas (np.ndarray, optional): (N, ) sigma of each head, e.g. the
            adaptive sigmas of the whole image carried through a crop, or
            sigmas from head boxes. Overrides ``kernel``, ``sigma``, ``k``
            and ``beta``; ``max_sigma`` still applies.

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
    if sigmas is not None:
        sigmas = np.asarray(sigmas, dtype=np.float64).reshape(-1)
        if len(sigmas) != len(points):
            raise ValueError(f'{len(sigmas)} sigmas for {len(points)} '
                             f'points')
        if not (np.isfinite(sigmas).all() and (sigmas >= 0).all()):
            raise ValueError('sigmas must be finite and >= 0')
    elif kernel == 'adaptive':
        sigmas = adaptive_sigmas(points, k=k, beta=beta, fallback=sigma)
    else:
        sigmas = np.full(len(points), float(sigma))
    if max_sigma is not None:
        sigmas = np.minimum(sigmas, max_sigma)
    inside = points_inside(points, (h, w))
    rows, cols = points_to_pixels(points[inside], (h, w)).T
    sigmas = sigmas[inside]
    radii = kernel_radius(sigmas, truncate)
    for radius in np.unique(radii):
        sel = np.flatnonzero(radii == radius)
        step = max(1, _CHUNK_TAPS // (2 * int(radius) + 1)**2)
        for i in range(0, len(sel), step):
            part = sel[i:i + step]
            _stamp(density, rows[part], cols[part], sigmas[part],
                   int(radius), mask, border == 'renormalize')
    return density.astype(np.float32)
