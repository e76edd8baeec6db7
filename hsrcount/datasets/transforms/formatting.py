"""Packing a sample into the model's inputs and a CrowdDataSample."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from hsrcount.registry import TRANSFORMS
from hsrcount.structures import CrowdDataSample


@TRANSFORMS.register_module()
class PackCrowdInputs(BaseTransform):
    """Pack the image and ground truth of one sample.

    Args:
        meta_keys (tuple[str]): Keys of ``results`` copied into the data
            sample's metainfo when present: by default the image's path,
            shapes and transforms, and the labels that metrics break
            results down by (WorldExpo's ``scene``, JHU's ``weather``,
            NWPU's ``luminance`` and ``scene_level``).

    Returns:
        dict: ``inputs``: (3, H, W) uint8 tensor, BGR; ``data_samples``:
        a :obj:`CrowdDataSample` with ``gt_points`` ((N, 2) float32),
        ``gt_count`` (float), and where present ``gt_density`` ((1, H, W)
        float32) and ``roi`` ((1, H, W) uint8).
    """

    def __init__(self, meta_keys=('img_path', 'ori_shape', 'img_shape',
                                  'scale_factor', 'flip', 'scene', 'weather',
                                  'luminance', 'scene_level')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        # copy(): an array reversed along an axis of length 1 passes NumPy's
        # contiguity test with a negative stride, which torch refuses.
        inputs = torch.from_numpy(np.array(img.transpose(2, 0, 1),
                                           copy=True, order='C'))
        sample = CrowdDataSample()
        points = np.asarray(results.get('gt_points', np.zeros((0, 2))),
                            dtype=np.float32).reshape(-1, 2)
        sample.gt_points = torch.from_numpy(points.copy())
        if 'gt_count' in results:
            if 'gt_points' in results and results['gt_count'] != len(points):
                # A geometric transform moved or dropped heads after the
                # count was taken: packing it would train on a wrong count.
                raise ValueError(
                    f'{results.get("img_path", "<sample>")}: gt_count '
                    f'{results["gt_count"]} does not match the '
                    f'{len(points)} head points of the sample; put '
                    f'GenerateDensity after the geometric transforms')
            sample.gt_count = float(results['gt_count'])
        if 'gt_density' in results:
            sample.gt_density = torch.from_numpy(
                np.ascontiguousarray(results['gt_density'],
                                     dtype=np.float32))[None]
        sizes = results.get('gt_head_sizes')
        if sizes is not None and len(sizes) == len(points):
            # Box width and height per head: NWPU's localization threshold.
            sample.gt_head_sizes = torch.from_numpy(np.array(
                sizes, dtype=np.float32).reshape(-1, 2))
        if 'roi' in results:
            sample.roi = torch.from_numpy(
                np.array(results['roi'], copy=True, order='C'))[None]
        sample.set_metainfo({
            k: results[k]
            for k in self.meta_keys if k in results
        })
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self):
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
