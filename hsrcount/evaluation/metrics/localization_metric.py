"""Precision, recall and F1 of predicted head points."""
from collections import OrderedDict
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from hsrcount.models.postprocessors import to_original_frame
from hsrcount.registry import METRICS
from hsrcount.utils import atomic_write
from ..localization import match_points, nwpu_thresholds, precision_recall_f1
from .submission import image_id


def _array(value, shape_tail, key, img_path) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value, dtype=np.float64)
    if array.size == 0:
        return array.reshape((0, ) + shape_tail)
    if array.ndim != 2 or array.shape[1:] != shape_tail:
        raise ValueError(f'{img_path}: {key} must have shape (N, '
                         f'{shape_tail[0]}), got {array.shape}')
    return array


@METRICS.register_module()
class LocalizationMetric(BaseMetric):
    """How well ``pred_points`` find the annotated heads ``gt_points``.

    Per image, predicted and annotated points are paired one to one by the
    Hungarian algorithm (:func:`hsrcount.evaluation.localization.
    match_points`); a pair within the distance threshold is a true
    positive. Over the test set, precision = TP / predicted points, recall =
    TP / annotated heads, F1 their harmonic mean (sums over images, as
    NWPU-Crowd's localization track computes them).

    Thresholds: fixed distances in pixels (``thresholds``), and with
    ``nwpu_box=True`` NWPU-Crowd's per-head threshold, half the diagonal of
    each head's box (the sample's ``gt_head_sizes``, (N, 2) box width and
    height, which the NWPU-Crowd and JHU-Crowd++ loaders give).

    ``process`` keeps one record of small integers per image, so results
    gathered from all ranks reduce to the same numbers as one process.

    Args:
        thresholds (Sequence[float]): Distances in pixels.
            Default: (4, 8).
        nwpu_box (bool): Also score with NWPU's per-head box threshold.
            Default: False.
        collect_device (str): Device used to gather results across ranks.
        prefix (str, optional): Prefix of the metric keys. Default: ''
            (keys ``F1@4``, ``precision@4``, ...).
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 thresholds: Sequence[float] = (4, 8),
                 nwpu_box: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thresholds = tuple(float(t) for t in thresholds)
        if any(t <= 0 for t in self.thresholds):
            raise ValueError(f'LocalizationMetric: thresholds must be > 0, '
                             f'got {thresholds}')
        if not self.thresholds and not nwpu_box:
            raise ValueError('LocalizationMetric: give thresholds or '
                             'nwpu_box=True')
        self.nwpu_box = nwpu_box

    @staticmethod
    def _name(threshold) -> str:
        return f'{threshold:g}' if isinstance(threshold, float) else threshold

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Match the points of each image of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[CrowdDataSample | dict]): Predictions
                with ``pred_points`` and ``gt_points`` (``gt_head_sizes``
                with ``nwpu_box``).
        """
        for sample in data_samples:
            img_path = sample.get('img_path', '<unknown image>')
            if sample.get('pred_points') is None:
                raise KeyError(f'{img_path}: no pred_points; give the model '
                               f'a point_extractor')
            if sample.get('gt_points') is None:
                raise KeyError(f'{img_path}: no gt_points to match')
            pred = _array(sample.get('pred_points'), (2, ), 'pred_points',
                          img_path)
            gt = _array(sample.get('gt_points'), (2, ), 'gt_points', img_path)
            record = dict(num_pred=len(pred), num_gt=len(gt))
            for t in self.thresholds:
                record[self._name(t)] = match_points(pred, gt, t)
            if self.nwpu_box:
                sizes = sample.get('gt_head_sizes')
                if sizes is None:
                    raise KeyError(f'{img_path}: nwpu_box=True needs '
                                   f'gt_head_sizes (head boxes)')
                sizes = _array(sizes, (2, ), 'gt_head_sizes', img_path)
                if len(sizes) != len(gt) or not np.isfinite(sizes).all():
                    raise ValueError(f'{img_path}: nwpu_box=True needs a '
                                     f'finite box size per head, got '
                                     f'{len(sizes)} for {len(gt)} heads')
                record['box'] = match_points(pred, gt, nwpu_thresholds(sizes))
            self.results.append(record)

    def compute_metrics(self, results: list) -> dict:
        """Precision, recall and F1 per threshold over all images.

        Returns:
            dict[str, float]: ``precision@T``, ``recall@T``, ``F1@T`` for
            each threshold ``T`` (``box`` for NWPU's).
        """
        if not results:
            raise ValueError('LocalizationMetric got no samples to evaluate')
        num_pred = sum(r['num_pred'] for r in results)
        num_gt = sum(r['num_gt'] for r in results)
        names = [self._name(t) for t in self.thresholds]
        names += ['box'] if self.nwpu_box else []
        metrics = OrderedDict()
        for name in names:
            tp = sum(r[name] for r in results)
            p, r, f1 = precision_recall_f1(tp, num_pred, num_gt)
            metrics[f'precision@{name}'] = p
            metrics[f'recall@{name}'] = r
            metrics[f'F1@{name}'] = f1
        summary = ', '.join(f'{k}: {v:.4f}' for k, v in metrics.items())
        print_log(f'Localization over {len(results)} images '
                  f'({num_pred} points for {num_gt} heads): {summary}',
                  logger='current')
        return dict(metrics)


def format_localization(records) -> str:
    """NWPU-Crowd's localization submission, one line per image by id:
    ``<id> <N> <x1> <y1> ... <xN> <yN>``, integer pixels of the original
    image.

    Args:
        records (list[tuple[str, np.ndarray]]): ``(id, (N, 2) points)``.

    Returns:
        str: The file's text.

    Raises:
        ValueError: If an id appears twice.
    """
    ids = [i for i, _ in records]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f'image id(s) {dup} predicted more than once')
    lines = []
    for i, points in sorted(records, key=lambda r: (len(r[0]), r[0])):
        xy = np.rint(np.asarray(points, dtype=np.float64)).astype(np.int64)
        lines.append(' '.join([i, str(len(xy))] +
                              [str(v) for v in xy.reshape(-1)]))
    return ''.join(line + '\n' for line in lines)


@METRICS.register_module()
class LocalizationSubmissionMetric(BaseMetric):
    """Write each image's head points as NWPU-Crowd's localization track
    takes them (:func:`format_localization`), for ``tools/test.py
    --format-only``.

    Points are mapped back to the original image when the test pipeline
    resized it (the sample's ``scale_factor``). Needs no ground truth; rank
    0 writes the file atomically once the records of all ranks are
    gathered. Reports no metric.

    Args:
        out_file (str): The file to write.
        collect_device (str): Device used to gather results across ranks.
    """

    default_prefix: Optional[str] = ''

    def __init__(self, out_file: str, collect_device: str = 'cpu') -> None:
        super().__init__(collect_device=collect_device)
        self.out_file = out_file

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            img_path = sample.get('img_path')
            points = sample.get('pred_points')
            if img_path is None or points is None:
                missing = 'img_path' if img_path is None else \
                    'pred_points (give the model a point_extractor)'
                raise KeyError(f'LocalizationSubmissionMetric: the '
                               f'prediction of {img_path or "an image"} has '
                               f'no {missing}')
            self.results.append(
                (image_id(img_path, 'nwpu'),
                 to_original_frame(points, sample.get('scale_factor'))))

    def compute_metrics(self, results: list) -> dict:
        atomic_write(format_localization(results), self.out_file)
        print_log(f'wrote the head points of {len(results)} images to '
                  f'{self.out_file}', logger='current')
        return {}
