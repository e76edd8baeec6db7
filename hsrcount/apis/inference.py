"""Count people in images with a trained model."""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.runner.checkpoint import _load_checkpoint

from hsrcount.engine.checkpoint import load_checkpoint_safely
from hsrcount.engine.model_loading import load_weights
from hsrcount.registry import MODELS, TRANSFORMS
from hsrcount.structures import CrowdDataSample
from hsrcount.utils import check_cfg_options, load_config, register_all_modules
from .fast_paths import apply_fast_paths, default_fast_paths

#: Test-pipeline steps that read or render ground truth; inference has none.
GT_TRANSFORMS = ('LoadCrowdAnnotations', 'GenerateDensity')
FILE_LOADER = 'LoadCrowdImageFromFile'
ARRAY_LOADER = 'LoadCrowdImageFromNDArray'

ImageInput = Union[str, np.ndarray]


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None,
               fast_paths: Union[str, dict, None] = 'auto',
               sha256: Optional[str] = None) -> nn.Module:
    """Build a crowd counter from a config and load its weights.

    Calls :func:`hsrcount.utils.register_all_modules` first, which also makes
    checkpoint loading safe.

    Args:
        config (str | Config): Config file or loaded config.
        checkpoint (str, optional): Checkpoint to load, strictly: a
            ``.pth`` or a weights-only ``.safetensors`` (decoded without
            pickle; ``tools/convert_checkpoint.py`` writes them). Loaded
            with hsrcount's safe loader: a checkpoint that would run code is
            refused, and so are weights that do not fit the model, are not
            floating point or are not finite
            (:func:`hsrcount.engine.load_weights`). Without one the weights
            are PyTorch's defaults: ``init_weights`` is not called, so
            nothing (such as ImageNet weights named by a ``Pretrained``
            init_cfg) is downloaded.
        device (str): Where the model runs, e.g. ``'cpu'`` or ``'cuda:0'``.
        cfg_options (dict, optional): Overrides applied to (a copy of) the
            config, checked as ``--cfg-options`` are.
        fast_paths (str | dict | None): Inference speed-ups
            (:func:`hsrcount.apis.fast_paths.apply_fast_paths`): ``'auto'``
            for the device's defaults (on the CPU channels-last, and bf16
            autocast where the CPU has native bf16;
            :func:`~hsrcount.apis.fast_paths.default_fast_paths`), a dict
            of ``apply_fast_paths`` arguments, or None for plain float32.
            Default: 'auto'.
        sha256 (str, optional): The SHA-256 the (local) checkpoint file
            must have, e.g. from docs/model_zoo.md; a mismatch raises
            :class:`hsrcount.engine.CorruptCheckpointError` naming the file.
            A ``<checkpoint>.sha256`` beside the file is checked in any
            case.

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
        if sha256 is not None:
            if not osp.isfile(osp.expanduser(checkpoint)):
                raise FileNotFoundError(
                    f'{checkpoint}: a checkpoint checked against a SHA-256 '
                    'must be a local file (download it first)')
            loaded = load_checkpoint_safely(checkpoint, 'cpu', sha256=sha256)
        else:
            loaded = _load_checkpoint(checkpoint, map_location='cpu')
        load_weights(model, loaded, checkpoint, strict=True)
    elif sha256 is not None:
        raise ValueError('init_model: sha256 given without a checkpoint')
    model.cfg = config
    model = model.to(device).eval()
    if fast_paths == 'auto':
        fast_paths = default_fast_paths(device)
    elif fast_paths is not None and not isinstance(fast_paths, dict):
        raise TypeError(f"init_model: fast_paths must be 'auto', a dict or "
                        f"None, got {fast_paths!r}")
    if fast_paths:
        apply_fast_paths(model, **fast_paths)
    return model


def load_image(path: str) -> np.ndarray:
    """Read an image file as (H, W, 3) uint8 BGR, whatever its mode.

    Uses the dataset pipeline's loader, so grayscale, RGBA and 16-bit files
    are handled the same way as in training, and a broken file raises an
    error that names it.
    """
    loader = TRANSFORMS.build(dict(type=FILE_LOADER))
    return loader(dict(img_path=path))['img']


def _config_test_pipeline(cfg: Config) -> list:
    """``cfg.test_pipeline``, or the pipeline of the test dataset."""
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        dataset = cfg.get('test_dataloader', {}).get('dataset', {})
        while 'pipeline' not in dataset and isinstance(
                dataset.get('dataset'), dict):
            dataset = dataset['dataset']  # unwrap dataset wrappers
        pipeline = dataset.get('pipeline')
    if not pipeline:
        raise KeyError(f'{cfg.filename or "config"}: neither test_pipeline '
                       f'nor test_dataloader.dataset.pipeline to run '
                       f'inference with')
    return [copy.deepcopy(dict(t)) for t in pipeline]


def build_inference_pipeline(cfg: Optional[Config],
                             from_array: bool = False) -> Compose:
    """The config's test pipeline without its ground-truth steps.

    As mmseg's and mmpretrain's inference APIs do, a user's own loading or
    packing transforms are honoured; the steps that need annotations
    (:data:`GT_TRANSFORMS`) are dropped. For decoded arrays the file loader
    becomes :class:`LoadCrowdImageFromNDArray`. A model built without a
    config (``cfg`` None) gets the plain pipeline: load, then
    ``PackCrowdInputs``.

    Args:
        cfg (Config, optional): The model's config (``model.cfg``).
        from_array (bool): The inputs are (H, W, 3) uint8 BGR arrays.

    Returns:
        Compose: Takes ``dict(img_path=...)`` (or ``dict(img=...)``) and
        returns ``dict(inputs, data_samples)``.
    """
    if cfg is None:
        pipeline = [dict(type=FILE_LOADER), dict(type='PackCrowdInputs')]
    else:
        pipeline = [t for t in _config_test_pipeline(cfg)
                    if t.get('type') not in GT_TRANSFORMS]
    if from_array:
        if pipeline[0].get('type') != FILE_LOADER:
            raise ValueError(
                f'inference on arrays replaces the test pipeline\'s first '
                f'step, {FILE_LOADER}, but it is {pipeline[0].get("type")}; '
                f'pass image files instead')
        pipeline[0] = dict(type=ARRAY_LOADER)
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def _pipeline_input(img: ImageInput, img_path: Optional[str]) -> dict:
    if isinstance(img, str):
        if not osp.isfile(img):
            raise FileNotFoundError(f'{img}: no such image file')
        return dict(img_path=img)
    results = dict(img=img)
    if img_path is not None:
        results['img_path'] = img_path
    return results


def prepare_inputs(model: nn.Module, imgs: Sequence[ImageInput],
                   img_path: Optional[str] = None) -> dict:
    """Run the model's inference pipeline on images, ready for a test step.

    Args:
        model (nn.Module): A model from :func:`init_model`; its ``cfg``
            gives the pipeline (see :func:`build_inference_pipeline`).
        imgs (Sequence[str | np.ndarray]): Image files, or (H, W, 3) uint8
            BGR arrays (not both in one call).
        img_path (str, optional): Recorded as the ``img_path`` of arrays.

    Returns:
        dict: ``inputs`` (list of (3, H, W) uint8 tensors) and
        ``data_samples`` (list of :obj:`CrowdDataSample`).
    """
    kinds = {isinstance(img, str) for img in imgs}
    if len(kinds) > 1:
        raise TypeError('inference: give image files or arrays, not both')
    pipeline = build_inference_pipeline(getattr(model, 'cfg', None),
                                        from_array=kinds == {False})
    inputs, samples = [], []
    for img in imgs:
        packed = pipeline(_pipeline_input(img, img_path))
        inputs.append(packed['inputs'])
        samples.append(packed['data_samples'])
    return dict(inputs=inputs, data_samples=samples)


@torch.no_grad()
def inference_model(model: nn.Module, imgs: Union[ImageInput,
                                                  Sequence[ImageInput]]
                    ) -> Union[CrowdDataSample, List[CrowdDataSample]]:
    """Predict density maps and counts.

    Each image goes through the config's test pipeline (without its
    ground-truth steps, see :func:`build_inference_pipeline`), then the
    model's ``test_step``.

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
        results.extend(model.test_step(prepare_inputs(model, [img])))
    return results[0] if single else results
