"""Run a trained counter on test-set images for the figure tools."""
import os.path as osp

import numpy as np
import torch

from hsrcount.apis import init_model
from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules


def build_test_dataset(cfg):
    """Build the dataset of ``cfg.test_dataloader`` (its test pipeline).

    Args:
        cfg (Config): A loaded config.

    Returns:
        BaseDataset: Items are ``dict(inputs, data_samples)`` as packed by
        ``PackCrowdInputs``.
    """
    register_all_modules()
    loader = cfg.get('test_dataloader')
    if not loader or 'dataset' not in loader:
        raise KeyError(f'{cfg.filename or "config"}: no '
                       f'test_dataloader.dataset to take images from')
    return DATASETS.build(loader['dataset'])


def load_model_and_dataset(config, checkpoint, device='cpu'):
    """The model from ``checkpoint`` and the config's test dataset.

    Args:
        config (str | Config): Config file or loaded config.
        checkpoint (str): Checkpoint of that config's model.
        device (str): Where the model runs. Defaults to ``'cpu'``.

    Returns:
        tuple: ``(model, dataset)``.
    """
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'{checkpoint}: no such checkpoint')
    model = init_model(config, checkpoint, device=device, fast_paths=None)
    return model, build_test_dataset(model.cfg)


def find_image(dataset, path):
    """The index of the dataset item whose image is ``path``, or None.

    Args:
        dataset (BaseDataset): A crowd dataset.
        path (str): An image file.

    Returns:
        int | None: Index of the first item with the same real path.
    """
    target = osp.realpath(path)
    for i in range(len(dataset)):
        if osp.realpath(dataset.get_data_info(i)['img_path']) == target:
            return i
    return None


def dataset_item(dataset, index):
    """Item ``index`` of the dataset: ``(inputs, data_sample)``.

    Args:
        dataset (BaseDataset): A crowd dataset with a packing pipeline.
        index (int): Position in the dataset.

    Returns:
        tuple: ``inputs`` ((3, H, W) uint8 BGR tensor) and the
        :obj:`CrowdDataSample` with its ground truth.
    """
    if not 0 <= index < len(dataset):
        raise IndexError(f'image index {index} is out of range: the test '
                         f'dataset has {len(dataset)} images')
    item = dataset[index]
    return item['inputs'], item['data_samples']


def to_rgb(inputs):
    """``(3, H, W)`` uint8 BGR tensor -> ``(H, W, 3)`` uint8 RGB array."""
    return np.ascontiguousarray(inputs.cpu().numpy().transpose(1, 2, 0)[...,
                                                                        ::-1])


@torch.no_grad()
def scale_outputs(model, inputs, data_sample):
    """D0 and the scale outputs D1..DK of a counter, in people per pixel.

    One step of the model (its data preprocessor, then
    ``predict(..., with_scales=True)``); the head crops the maps to the
    sample's ``img_shape`` and undoes its density scale.

    Args:
        model (CrowdCounter): A counter with a multi-scale head.
        inputs (Tensor): (3, H, W) uint8 BGR.
        data_sample (CrowdDataSample): Its metainfo ``img_shape`` says where
            to crop (default: (H, W)).

    Returns:
        tuple: ``d0`` ((H, W) array) and ``scales`` (list of (H, W) arrays).
    """
    data = model.data_preprocessor(
        dict(inputs=[inputs], data_samples=[data_sample.clone()]), False)
    result = model.predict(**data, with_scales=True)[0]
    scales = result.pred_scales.data.cpu().numpy()
    if len(scales) == 0:
        raise TypeError(f'{type(model.head).__name__} returns no scale '
                        f'outputs (D0, [D1..DK]); a scale pyramid needs a '
                        f'head like ScaleRecalibrationHead')
    return result.pred_density.data[0].cpu().numpy(), list(scales)
