"""One call for the common case: how many people, where, and the map."""
from dataclasses import dataclass
from typing import Union

import numpy as np
import torch.nn as nn

from .inference import inference_model, load_image
from .tiled import tiled_inference


@dataclass
class CountResult:
    """What :func:`count` returns.

    Attributes:
        count (float): The number of people (the density map's sum).
        density (np.ndarray): (H, W) float32, people per pixel.
        points (np.ndarray): (N, 2) float32 head positions, x then y, in
            pixels of the image; empty when the model has no point
            extractor.
    """

    count: float
    density: np.ndarray
    points: np.ndarray


def count(image: Union[str, np.ndarray], model: nn.Module,
          max_pixels: int = 2048 * 2048, tile_size: int = 1024,
          overlap: int = 128) -> CountResult:
    """Count the people in one image.

    Example:
        >>> from hsrcount.apis import count, init_model
        >>> model = init_model('configs/hsrnet/hsrnet_shtech_b.py', CKPT)
        >>> result = count('crowd.jpg', model)
        >>> result.count, result.points.shape

    Args:
        image (str | np.ndarray): An image file, or an (H, W, 3) uint8 BGR
            array.
        model: A model from :func:`init_model`, or an
            :class:`hsrcount.deployment.OnnxCounter`.
        max_pixels (int): Images with more pixels are counted tile by tile
            (:func:`tiled_inference`). Default: 2048 * 2048.
        tile_size (int): Tile side for large images. Default: 1024.
        overlap (int): Least overlap of neighbouring tiles. Default: 128.

    Returns:
        CountResult: ``count``, ``density`` and ``points``.
    """
    if isinstance(image, str):
        image = load_image(image)
    if image.shape[0] * image.shape[1] > max_pixels:
        result = tiled_inference(model, image, tile_size, overlap)
    else:
        result = inference_model(model, image)
    points = result.get('pred_points')
    points = np.zeros((0, 2), np.float32) if points is None else \
        points.cpu().numpy()
    return CountResult(count=float(result.pred_count),
                       density=result.pred_density.data[0].cpu().numpy(),
                       points=points)
