"""Render images and density maps side by side into an RGB array.

Pure functions on numpy arrays (no Runner, no files), shared by the
visualizer, ``--show-dir`` and the analysis tools that redraw the paper's
figures (Figure 3: image / GT / prediction per dataset; Figure 5: GT and
predicted maps of a density pyramid, one row each).
"""
import math
from typing import Optional, Sequence, Tuple

import numpy as np
# A Figure drawn on its own Agg canvas renders to an array without pyplot,
# so the user's interactive backend is left as it is.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

#: Panel kinds. ``'image'``: (H, W, 3) uint8 RGB or (H, W) grey, drawn as
#: is. ``'density'``: (H, W) people per pixel, colormap 'jet', one colour
#: scale shared by all density panels of the figure so GT and prediction
#: compare. ``'heatmap'``: (H, W), colormap 'jet' scaled to its own range.
PANEL_KINDS = ('image', 'density', 'heatmap')

DEFAULT_TITLES = ('Image', 'GT', 'Prediction')


def panel_titles(gt_count: Optional[float] = None,
                 pred_count: Optional[float] = None,
                 titles: Sequence[str] = DEFAULT_TITLES,
                 has_gt_density: bool = True,
                 has_pred_density: bool = True) -> list:
    """The titles of the image | GT | prediction panels, counts included.

    A count is written after its panel's title as ``'GT: 12.0'``. Where its
    density panel is absent the count goes into the image panel's title
    instead, so a known count is never dropped.

    Args:
        gt_count (float, optional): The GT count.
        pred_count (float, optional): The predicted count.
        titles (Sequence[str]): Base titles of the image, GT and prediction
            panels. Defaults to ``('Image', 'GT', 'Prediction')``.
        has_gt_density (bool): Whether the GT density panel is drawn.
        has_pred_density (bool): Whether the predicted density panel is
            drawn.

    Returns:
        list[str]: One title per drawn panel, in drawing order.
    """
    if len(titles) != 3:
        raise ValueError(f'titles must name 3 panels, got {titles!r}')
    image_title, gt_title, pred_title = titles
    image_extras, density_titles = [], []
    for has_density, title, count in ((has_gt_density, gt_title, gt_count),
                                      (has_pred_density, pred_title,
                                       pred_count)):
        text = title if count is None else f'{title}: {float(count):.1f}'
        if has_density:
            density_titles.append(text)
        elif count is not None:
            image_extras.append(text)
    return [', '.join([image_title] + image_extras)] + density_titles


def draw_panels(panels: Sequence[Tuple[np.ndarray, str, str]],
                ncols: Optional[int] = None,
                panel_width: int = 320,
                panel_height: Optional[int] = None,
                title_height: int = 28,
                density_vmax: Optional[float] = None,
                dpi: int = 100) -> np.ndarray:
    """Draw titled panels in a grid and return the picture.

    Every cell is ``panel_width x panel_height`` pixels with a title band of
    ``title_height`` above it; an array keeps its aspect ratio inside its
    cell.

    Args:
        panels (Sequence[tuple]): ``(array, title, kind)`` per panel, row by
            row; ``kind`` is one of :data:`PANEL_KINDS`.
        ncols (int, optional): Panels per row. Defaults to all in one row.
        panel_width (int): Cell width in pixels. Defaults to 320.
        panel_height (int, optional): Cell height in pixels. Defaults to the
            first panel's aspect ratio applied to ``panel_width``.
        title_height (int): Height of each title band in pixels.
            Defaults to 28.
        density_vmax (float, optional): Top of the shared density colour
            scale (the bottom is 0). Defaults to the largest value over all
            density panels.
        dpi (int): Resolution of the text. Defaults to 100.

    Returns:
        np.ndarray: ``(rows * (panel_height + title_height), ncols *
        panel_width, 3)`` uint8 RGB.
    """
    if not panels:
        raise ValueError('draw_panels needs at least one panel')
    arrays = []
    for i, (array, title, kind) in enumerate(panels):
        if kind not in PANEL_KINDS:
            raise ValueError(f'panel {i} ({title!r}): kind must be one of '
                             f'{PANEL_KINDS}, got {kind!r}')
        array = np.asarray(array)
        ok = array.ndim == 2 or (kind == 'image' and array.ndim == 3
                                 and array.shape[2] == 3)
        if not ok or 0 in array.shape:
            raise ValueError(f'panel {i} ({title!r}, {kind}): expected '
                             f'{"(H, W, 3) or " if kind == "image" else ""}'
                             f'(H, W), got shape {array.shape}')
        arrays.append(array)

    ncols = len(panels) if ncols is None else ncols
    nrows = math.ceil(len(panels) / ncols)
    if panel_height is None:
        h0, w0 = arrays[0].shape[:2]
        panel_height = max(1, round(panel_width * h0 / w0))
    if density_vmax is None:
        maxima = [float(a.max()) for a, (_, _, k) in zip(arrays, panels)
                  if k == 'density']
        density_vmax = max(maxima, default=1.0)
    # A blank density map still needs a non-empty colour range.
    density_vmax = max(density_vmax, 1e-12)

    cell_h = panel_height + title_height
    width, height = ncols * panel_width, nrows * cell_h
    # Agg truncates width * dpi to int: +0.5 keeps e.g. 29 / 100 * 100 = 28.99
    # from losing a pixel.
    fig = Figure(figsize=((width + 0.5) / dpi, (height + 0.5) / dpi),
                 dpi=dpi, facecolor='white')
    canvas = FigureCanvasAgg(fig)
    fontsize = 0.5 * title_height * 72 / dpi
    gap = 2 if panel_width > 8 else 0
    for i, (array, (_, title, kind)) in enumerate(zip(arrays, panels)):
        row, col = divmod(i, ncols)
        left = col * panel_width / width
        bottom = 1 - (row * cell_h + cell_h) / height
        # A gutter of `gap` pixels keeps neighbouring panels apart.
        ax = fig.add_axes([
            left + gap / width, bottom, (panel_width - 2 * gap) / width,
            panel_height / height
        ])
        ax.set_axis_off()
        if kind == 'image':
            ax.imshow(array, cmap='gray' if array.ndim == 2 else None)
        elif kind == 'density':
            ax.imshow(array, cmap='jet', vmin=0, vmax=density_vmax)
        else:
            ax.imshow(array, cmap='jet')
        fig.text(left + 0.5 * panel_width / width,
                 1 - (row * cell_h + 0.5 * title_height) / height,
                 title, ha='center', va='center', fontsize=fontsize)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[:height, :width, :3])


