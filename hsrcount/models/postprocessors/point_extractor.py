"""Head positions from a density map: peaks kept as many as the map counts."""
from typing import Optional, Union

import numpy as np
import torch
from scipy import ndimage

from hsrcount.registry import MODELS


def locate_points(extractor, sample) -> torch.Tensor:
    """Head points of a predicted sample: its ``pred_density``, inside its
    ``roi`` where it has one.

    Args:
        extractor (callable): E.g. :class:`DensityPeakPoints`.
        sample (CrowdDataSample): With ``pred_density``.

    Returns:
        Tensor: (N, 2) float32, x then y, on the CPU.
    """
    roi = sample.get('roi')
    if roi is not None:
        roi = torch.as_tensor(roi.data)[0].cpu().numpy()
    points = extractor(sample.pred_density.data[0], roi=roi)
    return torch.from_numpy(np.ascontiguousarray(points, dtype=np.float32))


def to_original_frame(points, scale_factor=None) -> np.ndarray:
    """Points of a prediction in pixels of the original image.

    A test pipeline that resizes (e.g. ``ResizeToRange``) records its
    ``scale_factor`` ``(sx, sy)``; predicted points are in the resized
    image and divided by it here.

    Args:
        points (array-like | Tensor): (N, 2) x then y.
        scale_factor (tuple[float, float], optional): The sample's
            metainfo ``scale_factor``; None means the image was not resized.

    Returns:
        np.ndarray: (N, 2) float64.
    """
    if isinstance(points, torch.Tensor):
        points = points.detach().cpu().numpy()
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if scale_factor is None:
        return points
    return points / np.asarray(scale_factor, dtype=np.float64)[:2]


def allocate_counts(masses: np.ndarray, total: int) -> np.ndarray:
    """Integer counts per basin that sum to ``total`` (largest remainder).

    Each basin first gets ``floor(mass)``; the points still missing go to the
    basins with the largest fractional parts (ties to the heavier basin).
    If the floors already exceed ``total`` (a map with negative parts), the
    basins with the smallest fractional parts give one back each.

    Args:
        masses (np.ndarray): (K, ) non-negative predicted counts per basin.
        total (int): How many points to place in all.

    Returns:
        np.ndarray: (K, ) int64 counts, summing to ``total`` when that is
        reachable (0 <= total).
    """
    counts = np.floor(masses).astype(np.int64)
    rest = total - int(counts.sum())
    frac = masses - counts
    if rest > 0:
        order = np.lexsort((-masses, -frac))
        counts[order[:rest]] += 1
    elif rest < 0:
        order = np.lexsort((masses, frac))
        order = order[counts[order] > 0][:-rest]
        counts[order] -= 1
    return counts


