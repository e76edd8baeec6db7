from .config import load_config
from .fast_paths import (apply_fast_paths, autocast_context,
                         keep_float32_outputs)
from .inference import (image_to_sample, inference_model, init_model,
                        load_image)
from .registration import register_all_modules
from .tiled import tiled_inference

__all__ = [
    'init_model', 'inference_model', 'tiled_inference', 'load_config',
    'load_image', 'image_to_sample',
    'apply_fast_paths', 'autocast_context', 'keep_float32_outputs',
    'register_all_modules'
]
