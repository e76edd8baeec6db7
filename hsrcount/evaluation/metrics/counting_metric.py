"""MAE, MSE, NAE and GAME(L) of crowd counts, and the breakdowns of the
JHU-Crowd++ and NWPU-Crowd benchmarks."""
from collections import OrderedDict
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import PixelData

from hsrcount.registry import METRICS
from ..functional import game_errors


@METRICS.register_module()
class CrowdCountingMetric(BaseMetric):
    """Counting errors over a test set (eqs. 10-12 of the paper).

    With ``z_i`` the GT count of image ``i`` (``gt_count``: annotated heads
    inside the ROI) and ``ẑ_i`` the estimate (``pred_count``: the predicted
    density summed inside the ROI), over ``N`` images:

    - ``MAE = 1/N * sum_i |z_i - ẑ_i|``
    - ``MSE = sqrt(1/N * sum_i (z_i - ẑ_i)^2)`` (the root, as in eq. 11)
    - ``GAME{L} = 1/N * sum_i sum_{cells} |ẑ_i^l - z_i^l|`` over a
      ``2^L x 2^L`` grid; the GT of a cell is the number of GT points in it
      and the estimate the sum of ``pred_density`` in it, both inside the ROI
      (see :mod:`hsrcount.evaluation.functional` for the cell boundaries).
    - ``NAE = 1/N' * sum_i |z_i - ẑ_i| / z_i`` over the ``N'`` images with
      ``z_i > 0`` (NaN when there is none), as JHU-Crowd++ and NWPU-Crowd
      report it.
    - with ``per_scene=True``: ``MAE_<scene>`` per scene (the metainfo key
      ``scene``) and ``MAE_scene_avg``, their unweighted mean (WorldExpo'10
      reports that average over its five test scenes).
    - with ``breakdown='jhu'`` (JHU-Crowd++): ``MAE``/``MSE``/``NAE`` of the
      density classes ``low`` (GT 0-50), ``medium`` (51-500) and ``high``
      (> 500) and of ``weather``, the images with adverse weather (metainfo
      ``weather`` 1-3), as keys ``MAE_low``, ``MSE_low``, ...
    - with ``breakdown='nwpu'`` (NWPU-Crowd): ``MAE_S0`` .. ``MAE_S4`` by
      scene level (metainfo ``scene_level``) and ``mMAE``, their mean;
      ``MAE_L0`` .. ``MAE_L3`` by luminance (metainfo ``luminance``) and
      ``mMAE_luminance``. A level without images is left out of its mean
      (and logged).

    ``process`` keeps one small record of Python numbers per image, never a
    map, so results gathered from all ranks reduce to the same numbers as a
    single-process run.

    Args:
        game_levels (Sequence[int]): The values of ``L`` for which to report
            ``GAME{L}``. Needs ``pred_density`` and ``gt_points`` on every
            sample. Defaults to () (no GAME); TRANCOS configs use
            (0, 1, 2, 3).
        per_scene (bool): Also report the MAE of each scene and their mean.
            Needs the metainfo ``scene`` on every sample. Defaults to False.
        breakdown (str, optional): ``'jhu'`` or ``'nwpu'``: also report the
            benchmark's breakdown (see above). Defaults to None.
        collect_device (str): Device used to gather results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric keys, e.g. ``'val'``
            gives ``'val/MAE'``. Defaults to None (keys ``'MAE'``, ...).
        collect_dir (str, optional): Shared directory for gathering on CPU
            across machines. Defaults to None (a temporary one).
    """

    # Keys stay 'MAE', 'MSE', ... (configs name save_best='MAE'); an empty
    # prefix, unlike None, tells MMEngine that is meant and stops its
    # "prefix is not set" warning.
    default_prefix = ''

    def __init__(self,
                 game_levels: Sequence[int] = (),
                 per_scene: bool = False,
                 breakdown: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            collect_device=collect_device,
            prefix=prefix,
            collect_dir=collect_dir)
        game_levels = tuple(game_levels)
        valid = all(isinstance(level, int) and level >= 0
                    for level in game_levels)
        if not valid or len(set(game_levels)) != len(game_levels):
            raise ValueError('game_levels must be distinct non-negative '
                             f'integers, got {game_levels}')
        if breakdown not in BREAKDOWN_KEYS:
            raise ValueError(f'breakdown must be one of '
                             f'{sorted(k for k in BREAKDOWN_KEYS if k)} or '
                             f'None, got {breakdown!r}')
        self.game_levels = game_levels
        self.per_scene = per_scene
        self.breakdown = breakdown

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Record the counts (and GAME cell errors) of a batch.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[CrowdDataSample | dict]): The model's
                outputs, or their ``to_dict()`` form (what MMEngine's
                Evaluator passes).
        """
        for sample in data_samples:
            self.results.append(self._record(sample))

    def _record(self, sample) -> dict:
        img_path = sample.get('img_path', '<unknown image>')
        roi = _map(sample.get('roi'), 'roi', img_path)
        pred_density = _map(sample.get('pred_density'), 'pred_density',
                            img_path)
        if roi is not None and pred_density is not None and (
                roi.shape != pred_density.shape):
            raise ValueError(
                f'{img_path}: roi has shape {roi.shape} but pred_density has '
                f'{pred_density.shape}; both must be at the image size')

        gt_count = sample.get('gt_count')
        if gt_count is None:
            raise KeyError(
                f'{img_path}: the data sample has no gt_count (a split whose '
                f'labels are withheld? tools/test.py --format-only writes '
                f"the benchmark's submission file instead)")
        pred_count = sample.get('pred_count')
        if pred_count is None:
            if pred_density is None:
                raise KeyError(f'{img_path}: the data sample has neither '
                               'pred_count nor pred_density')
            # Same definition as the model's: the density summed in the ROI.
            masked = pred_density if roi is None else pred_density * (roi > 0)
            pred_count = masked.sum(dtype=np.float64)

        record = dict(
            img_path=img_path,
            gt_count=float(gt_count),
            pred_count=float(pred_count))
        if self.game_levels:
            if pred_density is None:
                raise KeyError(f'{img_path}: GAME needs pred_density')
            gt_points = sample.get('gt_points')
            if gt_points is None:
                raise KeyError(f'{img_path}: GAME needs gt_points')
            if isinstance(gt_points, torch.Tensor):
                gt_points = gt_points.detach().cpu().numpy()
            record['game'] = game_errors(pred_density, gt_points,
                                         self.game_levels, roi)
        if self.per_scene:
            scene = sample.get('scene')
            if scene is None:
                raise KeyError(f'{img_path}: per_scene=True but the data '
                               'sample has no "scene" metainfo')
            record['scene'] = str(scene)
        for key in BREAKDOWN_KEYS[self.breakdown]:
            value = sample.get(key)
            if value is None:
                raise KeyError(f'{img_path}: breakdown={self.breakdown!r} '
                               f'needs the metainfo {key!r} on every sample')
            record[key] = int(value)
        return record

    def compute_metrics(self, results: list) -> dict:
        """Reduce the records of all images (gathered from all ranks).

        Args:
            results (list[dict]): The records made by :meth:`process`.

        Returns:
            dict[str, float]: ``MAE``, ``MSE``, ``NAE``, ``GAME{L}`` for each
            level and, with ``per_scene``, ``MAE_<scene>`` and
            ``MAE_scene_avg``; with ``breakdown``, the benchmark's keys.
        """
        if not results:
            raise ValueError('CrowdCountingMetric got no samples to evaluate')
        gt = np.array([r['gt_count'] for r in results], dtype=np.float64)
        pred = np.array([r['pred_count'] for r in results], dtype=np.float64)
        err = pred - gt
        metrics = OrderedDict(count_errors(gt, pred))
        for i, level in enumerate(self.game_levels):
            metrics[f'GAME{level}'] = float(
                np.mean([r['game'][i] for r in results]))
        if self.per_scene:
            scenes = np.array([r['scene'] for r in results])
            scene_maes = []
            for scene in sorted(set(scenes.tolist())):
                mae = float(np.abs(err[scenes == scene]).mean())
                metrics[f'MAE_{scene}'] = mae
                scene_maes.append(mae)
            metrics['MAE_scene_avg'] = float(np.mean(scene_maes))
        if self.breakdown == 'jhu':
            metrics.update(jhu_breakdown(gt, pred, [r['weather']
                                                    for r in results]))
        elif self.breakdown == 'nwpu':
            metrics.update(
                nwpu_breakdown(gt, pred, [r['scene_level'] for r in results],
                               [r['luminance'] for r in results]))

        summary = ', '.join(f'{k}: {v:.4f}' for k, v in metrics.items())
        print_log(f'Counting metrics over {len(results)} images: {summary}',
                  logger='current')
        return dict(metrics)


#: The metainfo keys each breakdown needs.
BREAKDOWN_KEYS = {
    None: (),
    'jhu': ('weather', ),
    'nwpu': ('scene_level', 'luminance'),
}
#: JHU-Crowd++'s density classes: (name, lowest GT count, highest GT count).
JHU_DENSITY = (('low', 0, 50), ('medium', 51, 500), ('high', 501, np.inf))


def count_errors(gt, pred):
    """MAE, MSE (the root of the mean squared error) and NAE of counts.

    Args:
        gt (np.ndarray): (N, ) ground-truth counts.
        pred (np.ndarray): (N, ) estimated counts.

    Returns:
        dict[str, float]: ``MAE``, ``MSE`` and ``NAE``, the mean of
        ``|pred - gt| / gt`` over the images with ``gt > 0`` (NaN if none,
        or if N is 0; MAE and MSE are NaN for N = 0 too).
    """
    gt = np.asarray(gt, dtype=np.float64)
    err = np.abs(np.asarray(pred, dtype=np.float64) - gt)
    if len(gt) == 0:
        return dict(MAE=float('nan'), MSE=float('nan'), NAE=float('nan'))
    positive = gt > 0
    nae = float((err[positive] / gt[positive]).mean()) if positive.any() \
        else float('nan')
    return dict(MAE=float(err.mean()), MSE=float(np.sqrt((err**2).mean())),
                NAE=nae)


def jhu_breakdown(gt, pred, weather):
    """JHU-Crowd++'s breakdown: by density class and adverse weather.

    Args:
        gt (np.ndarray): (N, ) ground-truth counts.
        pred (np.ndarray): (N, ) estimated counts.
        weather (Sequence[int]): Each image's weather label, 0 (none) to 3.

    Returns:
        dict[str, float]: ``MAE_<c>``, ``MSE_<c>`` and ``NAE_<c>`` for ``c``
        in ``low`` (GT 0-50), ``medium`` (51-500), ``high`` (> 500) and
        ``weather`` (label 1-3); NaN where a class has no image.
    """
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    classes = [(name, (gt >= lo) & (gt <= hi)) for name, lo, hi in JHU_DENSITY]
    classes.append(('weather', np.asarray(weather) > 0))
    out = OrderedDict()
    for name, sel in classes:
        for key, value in count_errors(gt[sel], pred[sel]).items():
            out[f'{key}_{name}'] = value
    return out


def nwpu_breakdown(gt, pred, scene_level, luminance):
    """NWPU-Crowd's breakdown: MAE by scene level and by luminance.

    Args:
        gt (np.ndarray): (N, ) ground-truth counts.
        pred (np.ndarray): (N, ) estimated counts.
        scene_level (Sequence[int]): Each image's scene level, 0 to 4.
        luminance (Sequence[int]): Each image's luminance class, 0 to 3.

    Returns:
        dict[str, float]: ``MAE_S<k>`` per scene level present and
        ``mMAE``, their mean; ``MAE_L<k>`` per luminance class present and
        ``mMAE_luminance``, their mean.
    """
    err = np.abs(np.asarray(pred, np.float64) - np.asarray(gt, np.float64))
    out = OrderedDict()
    for labels, prefix, mean_key, num in ((scene_level, 'S', 'mMAE', 5),
                                          (luminance, 'L', 'mMAE_luminance',
                                           4)):
        labels = np.asarray(labels)
        maes, absent = [], []
        for level in range(num):
            sel = labels == level
            if not sel.any():
                absent.append(f'{prefix}{level}')
                continue
            out[f'MAE_{prefix}{level}'] = float(err[sel].mean())
            maes.append(out[f'MAE_{prefix}{level}'])
        out[mean_key] = float(np.mean(maes))
        if absent:
            print_log(f'{mean_key}: no image of {", ".join(absent)}; the '
                      f'mean is over the other levels', logger='current')
    return out


def _map(value, key, img_path) -> Optional[np.ndarray]:
    """A ``(H, W)`` float array from a PixelData, its dict form or a tensor."""
    if value is None:
        return None
    if isinstance(value, PixelData):
        value = value.data
    elif isinstance(value, dict):
        if 'data' not in value:
            raise KeyError(f'{img_path}: {key} has no "data" field')
        value = value['data']
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise ValueError(f'{img_path}: {key} must have shape (1, H, W) or '
                         f'(H, W), got {array.shape}')
    return array