def block_pixels(w: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 max_blocks: int):
    """Merge pixels into square blocks until at most ``max_blocks`` remain.

    Each block keeps its total weight at its weighted centroid, so the
    weighted mean and most of the spread of the pixels are kept (a strided
    subset of pixels would shift the mean by up to a stride).

    Args:
        w (np.ndarray): (M, ) positive pixel weights.
        rows, cols (np.ndarray): (M, ) pixel positions.
        max_blocks (int): The most blocks to return.

    Returns:
        tuple[np.ndarray, np.ndarray, np.ndarray]: Block weights, x and y.
    """
    side = 1
    while True:
        keys = (rows // side) * (cols.max() // side + 1) + cols // side
        uniq, inverse = np.unique(keys, return_inverse=True)
        if len(uniq) <= max_blocks:
            break
        side *= 2
    bw = np.bincount(inverse, w)
    bx = np.bincount(inverse, w * cols) / bw
    by = np.bincount(inverse, w * rows) / bw
    return bw, bx, by


def fit_gaussian_mixtures(xy: np.ndarray, w: np.ndarray, k: int,
                          iters: int = 20, tol: float = 0.05) -> np.ndarray:
    """Fit ``k`` isotropic Gaussians to each of B weighted pixel sets by EM.

    Starts from a deterministic k-means++ seeding (the heaviest pixel, then
    greedily the pixel with the largest weight times squared distance to
    the seeds), so the same input always gives the same means.

    Args:
        xy (np.ndarray): (B, M, 2) pixel positions, x then y.
        w (np.ndarray): (B, M) weights, each row summing to 1 (padding 0).
        k (int): Components per set.
        iters (int): Most EM iterations. Default: 20.
        tol (float): Stop when no mean moves more, in pixels. Default: 0.05.

    Returns:
        np.ndarray: (B, k, 2) component means, x then y.
    """
    # Layout (set, component, pixel): sums over pixels run along
    # contiguous memory.
    x, y, wp = xy[:, None, :, 0], xy[:, None, :, 1], w[:, None, :]
    rows = np.arange(len(xy))
    seed = np.argmax(w, axis=1)
    mx, my = [x[rows, 0, seed]], [y[rows, 0, seed]]
    d2 = (x[:, 0] - mx[0][:, None])**2 + (y[:, 0] - my[0][:, None])**2
    for _ in range(k - 1):
        seed = np.argmax(w * d2, axis=1)
        mx.append(x[rows, 0, seed])
        my.append(y[rows, 0, seed])
        d2 = np.minimum(d2, (x[:, 0] - mx[-1][:, None])**2 +
                        (y[:, 0] - my[-1][:, None])**2)
    mx, my = np.stack(mx, 1)[..., None], np.stack(my, 1)[..., None]
    cx, cy = (wp * x).sum(2, keepdims=True), (wp * y).sum(2, keepdims=True)
    spread = (wp * ((x - cx)**2 + (y - cy)**2)).sum(2)  # (B, 1)
    var = np.repeat(np.maximum(spread / (2 * k), 1.0), k, axis=1)
    log_prior = np.zeros_like(var)
    for _ in range(iters):
        log_p = (log_prior - np.log(var))[..., None] - \
            ((x - mx)**2 + (y - my)**2) / (2 * var[..., None])
        log_p -= log_p.max(axis=1, keepdims=True)
        resp = np.exp(log_p)
        resp *= wp / resp.sum(axis=1, keepdims=True)  # (B, k, M)
        mass = resp.sum(2, keepdims=True) + 1e-12  # (B, k, 1)
        new_x = (resp * x).sum(2, keepdims=True) / mass
        new_y = (resp * y).sum(2, keepdims=True) / mass
        var = np.maximum((resp * ((x - new_x)**2 + (y - new_y)**2)).sum(2) /
                         (2 * mass[..., 0]), 0.25)
        log_prior = np.log(mass[..., 0])
        moved = max(np.abs(new_x - mx).max(), np.abs(new_y - my).max())
        mx, my = new_x, new_y
        if moved < tol:
            break
    return np.concatenate([mx, my], axis=2)


@MODELS.register_module()
class DensityPeakPoints:
    """Turn a density map into head points whose number follows its count.

    Method (``docs/localization.md``):

    1. Smooth the map with a Gaussian of ``sigma`` pixels.
    2. Candidates: pixels that are the maximum of their
       ``(2 * min_distance + 1)`` window and above ``threshold`` (people per
       pixel, after smoothing); equal maxima within ``min_distance`` of
       each other (a flat top) are one candidate, at their centre.
    3. Basins: every pixel belongs to its nearest candidate; a basin's mass
       is the density summed over it, the people its peak stands for.
       Candidates whose basin holds less than ``min_mass`` are noise: they
       are dropped and the basins recomputed, so real heads get their pixels
       back.
    4. How many points: ``round(sum of the map)`` in all (inside the ROI),
       shared among the basins by their masses (largest remainder). A
       sparse region gets its few points, a dense region as many as it
       counts, with no fixed cut-off on peak height.
    5. A basin that gets one point puts it at its peak; a basin that gets
       ``k > 1`` (heads whose peaks merged) puts them at the means of a
       mixture of ``k`` Gaussians fitted to its density.

    Points are returned in pixel-centre coordinates (``col + 0.5``,
    ``row + 0.5``), x then y, the frame of ``gt_points``.

    Args:
        sigma (float): Smoothing in pixels; 0 turns it off. Default: 1.
        min_distance (int): Half-size of the local-maximum window.
            Default: 2.
        threshold (float): Least smoothed density of a candidate, people per
            pixel. Default: 1e-5.
        min_mass (float): Least basin mass a candidate keeps. Default: 0.25.
        max_points (int, optional): Refuse maps that would need more points
            than this (a badly trained model can predict millions).
            Default: 100000.
    """

    def __init__(self,
                 sigma: float = 1.0,
                 min_distance: int = 2,
                 threshold: float = 1e-5,
                 min_mass: float = 0.25,
                 max_points: Optional[int] = 100000):
        if sigma < 0 or min_distance < 1 or threshold < 0 or min_mass < 0:
            raise ValueError(
                f'DensityPeakPoints: need sigma >= 0, min_distance >= 1, '
                f'threshold >= 0 and min_mass >= 0, got sigma={sigma}, '
                f'min_distance={min_distance}, threshold={threshold}, '
                f'min_mass={min_mass}')
        self.sigma = float(sigma)
        self.min_distance = int(min_distance)
        self.threshold = float(threshold)
        self.min_mass = float(min_mass)
        self.max_points = max_points

    def candidates(self, density: np.ndarray) -> np.ndarray:
        """Local maxima of the smoothed map above ``threshold``.

        Args:
            density (np.ndarray): (H, W) people per pixel.

        Returns:
            np.ndarray: (K, 2) int64 ``(row, col)``, highest peak first.
        """
        smooth = ndimage.gaussian_filter(density, self.sigma) \
            if self.sigma > 0 else density
        size = 2 * self.min_distance + 1
        peaks = (smooth == ndimage.maximum_filter(smooth, size=size)) & \
            (smooth > self.threshold)
        # Maxima of each other's window are equal: a flat top (e.g. of an
        # 8-bit map) or a tie. They are one peak, at their centre.
        reach = (self.min_distance + 1) // 2
        grown = ndimage.binary_dilation(
            peaks, structure=np.ones((2 * reach + 1, 2 * reach + 1)))
        labels, num = ndimage.label(grown, structure=np.ones((3, 3)))
        labels = labels * peaks
        if num == 0:
            return np.zeros((0, 2), dtype=np.int64)
        found = np.array(ndimage.center_of_mass(peaks, labels,
                                                np.arange(1, num + 1)))
        rows, cols = np.round(found).astype(np.int64).T
        order = np.argsort(-smooth[rows, cols], kind='stable')
        return np.stack([rows[order], cols[order]], axis=1)

    @staticmethod
    def basins(shape, peaks: np.ndarray) -> np.ndarray:
        """The index of the nearest peak for every pixel, (H, W) int64."""
        free = np.ones(shape, dtype=bool)
        free[peaks[:, 0], peaks[:, 1]] = False
        _, (near_r, near_c) = ndimage.distance_transform_edt(
            free, return_indices=True)
        index = np.full(shape, -1, dtype=np.int64)
        index[peaks[:, 0], peaks[:, 1]] = np.arange(len(peaks))
        return index[near_r, near_c]

    def __call__(self, density: Union[np.ndarray, torch.Tensor],
                 roi: Optional[np.ndarray] = None) -> np.ndarray:
        """Head points of one density map.

        Args:
            density (np.ndarray | Tensor): (H, W) or (1, H, W), people per
                pixel.
            roi (np.ndarray, optional): (H, W), non-zero inside; density
                outside is ignored.

        Returns:
            np.ndarray: (N, 2) float32 points, x then y, in pixels.
        """
        if isinstance(density, torch.Tensor):
            density = density.detach().float().cpu().numpy()
        density = np.asarray(density, dtype=np.float64)
        if density.ndim == 3 and density.shape[0] == 1:
            density = density[0]
        if density.ndim != 2:
            raise ValueError(f'DensityPeakPoints: expected an (H, W) map, '
                             f'got shape {density.shape}')
        density = np.where(np.isfinite(density), density, 0.0)
        if roi is not None:
            density = density * (np.asarray(roi) > 0)
        total = int(round(float(density.sum())))
        if total <= 0:
            return np.zeros((0, 2), dtype=np.float32)
        if self.max_points is not None and total > self.max_points:
            raise ValueError(f'DensityPeakPoints: the map counts {total} '
                             f'people, more than max_points={self.max_points}')
        peaks = self.candidates(density)
        if len(peaks) == 0:
            return np.zeros((0, 2), dtype=np.float32)
        weights = np.clip(density, 0, None)
        owner = self.basins(density.shape, peaks)
        masses = np.bincount(owner.ravel(), weights.ravel(), len(peaks))
        keep = masses >= self.min_mass
        if keep.any() and not keep.all():
            peaks = peaks[keep]
            owner = self.basins(density.shape, peaks)
            masses = np.bincount(owner.ravel(), weights.ravel(), len(peaks))
        counts = allocate_counts(masses, total)
        points = [peaks[counts == 1][:, ::-1].astype(np.float64)]
        merged = np.nonzero(counts > 1)[0]
        if len(merged):
            points.append(self._split_merged(owner, weights, merged,
                                             counts[merged]))
        points = np.concatenate(points) + 0.5
        return points.astype(np.float32)

    def _split_merged(self, owner: np.ndarray, weights: np.ndarray,
                      basins: np.ndarray, counts: np.ndarray,
                      max_pixels: int = 128) -> np.ndarray:
        """Points for basins whose heads' peaks merged into one.

        A basin that gets ``k > 1`` points fits a mixture of ``k`` isotropic
        Gaussians to its density by EM (pixels weighted by density) and
        places the points at the component means; a plain k-means would
        pull the points of overlapping heads towards each other. Each basin
        is reduced to at most ``max_pixels`` blocks (:func:`block_pixels`);
        basins with the same ``k`` are fitted together.

        Returns:
            np.ndarray: (sum(counts), 2) points, x then y (pixel indices).
        """
        num = len(basins)
        xy = np.zeros((num, max_pixels, 2), dtype=np.float32)
        w = np.zeros((num, max_pixels), dtype=np.float32)
        flat = owner.ravel()
        idx = np.nonzero(np.isin(flat, basins) & (weights.ravel() > 0))[0]
        idx = idx[np.argsort(flat[idx], kind='stable')]
        starts = np.searchsorted(flat[idx], basins)
        ends = np.append(starts[1:], len(idx))
        width = owner.shape[1]
        for b, (start, end) in enumerate(zip(starts, ends)):
            rows, cols = np.divmod(idx[start:end], width)
            pw, px, py = block_pixels(weights[rows, cols], rows, cols,
                                      max_pixels)
            xy[b, :len(pw), 0], xy[b, :len(pw), 1] = px, py
            w[b, :len(pw)] = pw
        w /= np.maximum(w.sum(1, keepdims=True), 1e-12)
        points = [fit_gaussian_mixtures(xy[counts == k], w[counts == k], k)
                  for k in np.unique(counts)]
        return np.concatenate([p.reshape(-1, 2) for p in points])

    def __repr__(self):
        return (f'{type(self).__name__}(sigma={self.sigma}, '
                f'min_distance={self.min_distance}, '
                f'threshold={self.threshold}, min_mass={self.min_mass})')
