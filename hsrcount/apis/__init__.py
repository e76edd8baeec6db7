from .config import load_config
from .inference import inference_model, init_model, load_image
from .registration import register_all_modules

__all__ = [
    'init_model', 'inference_model', 'load_config', 'load_image',
    'register_all_modules'
]
