"""Count people in images too large to run through the model at once.

The image is cut into overlapping tiles on a grid, the model predicts each
tile's density map, and the maps are blended into one full-size map on the
CPU. Only one batch of tiles is on the device at a time, so the device memory
needed is set by ``tile_size``, not by the image.

Blending. Along each axis every tile gets a 1-D window that is 0 within
``overlap / 4`` of an edge it shares with another tile (where padding and the
cut receptive field spoil its prediction), rises linearly to 1 over the next
``overlap / 2`` and is 1 in its middle; edges on the image border get no
ramp. The windows are divided by their sum over the tiles, so at every pixel
the tiles' weights add up to one and the stitched map keeps the count. A
tile's 2-D weight is the product of its row and column windows (the tiles
form a grid, so the normalisation stays separable: no full-size weight map).

Tile origins are multiples of the model's stride (the data preprocessor's
``pad_size_divisor``), so every tile sees the same pooling grid as the whole
image would.
"""
import math
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.structures import PixelData

from hsrcount.structures import CrowdDataSample
from .inference import prepare_inputs


def tile_starts(length: int, tile_size: int, overlap: int,
                align: int) -> List[int]:
    """Origins of the tiles along one axis.

    Consecutive tiles overlap by at least ``overlap``; origins are multiples
    of ``align``; the last tile ends at ``length``.

    Args:
        length (int): Image size along the axis.
        tile_size (int): Tile size, a multiple of ``align``.
        overlap (int): Least overlap of neighbouring tiles.
        align (int): Origins are multiples of it.

    Returns:
        list[int]: Increasing origins; tile ``i`` covers
        ``[starts[i], min(starts[i] + tile_size, length))``.
    """
    step = (tile_size - overlap) // align * align
    last = math.ceil(max(0, length - tile_size) / align) * align
    starts = [0]
    while starts[-1] + tile_size < length:
        starts.append(min(starts[-1] + step, last))
    return starts


def blend_windows(starts: Sequence[int], ends: Sequence[int], length: int,
                  overlap: int) -> List[np.ndarray]:
    """Per-tile 1-D blending weights that sum to one at every position.

    Args:
        starts (Sequence[int]): Tile origins along the axis.
        ends (Sequence[int]): Tile ends (exclusive).
        length (int): Image size along the axis.
        overlap (int): The nominal overlap; sets the ramps (see the module
            docstring).

    Returns:
        list[np.ndarray]: One float32 array of length ``ends[i] -
        starts[i]`` per tile.
    """
    margin, ramp = overlap / 4, overlap / 2
    raw = []
    for s, e in zip(starts, ends):
        x = np.arange(s, e, dtype=np.float64) + 0.5  # pixel centres
        w = np.ones_like(x)
        if ramp > 0:
            if s > 0:
                w = np.minimum(w, np.clip((x - s - margin) / ramp, 0, 1))
            if e < length:
                w = np.minimum(w, np.clip((e - x - margin) / ramp, 0, 1))
        raw.append(w)
    total = np.zeros(length)
    for s, e, w in zip(starts, ends, raw):
        total[s:e] += w
    if (total <= 0).any():
        raise RuntimeError(f'tiled inference: tiles {list(zip(starts, ends))}'
                           f' leave positions without weight')
    return [(w / total[s:e]).astype(np.float32)
            for s, e, w in zip(starts, ends, raw)]


def _check_args(img, tile_size, overlap, batch_size, align):
    if not isinstance(img, np.ndarray) or img.ndim != 3 or \
            img.shape[2] != 3 or img.dtype != np.uint8:
        desc = f'{img.shape} {img.dtype}' if isinstance(img, np.ndarray) \
            else type(img).__name__
        raise ValueError(f'tiled_inference: expected an (H, W, 3) uint8 BGR '
                         f'array, got {desc}')
    if tile_size < align or tile_size % align:
        raise ValueError(f'tiled_inference: tile_size must be a positive '
                         f'multiple of the model stride {align}, got '
                         f'{tile_size}')
    if overlap < 0 or tile_size - overlap < align:
        raise ValueError(f'tiled_inference: overlap must be in [0, '
                         f'{tile_size - align}] for tile_size {tile_size}, '
                         f'got {overlap}')
    if batch_size < 1:
        raise ValueError(f'tiled_inference: batch_size must be >= 1, got '
                         f'{batch_size}')


