"""Running a trained counter outside PyTorch: ONNX export and an
onnxruntime counter (needs ``pip install hsrcount[deploy]``)."""
from .export import DensityExportWrapper, export_onnx
from .onnx_counter import OnnxCounter

__all__ = ['DensityExportWrapper', 'export_onnx', 'OnnxCounter']
