"""Count with an exported ONNX model through onnxruntime.

:class:`OnnxCounter` stands in for a :class:`CrowdCounter` wherever
inference needs one: :func:`hsrcount.apis.inference_model`,
:func:`hsrcount.apis.tiled_inference` and ``tools/infer.py --backend
onnxruntime``. It reads the config stored in the ONNX file (for the test
pipeline and the point extractor), runs the graph on each image and fills
the same fields a counter's prediction has.
"""
import json
import os.path as osp
from types import SimpleNamespace
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config

from hsrcount.models.postprocessors import locate_points
from hsrcount.registry import MODELS
from hsrcount.structures import CrowdDataSample
from .export import INPUT_NAME, META_CONFIG, META_INFO


class OnnxCounter:
    """An exported counter run by onnxruntime on the CPU (or other
    execution providers).

    Args:
        path (str): The ``.onnx`` file written by ``tools/export.py``.
        providers (Sequence[str], optional): onnxruntime execution
            providers. Default: ``['CPUExecutionProvider']``.
        point_extractor (dict | callable | None | str): Head points for each
            prediction: ``'config'`` (default) takes the exported config's
            ``model.point_extractor`` (or ``DensityPeakPoints``), None
            gives no points.
        session_options (onnxruntime.SessionOptions, optional): e.g. the
            number of threads (``intra_op_num_threads``). Default:
            onnxruntime's.

    Attributes:
        cfg (Config): The model's config, from the file's metadata.
    """

    def __init__(self, path: str,
                 providers: Optional[Sequence[str]] = None,
                 point_extractor='config',
                 session_options=None):
        import onnxruntime as ort
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: no such ONNX model')
        try:
            self.session = ort.InferenceSession(
                path, sess_options=session_options,
                providers=list(providers or ['CPUExecutionProvider']))
        except Exception as err:  # onnxruntime raises its own types
            raise ValueError(f'{path}: not an ONNX model onnxruntime can '
                             f'load ({err})') from err
        meta = self.session.get_modelmeta().custom_metadata_map
        if META_CONFIG not in meta:
            raise ValueError(f'{path}: no hsrcount config in its metadata; '
                             f'export it with tools/export.py')
        self.path = path
        self.cfg = Config.fromstring(meta[META_CONFIG], '.py')
        info = json.loads(meta.get(META_INFO, '{}'))
        self.data_preprocessor = SimpleNamespace(
            pad_size_divisor=int(info.get('pad_size_divisor', 16)))
        if point_extractor == 'config':
            point_extractor = self.cfg.model.get(
                'point_extractor', dict(type='DensityPeakPoints'))
        if isinstance(point_extractor, dict):
            point_extractor = MODELS.build(point_extractor)
        self.point_extractor = point_extractor

    def run(self, image: np.ndarray) -> np.ndarray:
        """The density map of one image.

        Args:
            image (np.ndarray): (3, H, W) BGR, any numeric type, 0 to 255.

        Returns:
            np.ndarray: (H, W) float32, people per pixel.
        """
        batch = np.ascontiguousarray(image, dtype=np.float32)[None]
        return self.session.run(None, {INPUT_NAME: batch})[0][0, 0]

    def locate(self, sample: CrowdDataSample) -> torch.Tensor:
        """Head points of a predicted sample (see :func:`locate_points`)."""
        return locate_points(self.point_extractor, sample)

    def test_step(self, data: dict) -> List[CrowdDataSample]:
        """Predict a batch packed by the inference pipeline.

        Args:
            data (dict): ``inputs`` (list of (3, H, W) uint8 tensors) and
                ``data_samples``.

        Returns:
            list[CrowdDataSample]: With ``pred_density``, ``pred_count``
            (inside ``roi`` where the sample has one) and ``pred_points``
            (with a point extractor), as a counter's predictions.
        """
        results = []
        for inputs, sample in zip(data['inputs'], data['data_samples']):
            density = torch.from_numpy(self.run(inputs.numpy()))[None]
            h, w = sample.metainfo.get('img_shape', density.shape[-2:])[:2]
            density = density[:, :h, :w]
            sample.pred_density = density
            if 'roi' in sample:
                density = density * (torch.as_tensor(sample.roi.data) > 0)
            sample.pred_count = float(density.sum())
            if self.point_extractor is not None:
                sample.pred_points = self.locate(sample)
            results.append(sample)
        return results

    def __repr__(self):
        return f'{type(self).__name__}({self.path!r})'
