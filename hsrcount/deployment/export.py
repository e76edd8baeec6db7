"""Export a crowd counter to ONNX: image in, density map out."""
import json
import os.path as osp
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Names of the exported graph's input and output.
INPUT_NAME, OUTPUT_NAME = 'image', 'density'
#: Keys of the metadata stored in the ONNX file.
META_CONFIG, META_INFO = 'hsrcount_config', 'hsrcount_info'


class DensityExportWrapper(nn.Module):
    """A counter as one function: BGR image -> density, people per pixel.

    Everything the data preprocessor and the head do at test time, so that
    a runtime needs no hsrcount: channel flip and normalisation, zero
    padding to a multiple of ``pad_size_divisor`` (after normalisation, as
    :class:`CrowdDataPreprocessor` pads), the network, the head's
    ``density_scale`` undone, and the padding cropped off.

    Args:
        model (CrowdCounter): A built, loaded counter (eval mode).
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        pre = model.data_preprocessor
        self.register_buffer('mean', pre.mean.clone().view(1, 3, 1, 1))
        self.register_buffer('std', pre.std.clone().view(1, 3, 1, 1))
        self.bgr_to_rgb = pre.bgr_to_rgb
        self.divisor = pre.pad_size_divisor
        self.pad_value = float(pre.pad_value)
        self.density_scale = float(model.head.density_scale)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) float BGR in [0, 255] -> (N, 1, H, W) density."""
        h, w = image.shape[-2:]
        x = image.flip(1) if self.bgr_to_rgb else image
        x = (x - self.mean) / self.std
        pad_h = (self.divisor - h % self.divisor) % self.divisor
        pad_w = (self.divisor - w % self.divisor) % self.divisor
        x = F.pad(x, (0, pad_w, 0, pad_h), value=self.pad_value)
        density = self.model(x, mode='tensor') / self.density_scale
        return density[..., :h, :w]


def export_onnx(model: nn.Module,
                path: str,
                opset: int = 17,
                dynamo: bool = False,
                sample_shape=(256, 320),
                config_text: Optional[str] = None) -> str:
    """Write ``model`` as an ONNX graph with dynamic batch, height, width.

    Args:
        model (CrowdCounter): A built, loaded counter.
        path (str): The ``.onnx`` file to write.
        opset (int): ONNX opset. Default: 17.
        dynamo (bool): Use torch's dynamo-based exporter instead of the
            TorchScript one. Default: False.
        sample_shape (tuple[int, int]): (H, W) of the example input the
            graph is traced with. Default: (256, 320).
        config_text (str, optional): The model's config, stored in the
            file's metadata so the runtime side can rebuild its pipeline.

    Returns:
        str: ``path``.
    """
    import onnx

    wrapper = DensityExportWrapper(model.cpu().eval()).eval()
    sample = torch.rand(1, 3, *sample_shape) * 255
    dims = {0: 'batch', 2: 'height', 3: 'width'}
    kwargs = dict(input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                  opset_version=opset)
    if dynamo:
        batch, height, width = (torch.export.Dim(n) for n in
                                ('batch', 'height', 'width'))
        kwargs['dynamic_shapes'] = {
            'image': {0: batch, 2: height, 3: width}}
    else:
        kwargs['dynamic_axes'] = {INPUT_NAME: dims, OUTPUT_NAME: dims}
    with torch.no_grad():
        torch.onnx.export(wrapper, (sample, ), path, dynamo=dynamo,
                          **kwargs)
    graph = onnx.load(path)
    info = dict(pad_size_divisor=wrapper.divisor,
                input='(N, 3, H, W) float32 BGR in [0, 255]',
                output='(N, 1, H, W) float32 people per pixel')
    meta = {META_INFO: json.dumps(info)}
    if config_text is not None:
        meta[META_CONFIG] = config_text
    for key, value in meta.items():
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, path)
    onnx.checker.check_model(path)
    return osp.abspath(path)