def draw_density_panels(image_rgb: np.ndarray,
                        gt_density: Optional[np.ndarray] = None,
                        pred_density: Optional[np.ndarray] = None,
                        gt_count: Optional[float] = None,
                        pred_count: Optional[float] = None,
                        titles: Sequence[str] = DEFAULT_TITLES,
                        **kwargs) -> np.ndarray:
    """Draw image | GT density | predicted density, counts in the titles.

    GT and prediction share one colour scale. A missing density map drops
    its panel (its count moves to the image's title, see
    :func:`panel_titles`).

    Args:
        image_rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        gt_density (np.ndarray, optional): ``(H', W')`` GT density.
        pred_density (np.ndarray, optional): ``(H', W')`` predicted density.
        gt_count (float, optional): GT count for the title.
        pred_count (float, optional): Predicted count for the title.
        titles (Sequence[str]): Base titles of the three panels.
        **kwargs: Passed to :func:`draw_panels` (``panel_width``, ...).

    Returns:
        np.ndarray: ``(h, w, 3)`` uint8 RGB, one ``panel_width`` wide
        column per drawn panel.
    """
    image_rgb = np.asarray(image_rgb)
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError('image_rgb must have shape (H, W, 3), got '
                         f'{image_rgb.shape}')
    names = panel_titles(gt_count, pred_count, titles,
                         has_gt_density=gt_density is not None,
                         has_pred_density=pred_density is not None)
    maps = [m for m in (gt_density, pred_density) if m is not None]
    panels = [(image_rgb, names[0], 'image')]
    panels += [(m, name, 'density') for m, name in zip(maps, names[1:])]
    return draw_panels(panels, **kwargs)


def draw_data_sample(image_rgb: np.ndarray,
                     data_sample,
                     draw_gt: bool = True,
                     draw_pred: bool = True,
                     **kwargs) -> np.ndarray:
    """:func:`draw_density_panels` of the maps and counts a sample holds.

    Args:
        image_rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        data_sample (CrowdDataSample, optional): Its ``gt_density``,
            ``gt_count``, ``pred_density`` and ``pred_count``, where set,
            are drawn; None draws the image alone.
        draw_gt (bool): Draw the GT density and count. Defaults to True.
        draw_pred (bool): Draw the prediction. Defaults to True.
        **kwargs: Passed to :func:`draw_density_panels`.

    Returns:
        np.ndarray: The drawing, uint8 RGB.
    """
    fields = dict(gt_density=None, gt_count=None, pred_density=None,
                  pred_count=None)
    if data_sample is not None:
        wanted = (['gt_density', 'gt_count'] if draw_gt else []) + (
            ['pred_density', 'pred_count'] if draw_pred else [])
        for key in wanted:
            fields[key] = data_sample.get(key)
        for key in ('gt_density', 'pred_density'):
            if fields[key] is not None:
                fields[key] = fields[key].data.detach().cpu().numpy()[0]
    return draw_density_panels(image_rgb, **fields, **kwargs)
