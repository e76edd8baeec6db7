"""One-to-one matching of predicted and annotated head points.

A predicted point matches an annotated head when they are paired by a
minimum-cost one-to-one assignment (the Hungarian algorithm,
:func:`scipy.optimize.linear_sum_assignment`) and lie within the head's
distance threshold. Precision is matches / predicted points, recall
matches / annotated heads, F1 their harmonic mean.
"""
from typing import Union

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist


def match_points(pred: np.ndarray, gt: np.ndarray,
                 threshold: Union[float, np.ndarray]) -> int:
    """The number of one-to-one matches within the threshold.

    Pairs farther apart than the threshold cannot match; among the rest the
    assignment maximises the number of matches (ties broken by the smallest
    total distance).

    Args:
        pred (np.ndarray): (P, 2) predicted points, x then y.
        gt (np.ndarray): (G, 2) annotated heads, x then y.
        threshold (float | np.ndarray): The distance within which a pair
            matches, in pixels: one value, or (G, ) per annotated head
            (e.g. NWPU's, from each head's box).

    Returns:
        int: The true positives.
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1, 2)
    gt = np.asarray(gt, dtype=np.float64).reshape(-1, 2)
    if len(pred) == 0 or len(gt) == 0:
        return 0
    dist = cdist(pred, gt)
    limit = np.broadcast_to(np.asarray(threshold, dtype=np.float64),
                            (len(gt), ))[None, :]
    allowed = dist <= limit
    if not allowed.any():
        return 0
    # Maximise matches first: an allowed pair costs less than any number of
    # allowed distances can add up to, a forbidden pair costs nothing.
    scale = dist[allowed].max() + 1.0
    big = scale * (min(len(pred), len(gt)) + 1)
    cost = np.where(allowed, dist - big, 0.0)
    rows, cols = linear_sum_assignment(cost)
    return int(allowed[rows, cols].sum())


def nwpu_thresholds(head_sizes: np.ndarray) -> np.ndarray:
    """NWPU-Crowd's per-head threshold: half the diagonal of its box.

    Args:
        head_sizes (np.ndarray): (G, 2) box width and height of each head.

    Returns:
        np.ndarray: (G, ) ``sqrt(w**2 + h**2) / 2`` in pixels.
    """
    sizes = np.asarray(head_sizes, dtype=np.float64).reshape(-1, 2)
    return np.sqrt((sizes**2).sum(axis=1)) / 2


def precision_recall_f1(tp: int, num_pred: int, num_gt: int) -> tuple:
    """Precision, recall and F1 from counts; 1.0 where nothing was asked.

    An image (or set) with no heads and no predictions is perfect; with
    heads but no predictions precision is taken as 1 and recall 0.

    Returns:
        tuple[float, float, float]: ``(precision, recall, f1)``.
    """
    precision = tp / num_pred if num_pred else 1.0
    recall = tp / num_gt if num_gt else 1.0
    f1 = 0.0 if precision + recall == 0 else \
        2 * precision * recall / (precision + recall)
    return precision, recall, f1