@torch.no_grad()
def tiled_inference(model: nn.Module,
                    img: np.ndarray,
                    tile_size: int = 1024,
                    overlap: int = 128,
                    batch_size: int = 1,
                    align: Optional[int] = None,
                    img_path: Optional[str] = None) -> CrowdDataSample:
    """Predict the density map of a large image tile by tile.

    Args:
        model (nn.Module): A crowd counter from
            :func:`hsrcount.apis.init_model` (eval mode).
        img (np.ndarray): (H, W, 3) uint8 BGR image.
        tile_size (int): Side of the square tiles, a multiple of ``align``.
            Tiles at the bottom and right may be smaller. Default: 1024.
        overlap (int): Least overlap of neighbouring tiles, in pixels.
            Choose at least 4 times the distance from a tile edge at which
            predictions are spoilt. Default: 128.
        batch_size (int): Tiles per forward pass. Default: 1.
        align (int, optional): Tile origins are multiples of it. Default:
            the model's ``data_preprocessor.pad_size_divisor`` (16).
        img_path (str, optional): Recorded in the result's metainfo.

    Returns:
        CrowdDataSample: ``pred_density`` (PixelData (1, H, W) float32 on
        the CPU, people per pixel), ``pred_count`` (float, its sum),
        ``pred_points`` ((N, 2), x then y, found once in the stitched map,
        when the model has a ``point_extractor``) and metainfo
        ``img_shape``, ``ori_shape``, ``tile_size``, ``tile_overlap`` and
        ``num_tiles``.
    """
    if align is None:
        align = getattr(model.data_preprocessor, 'pad_size_divisor', 16)
    _check_args(img, tile_size, overlap, batch_size, align)
    h, w = img.shape[:2]
    ys = tile_starts(h, tile_size, overlap, align)
    xs = tile_starts(w, tile_size, overlap, align)
    y_ends = [min(y + tile_size, h) for y in ys]
    x_ends = [min(x + tile_size, w) for x in xs]
    wys = blend_windows(ys, y_ends, h, overlap)
    wxs = blend_windows(xs, x_ends, w, overlap)
    tiles = [(i, j) for i in range(len(ys)) for j in range(len(xs))]

    density = np.zeros((h, w), dtype=np.float32)
    for first in range(0, len(tiles), batch_size):
        batch = tiles[first:first + batch_size]
        crops = [img[ys[i]:y_ends[i], xs[j]:x_ends[j]] for i, j in batch]
        data = prepare_inputs(model, crops, img_path)
        results = model.test_step(data)
        for (i, j), crop, result in zip(batch, crops, results):
            d = result.pred_density.data[0].float().cpu().numpy()
            if d.shape != crop.shape[:2]:
                raise ValueError(
                    f'tiled inference: the test pipeline turned a '
                    f'{crop.shape[1]}x{crop.shape[0]} tile into a '
                    f'{d.shape[1]}x{d.shape[0]} map; tiles can only be '
                    f'stitched with a pipeline that keeps the image size')
            density[ys[i]:y_ends[i], xs[j]:x_ends[j]] += \
                d * wys[i][:, None] * wxs[j][None, :]

    result = CrowdDataSample(
        metainfo=dict(
            img_path=img_path,
            ori_shape=(h, w),
            img_shape=(h, w),
            tile_size=tile_size,
            tile_overlap=overlap,
            num_tiles=len(tiles)))
    result.pred_density = PixelData(data=torch.from_numpy(density)[None])
    result.pred_count = float(density.sum(dtype=np.float64))
    if getattr(model, 'point_extractor', None) is not None:
        # Once, on the stitched map: no head is found twice at a seam.
        result.pred_points = model.locate(result)
    return result
