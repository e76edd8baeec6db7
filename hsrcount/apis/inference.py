"""Count people in images with a trained model."""
import copy
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from hsrcount.registry import MODELS, TRANSFORMS
from hsrcount.structures import CrowdDataSample
from .config import check_cfg_options, load_config
from .registration import register_all_modules


def init_model(config, checkpoint=None, device='cpu', cfg_options=None):
    """Build a crowd counter from a config and load its weights.

    Args:
        config (str | Config): Config file or loaded config.
        checkpoint (str, optional): Checkpoint to load, strictly. Loaded
            with hsrcount's safe loader: a checkpoint that would run code is
            refused. Without one the weights are PyTorch's defaults:
            ``init_weights`` is not called, so nothing (such as ImageNet
            weights named by a ``Pretrained`` init_cfg) is downloaded.
        device (str): Where the model runs, e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options (dict, optional): Overrides applied to (a copy of) the
            config, checked as ``--cfg-options`` are.

    Returns:
        nn.Module: The model in eval mode with ``model.cfg`` set.
    """
    register_all_modules()
    if isinstance(config, str):
        config = load_config(config, cfg_options)
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
        if cfg_options:
            check_cfg_options(config, cfg_options)
            config.merge_from_dict(cfg_options)
    else:
        raise TypeError(f'config must be a path or a Config, got '
                        f'{type(config).__name__}')
    model = MODELS.build(config.model)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    model.cfg = config
    return model.to(device).eval()


def load_image(path):
    """Read an image file as (H, W, 3) uint8 BGR, whatever its mode.

    Uses the dataset pipeline's loader, so grayscale, RGBA and 16-bit files
    are handled the same way as in training, and a broken file raises an
    error that names it.
    """
    loader = TRANSFORMS.build(dict(type='LoadCrowdImageFromFile'))
    return loader(dict(img_path=path))['img']


def image_to_sample(img, img_path):
    """Pack an (H, W, 3) uint8 BGR array as model input.

    Returns:
        tuple[Tensor, CrowdDataSample]: (3, H, W) uint8 input and a sample
        with ``img_path``, ``ori_shape``, ``img_shape`` and ``scale_factor``.

    Raises:
        ValueError: If the array is not (H, W, 3) uint8, naming the image.
    """
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f'{img_path or "image"}: expected an (H, W, 3) uint8 '
                         f'BGR array, got {img.shape} {img.dtype}')
    h, w = img.shape[:2]
    inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
    sample = CrowdDataSample(
        metainfo=dict(
            img_path=img_path,
            ori_shape=(h, w),
            img_shape=(h, w),
            scale_factor=(1.0, 1.0)))
    return inputs, sample


@torch.no_grad()
def inference_model(model, imgs):
    """Predict density maps and counts.

    Args:
        model (nn.Module): A model from :func:`init_model`.
        imgs (str | np.ndarray | list): Image file(s) or (H, W, 3) uint8 BGR
            array(s).

    Returns:
        CrowdDataSample | list[CrowdDataSample]: With ``pred_density``
        (PixelData (1, H, W), people per pixel) and ``pred_count`` (float);
        a list when ``imgs`` is a list.
    """
    single = not isinstance(imgs, (list, tuple))
    results = []
    for img in [imgs] if single else imgs:
        img_path = img if isinstance(img, str) else None
        if img_path is not None:
            if not osp.isfile(img_path):
                raise FileNotFoundError(f'{img_path}: no such image file')
            img = load_image(img_path)
        inputs, sample = image_to_sample(img, img_path)
        results.extend(
            model.test_step(dict(inputs=[inputs], data_samples=[sample])))
    return results[0] if single else results
