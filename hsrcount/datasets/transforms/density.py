"""Rendering the ground-truth density map from the current points."""
import numpy as np
from mmcv.transforms import BaseTransform

from hsrcount.registry import TRANSFORMS
from ..density import points_in_roi, points_inside, render_density
from .geometric import select_heads


@TRANSFORMS.register_module()
class GenerateDensity(BaseTransform):
    """Render ``gt_density`` from the points of the current image.

    Run after the geometric transforms. The heads counted are those inside
    the current image and, when the sample has ``roi``, inside the region
    of interest; only they are rendered, and kernels are cut to the ROI like
    to the image border, so with ``border='renormalize'`` the map sums to
    ``gt_count`` inside the ROI.

    Adaptive kernels take their widths from ``gt_sigmas`` when the sample
    carries them: computed on the whole image by
    ``LoadCrowdAnnotations(head_sigmas=...)`` and carried through rescale,
    crop and flip, so a head keeps its kernel wherever the crop cuts
    (paper eq. 7 and common practice compute them on the whole image).
    Without ``gt_sigmas`` they are computed from the heads of the image this
    transform gets, which is only the whole image if nothing cropped it: a
    cropped sample without ``gt_sigmas`` is refused.

    Args:
        kernel (str): ``'adaptive'`` (eq. 7) or ``'fixed'``.
        sigma (float): Sigma of fixed kernels; for adaptive kernels, the
            sigma of a head with no other head. Defaults to 4.
        k (int): Neighbours of adaptive kernels. Defaults to 3.
        beta (float): Scale of adaptive kernels. Defaults to 0.3.
        border (str): ``'renormalize'`` or ``'constant'``, see
            :func:`render_density`.
        max_sigma (float, optional): Upper bound on sigmas.

    Required keys: ``img``, ``gt_points``; optional ``roi``, ``gt_sigmas``.
    Added keys: ``gt_density`` ((H, W) float32).
    Modified keys: ``gt_count`` (int, set to the heads counted in the
    current image), ``gt_points`` and ``gt_sigmas`` (only the counted
    heads).
    """

    def __init__(self, kernel='adaptive', sigma=4.0, k=3, beta=0.3,
                 border='renormalize', max_sigma=None):
        self.render_args = dict(kernel=kernel, sigma=sigma, k=k, beta=beta,
                                border=border, max_sigma=max_sigma)
        render_density(np.zeros((0, 2)), (1, 1), **self.render_args)

    def transform(self, results: dict) -> dict:
        shape = results['img'].shape[:2]
        points = np.asarray(results['gt_points'],
                            dtype=np.float32).reshape(-1, 2)
        results['gt_points'] = points
        adaptive = self.render_args['kernel'] == 'adaptive'
        if adaptive and 'gt_sigmas' not in results and 'crop_box' in results:
            raise KeyError(
                f'{results.get("img_path", "<sample>")}: adaptive kernels of '
                f'a cropped sample need the sigmas of the whole image: add '
                f"head_sigmas=dict(mode='adaptive', k=3, beta=0.3) to "
                f'LoadCrowdAnnotations')
        if 'roi' in results:
            keep = points_in_roi(points, results['roi'])
        else:
            keep = points_inside(points, shape)
        select_heads(results, keep)
        sigmas = results.get('gt_sigmas') if adaptive else None
        results['gt_count'] = len(results['gt_points'])
        results['gt_density'] = render_density(
            results['gt_points'], shape, mask=results.get('roi'),
            sigmas=sigmas, **self.render_args)
        return results

    def __repr__(self):
        args = ', '.join(f'{k}={v!r}' for k, v in self.render_args.items())
        return f'{type(self).__name__}({args})'
