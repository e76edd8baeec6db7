"""Per-image counting errors, in plain numpy (no MMEngine state).

GAME(L) (eq. 12 of the paper) splits an image into a ``2^L x 2^L`` grid of
``4^L`` cells and sums the absolute count errors over the cells. Image sizes
are rarely divisible by ``2^L``; the cell boundaries along an axis of length
``S`` split into ``n`` parts are the integers ``floor(k * S / n)`` for
``k = 0..n`` (``np.linspace(0, S, n + 1)`` floored, computed exactly in
integers), so neighbouring cells differ by at most one pixel and every pixel
belongs to exactly one cell.
"""
import numpy as np

from hsrcount.datasets.density import (points_in_roi, points_inside,
                                       points_to_pixels)


def cell_boundaries(size, num_cells):
    """Integer boundaries that split ``size`` pixels into ``num_cells`` parts.

    Args:
        size (int): Length of the axis in pixels.
        num_cells (int): Number of parts.

    Returns:
        np.ndarray: ``(num_cells + 1,)`` int64, ``floor(k * size /
        num_cells)``, from 0 to ``size``.
    """
    return np.arange(num_cells + 1, dtype=np.int64) * size // num_cells


def grid_cell_sums(value_map, num_cells):
    """Sum a map over a ``num_cells x num_cells`` grid of cells.

    Uses an integral image, so cells of zero size (an axis shorter than
    ``num_cells``) sum to 0.

    Args:
        value_map (np.ndarray): ``(H, W)`` map.
        num_cells (int): Cells per axis.

    Returns:
        np.ndarray: ``(num_cells, num_cells)`` float64 sums, rows then
        columns.
    """
    h, w = value_map.shape
    integral = np.zeros((h + 1, w + 1), dtype=np.float64)
    integral[1:, 1:] = value_map.astype(np.float64).cumsum(0).cumsum(1)
    ys = cell_boundaries(h, num_cells)
    xs = cell_boundaries(w, num_cells)
    corners = integral[np.ix_(ys, xs)]
    return (corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] +
            corners[:-1, :-1])


def points_to_count_map(points, shape, roi=None):
    """Count head points per pixel.

    The convention of the whole project (:mod:`hsrcount.datasets.density`):
    a point ``(x, y)`` falls in pixel ``(floor(y), floor(x))``, and the image
    is the closed rectangle ``[0, W] x [0, H]``, so a head on the far edge
    belongs to the last column or row, as it does in ``gt_count``. Points
    off the image, or on a pixel where ``roi`` is 0, are not counted.

    Args:
        points (np.ndarray): ``(N, 2)`` positions, x then y, 0-based pixels.
        shape (tuple[int, int]): ``(H, W)`` of the map.
        roi (np.ndarray, optional): ``(H, W)`` mask, non-zero inside the
            region of interest.

    Returns:
        np.ndarray: ``(H, W)`` float64 map of point counts.
    """
    counts = np.zeros(shape, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    keep = points_inside(points, shape) if roi is None else points_in_roi(
        points, roi)
    rows, cols = points_to_pixels(points[keep], shape).T
    np.add.at(counts, (rows, cols), 1.0)
    return counts


def game_errors(pred_density, gt_points, levels, roi=None):
    """Grid Average Mean absolute Error terms of one image (eq. 12).

    Args:
        pred_density (np.ndarray): ``(H, W)`` estimated density, people per
            pixel.
        gt_points (np.ndarray): ``(N, 2)`` annotated heads, x then y,
            0-based pixels of the same image.
        levels (Sequence[int]): The values of ``L``.
        roi (np.ndarray, optional): ``(H, W)`` mask; density and points
            outside it are ignored.

    Returns:
        list[float]: For each ``L``, the sum over the ``4^L`` cells of
        ``|estimated count - GT count|``.
    """
    pred = np.asarray(pred_density, dtype=np.float64)
    if roi is not None:
        pred = pred * (roi > 0)
    gt = points_to_count_map(gt_points, pred.shape, roi)
    errors = []
    for level in levels:
        num_cells = 2**level
        diff = grid_cell_sums(pred, num_cells) - grid_cell_sums(gt, num_cells)
        errors.append(float(np.abs(diff).sum()))
    return errors
