"""Counting with a trained model: build it, run it on images, tile by tile
on large ones, with the optional speed-ups of :mod:`.fast_paths`."""
from .count import CountResult, count
from .fast_paths import (apply_fast_paths, autocast_context,
                         keep_float32_outputs)
from .inference import (build_inference_pipeline, inference_model, init_model,
                        load_image, prepare_inputs)
from .tiled import tiled_inference

__all__ = [
    'count', 'CountResult', 'init_model', 'inference_model',
    'tiled_inference', 'load_image',
    'build_inference_pipeline', 'prepare_inputs', 'apply_fast_paths',
    'autocast_context', 'keep_float32_outputs'
]
