"""Render images, density maps and head points into one RGB array.

Pure functions on numpy arrays (no Runner, no files), shared by the
visualizer (``--show-dir``), ``browse_dataset``, ``tools/infer.py``'s
overlays and the tools that redraw the paper's figures (Figure 3: image /
GT / prediction per dataset; Figure 5: GT and predicted maps of a density
pyramid, one row each), so every picture reads the same way:

- density maps in colormap 'jet', in people per 10 x 10 pixels
  (:data:`DENSITY_AREA`), with a colour bar that says so;
- one colour scale shared by all density panels of a picture, topped at a
  high percentile of their pixels rather than at their maximum
  (:func:`robust_vmax`), so a single sharp GT peak does not turn every
  other head into background; values above the top are drawn in the top
  colour and the colour bar then ends in an arrow; colours follow the
  square root of the density, so a smooth prediction still shows beside
  the GT's narrow kernels;
- head points as dots on the panel they belong to, named in a legend;
- counts (and the prediction's error) in the titles.
"""
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
import torch
# A Figure drawn on its own Agg canvas renders to an array without pyplot,
# so the user's interactive backend is left as it is.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from mmengine.structures import PixelData

#: Panel kinds. ``'image'``: (H, W, 3) uint8 RGB or (H, W) grey, drawn as
#: is. ``'density'``: (H, W) people per pixel, on the colour scale shared by
#: all density and overlay panels of the picture. ``'overlay'``: the same,
#: blended over the panel's ``background`` image (transparent where the
#: density is 0). ``'heatmap'``: (H, W), colormap 'jet' over its own range
#: (its 1st to 99th percentile with the default ``density_percentile``),
#: without colour bar (maps of unrelated magnitudes side by side).
PANEL_KINDS = ('image', 'density', 'overlay', 'heatmap')

DEFAULT_TITLES = ('Image', 'GT', 'Prediction')

#: Density panels show people per ``DENSITY_AREA`` pixels (a 10 x 10
#: square): per-pixel values of crowd maps (1e-4 to 1e-1) are hard to read.
DENSITY_AREA = 100
DENSITY_LABEL = 'people per 10×10 px'
DENSITY_CMAP = 'jet'

#: The shared colour scale tops out at this percentile of the density
#: panels' pixels (the largest over the panels).
DEFAULT_PERCENTILE = 99.0
#: Colours follow (density / top) ** DEFAULT_GAMMA: a square-root scale, so
#: a prediction spread over several times more pixels than the GT's narrow
#: kernels (a few times lower per pixel) is still drawn in colour.
DEFAULT_GAMMA = 0.5

GT_POINTS_COLOR = 'red'
PRED_POINTS_COLOR = 'yellow'


@dataclass
class Points:
    """Points marked on a panel, e.g. annotated or predicted heads.

    Args:
        xy (array-like): ``(N, 2)`` x then y, in pixels of the panel's
            array, 0-based, pixel ``(r, c)`` covering ``[c, c + 1) x
            [r, r + 1)`` (the dataset convention: a head at the centre of
            pixel (0, 0) is (0.5, 0.5)).
        color (str): Matplotlib colour of the markers. Defaults to 'red'.
        label (str, optional): Legend entry under the picture. Defaults to
            None (no entry).
        marker (str): Matplotlib marker. Defaults to 'o'.
        size (float, optional): Marker diameter in pixels of the picture.
            Defaults to None: chosen from the spacing of the points, between
            2 and 6 pixels.
    """

    xy: np.ndarray
    color: str = GT_POINTS_COLOR
    label: Optional[str] = None
    marker: str = 'o'
    size: Optional[float] = None

    def __post_init__(self):
        xy = np.asarray(self.xy, dtype=np.float64)
        if xy.size == 0:
            xy = xy.reshape(0, 2)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f'Points {self.label or ""}: xy must have shape '
                             f'(N, 2), got {xy.shape}')
        self.xy = xy


@dataclass
class Panel:
    """One titled cell of a picture.

    Args:
        array (np.ndarray): What the cell shows, as ``kind`` says.
        title (str): Text above the cell. Defaults to ''.
        kind (str): One of :data:`PANEL_KINDS`. Defaults to 'image'.
        points (Sequence[Points]): Point sets drawn on top. Defaults to ().
        background (np.ndarray, optional): ``(H, W, 3)`` uint8 RGB image
            under an ``'overlay'`` panel's density (same H, W).
    """

    array: np.ndarray
    title: str = ''
    kind: str = 'image'
    points: Sequence[Points] = ()
    background: Optional[np.ndarray] = None


PanelLike = Union[Panel, tuple]


def _as_panel(spec: PanelLike, index: int) -> Panel:
    """A :class:`Panel` from a Panel or an ``(array, title, kind[,
    points])`` tuple, checked."""
    panel = spec if isinstance(spec, Panel) else Panel(*spec)
    where = f'panel {index} ({panel.title!r}, {panel.kind})'
    if panel.kind not in PANEL_KINDS:
        raise ValueError(f'panel {index} ({panel.title!r}): kind must be one '
                         f'of {PANEL_KINDS}, got {panel.kind!r}')
    array = np.asarray(panel.array)
    ok = array.ndim == 2 or (panel.kind == 'image' and array.ndim == 3
                             and array.shape[2] == 3)
    if not ok or 0 in array.shape:
        raise ValueError(f'{where}: expected '
                         f'{"(H, W, 3) or " if panel.kind == "image" else ""}'
                         f'(H, W), got shape {array.shape}')
    background = panel.background
    if panel.kind == 'overlay':
        background = np.asarray(background) if background is not None \
            else None
        if background is None or background.shape != array.shape + (3, ):
            got = None if background is None else background.shape
            raise ValueError(f'{where}: needs a background image of shape '
                             f'{array.shape + (3, )}, got {got}')
    points = [p if isinstance(p, Points) else Points(p) for p in panel.points]
    return Panel(array, panel.title, panel.kind, points, background)


def robust_vmax(maps: Sequence[np.ndarray],
                 percentile: float = DEFAULT_PERCENTILE) -> float:
    """Top of a colour scale shared by density maps, in people per pixel.

    The largest of the maps' ``percentile``-th percentiles. A GT map's
    kernels are as narrow as the heads are close, so a far-away head can peak
    a hundred times higher than a near one, while a prediction is smooth: a
    scale set by the maximum draws everything but that peak as background.
    Where a map is mostly zero (few heads) and the percentile is 0, the
    maximum is used.

    Args:
        maps (Sequence[np.ndarray]): ``(H, W)`` maps, people per pixel.
        percentile (float): In [0, 100]; 100 gives the maximum. Defaults to
            99.

    Returns:
        float: A positive value; 0.01 (1 in display units) when every map
        is empty or has no positive value.
    """
    if not 0 <= percentile <= 100:
        raise ValueError(f'percentile must be in [0, 100], got {percentile}')
    maps = [np.asarray(m, dtype=np.float64) for m in maps]
    finite = [m[np.isfinite(m)] for m in maps]
    finite = [m for m in finite if m.size]
    top = max((float(np.percentile(m, percentile)) for m in finite),
              default=0.0)
    if top <= 0:
        top = max((float(m.max()) for m in finite), default=0.0)
    return top if top > 0 else 1.0 / DENSITY_AREA


def panel_titles(gt_count: Optional[float] = None,
                 pred_count: Optional[float] = None,
                 titles: Sequence[str] = DEFAULT_TITLES,
                 has_gt_density: bool = True,
                 has_pred_density: bool = True) -> list:
    """The titles of the image | GT | prediction panels, counts included.

    A count is written after its panel's title as ``'GT: 12.0'``; with both
    counts the prediction's error (prediction minus GT, so ``+`` is an
    over-count) follows it: ``'Prediction: 14.5 (error +2.5)'``. Where its
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
    error = None
    if gt_count is not None and pred_count is not None:
        error = f' (error {float(pred_count) - float(gt_count):+.1f})'
    image_extras, density_titles = [], []
    for has_density, title, count, extra in (
            (has_gt_density, gt_title, gt_count, None),
            (has_pred_density, pred_title, pred_count, error)):
        text = title if count is None else f'{title}: {float(count):.1f}'
        text += extra or ''
        if has_density:
            density_titles.append(text)
        elif count is not None:
            image_extras.append(text)
    return [', '.join([image_title] + image_extras)] + density_titles


def _marker_size(points: Points, array_shape, box_w: float,
                 box_h: float) -> float:
    """Marker diameter in pixels: a third of the mean spacing of the
    points on screen, kept between 2 and 6."""
    if points.size is not None:
        return points.size
    h, w = array_shape[:2]
    scale = min(box_w / w, box_h / h)
    spacing = math.sqrt(h * w / max(len(points.xy), 1)) * scale
    return float(np.clip(spacing / 3, 2.0, 6.0))


def _draw_points(ax, points: Points, array_shape, box_w, box_h, dpi):
    diameter_pt = _marker_size(points, array_shape, box_w, box_h) * 72 / dpi
    # Pixel (r, c) is drawn centred on (c, r): points use pixel corners.
    ax.scatter(points.xy[:, 0] - 0.5, points.xy[:, 1] - 0.5,
               s=diameter_pt**2, c=points.color, marker=points.marker,
               edgecolors='black', linewidths=0.4 * 72 / dpi)


def _fitting_size(canvas, text: str, fontsize: float, max_width: float,
                  dpi: int) -> float:
    """``fontsize`` (points), made smaller if ``text`` would be wider than
    ``max_width`` pixels."""
    if not text or max_width <= 0:
        return fontsize
    width, _, _ = canvas.get_renderer().get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath=False)
    return fontsize if width <= max_width else fontsize * max_width / width


def _heatmap_range(array: np.ndarray, percentile: float) -> tuple:
    """A heatmap's own colour range: its ``100 - percentile``-th to
    ``percentile``-th percentiles, or its minimum to maximum where those
    meet."""
    finite = array[np.isfinite(array)]
    if not finite.size:
        return 0.0, 1.0
    low, high = np.percentile(finite, [100 - percentile, percentile])
    if high <= low:
        low, high = finite.min(), finite.max()
    return float(low), float(high)


def _colorbar_ticks(norm, bar_width: float, text_px: float) -> list:
    """Round values inside the scale (none in the arrow past its top),
    far enough apart on the bar for their labels not to overlap."""
    top = norm.vmax * (1 + 1e-9)
    candidates = [t for t in MaxNLocator(nbins=8).tick_values(0, top)
                  if 0 <= t <= top]
    ticks, last = [], None
    for tick in candidates:
        at = float(norm(tick)) * bar_width
        # DejaVu Sans digits are about 0.64 em wide.
        room = 0.64 * text_px * (len(f'{tick:g}') + 1)
        if last is None or at - last >= room:
            ticks.append(tick)
            last = at
    return ticks


def _legend_handles(panels):
    handles, seen = [], set()
    for panel in panels:
        for points in panel.points:
            if points.label and points.label not in seen:
                seen.add(points.label)
                handles.append(
                    Line2D([], [], linestyle='none', marker=points.marker,
                           markerfacecolor=points.color,
                           markeredgecolor='black', markeredgewidth=0.4,
                           color=points.color, label=points.label))
    return handles


def draw_panels(panels: Sequence[PanelLike],
                ncols: Optional[int] = None,
                panel_width: int = 320,
                panel_height: Optional[int] = None,
                title_height: int = 28,
                density_vmax: Optional[float] = None,
                density_percentile: float = DEFAULT_PERCENTILE,
                density_gamma: float = DEFAULT_GAMMA,
                colorbar: bool = True,
                band_height: int = 40,
                dpi: int = 100) -> np.ndarray:
    """Draw titled panels in a grid and return the picture.

    Every cell is ``panel_width x panel_height`` pixels with a title band of
    ``title_height`` above it; an array keeps its aspect ratio inside its
    cell, 2 pixels in from its sides when there are several panels. Under
    the grid, a band of ``band_height`` pixels holds the colour bar of the
    density scale (under the columns that hold density or overlay panels)
    and the legend of the labelled point sets (under the columns left of
    them). The band is left out when it would be empty.

    Args:
        panels (Sequence[Panel | tuple]): :class:`Panel` objects or
            ``(array, title, kind[, points])`` tuples, row by row.
        ncols (int, optional): Panels per row. Defaults to all in one row.
        panel_width (int): Cell width in pixels. Defaults to 320.
        panel_height (int, optional): Cell height in pixels. Defaults to the
            first panel's aspect ratio applied to ``panel_width``.
        title_height (int): Height of each title band in pixels.
            Defaults to 28.
        density_vmax (float, optional): Top of the shared density colour
            scale in people per pixel (the bottom is 0). Defaults to
            :func:`robust_vmax` of the density and overlay panels.
        density_percentile (float): The percentile that
            :func:`robust_vmax` uses; a heatmap spans its ``100 -
            density_percentile``-th to ``density_percentile``-th
            percentiles. Defaults to 99.
        density_gamma (float): Colours follow ``(density / top) **
            density_gamma``; 1 is a linear scale. Defaults to 0.5.
        colorbar (bool): Draw the colour bar when there is a density or
            overlay panel. Defaults to True.
        band_height (int): Height of the colour bar and legend band in
            pixels. Defaults to 40.
        dpi (int): Resolution of the text. Defaults to 100.

    Returns:
        np.ndarray: ``(rows * (panel_height + title_height) [+ band_height],
        ncols * panel_width, 3)`` uint8 RGB.
    """
    if not panels:
        raise ValueError('draw_panels needs at least one panel')
    panels = [_as_panel(spec, i) for i, spec in enumerate(panels)]

    ncols = len(panels) if ncols is None else ncols
    nrows = math.ceil(len(panels) / ncols)
    if panel_height is None:
        h0, w0 = panels[0].array.shape[:2]
        panel_height = max(1, round(panel_width * h0 / w0))
    scaled = [p.array for p in panels if p.kind in ('density', 'overlay')]
    vmax = (density_vmax if density_vmax is not None else
            robust_vmax(scaled, density_percentile))
    vmax = max(float(vmax), 1e-12)
    clipped = any(float(np.nanmax(m)) > vmax for m in scaled)
    density_cols = sorted({i % ncols for i, p in enumerate(panels)
                           if p.kind in ('density', 'overlay')})
    handles = _legend_handles(panels)
    show_bar = colorbar and bool(scaled)
    legend_cols = density_cols[0] if density_cols else ncols
    show_legend = bool(handles) and legend_cols > 0
    band = band_height if show_bar or show_legend else 0

    cell_h = panel_height + title_height
    width, height = ncols * panel_width, nrows * cell_h + band
    # Agg truncates width * dpi to int: +0.5 keeps e.g. 29 / 100 * 100 = 28.99
    # from losing a pixel.
    fig = Figure(figsize=((width + 0.5) / dpi, (height + 0.5) / dpi),
                 dpi=dpi, facecolor='white')
    canvas = FigureCanvasAgg(fig)
    fontsize = 0.5 * title_height * 72 / dpi
    # A lone panel (an overlay at the image's size) needs no gutter.
    gap = 2 if panel_width > 8 and len(panels) > 1 else 0
    if density_gamma <= 0:
        raise ValueError(f'density_gamma must be > 0, got {density_gamma}')
    # clip: negative values (D0 has no final ReLU) get the bottom colour.
    norm = PowerNorm(density_gamma, vmin=0, vmax=vmax * DENSITY_AREA,
                     clip=True)
    for i, panel in enumerate(panels):
        row, col = divmod(i, ncols)
        left = col * panel_width / width
        bottom = 1 - (row * cell_h + cell_h) / height
        box_w, box_h = panel_width - 2 * gap, panel_height
        # A gutter of `gap` pixels keeps neighbouring panels apart.
        ax = fig.add_axes([
            left + gap / width, bottom, box_w / width, box_h / height
        ])
        ax.set_axis_off()
        array = panel.array
        if panel.kind == 'image':
            ax.imshow(array, cmap='gray' if array.ndim == 2 else None)
        elif panel.kind == 'density':
            ax.imshow(array * DENSITY_AREA, cmap=DENSITY_CMAP, norm=norm)
        elif panel.kind == 'overlay':
            ax.imshow(panel.background)
            level = np.nan_to_num(np.asarray(norm(array * DENSITY_AREA)))
            # Opacity grows with density: empty ground shows the image.
            ax.imshow(array * DENSITY_AREA, cmap=DENSITY_CMAP, norm=norm,
                      alpha=0.75 * level)
        else:
            low, high = _heatmap_range(array, density_percentile)
            ax.imshow(array, cmap=DENSITY_CMAP, vmin=low, vmax=high)
        for points in panel.points:
            _draw_points(ax, points, array.shape, box_w, box_h, dpi)
        h, w = array.shape[:2]
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(h - 0.5, -0.5)
        fig.text(left + 0.5 * panel_width / width,
                 1 - (row * cell_h + 0.5 * title_height) / height,
                 panel.title, ha='center', va='center',
                 fontsize=_fitting_size(canvas, panel.title, fontsize,
                                        panel_width - 4, dpi))

    # Band layout in pixels at band_height=40, scaled with it: 4 above the
    # bar, a 9 pixel bar, then tick labels and the unit, 10 pixels each.
    unit = band / 40
    text_pt = 10 * unit * 72 / dpi
    if show_bar:
        # Under the density columns, inset so the end labels fit.
        x0 = density_cols[0] * panel_width + 0.12 * panel_width
        x1 = (density_cols[-1] + 1) * panel_width - 0.12 * panel_width
        bar_h = max(2, round(9 * unit))
        top = nrows * cell_h + round(4 * unit)
        cax = fig.add_axes([x0 / width, 1 - (top + bar_h) / height,
                            (x1 - x0) / width, bar_h / height])
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=DENSITY_CMAP),
                           cax=cax, orientation='horizontal',
                           extend='max' if clipped else 'neither')
        ticks = _colorbar_ticks(norm, x1 - x0, 10 * unit)
        bar.set_ticks(ticks, labels=[f'{t:g}' for t in ticks])
        bar.ax.tick_params(labelsize=text_pt, length=2 * unit, pad=unit,
                           width=0.5 * unit)
        bar.outline.set_linewidth(0.5 * unit)
        bar.set_label(DENSITY_LABEL, fontsize=text_pt, labelpad=unit)
    if show_legend:
        lax = fig.add_axes([0, 0, legend_cols * panel_width / width,
                            band / height])
        lax.set_axis_off()
        lax.legend(handles=handles, loc='center', frameon=False,
                   fontsize=1.1 * text_pt, ncol=len(handles),
                   handletextpad=0.3, borderaxespad=0)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[:height, :width, :3])


def draw_density_panels(image_rgb: np.ndarray,
                        gt_density: Optional[np.ndarray] = None,
                        pred_density: Optional[np.ndarray] = None,
                        gt_count: Optional[float] = None,
                        pred_count: Optional[float] = None,
                        titles: Sequence[str] = DEFAULT_TITLES,
                        gt_points: Optional[np.ndarray] = None,
                        pred_points: Optional[np.ndarray] = None,
                        **kwargs) -> np.ndarray:
    """Draw image | GT density | predicted density, counts in the titles.

    GT and prediction share one colour scale (see :func:`draw_panels`). A
    missing density map drops its panel (its count moves to the image's
    title, see :func:`panel_titles`). Head points are marked on the image:
    GT heads as red dots, predicted heads as yellow crosses.

    Args:
        image_rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        gt_density (np.ndarray, optional): ``(H', W')`` GT density.
        pred_density (np.ndarray, optional): ``(H', W')`` predicted density.
        gt_count (float, optional): GT count for the title.
        pred_count (float, optional): Predicted count for the title.
        titles (Sequence[str]): Base titles of the three panels.
        gt_points (np.ndarray, optional): ``(N, 2)`` annotated heads, x
            then y in image pixels (see :class:`Points`).
        pred_points (np.ndarray, optional): ``(M, 2)`` predicted heads,
            same convention.
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
    points = []
    if gt_points is not None:
        points.append(Points(gt_points, GT_POINTS_COLOR, 'GT heads'))
    if pred_points is not None:
        points.append(Points(pred_points, PRED_POINTS_COLOR,
                             'predicted heads', marker='X'))
    maps = [m for m in (gt_density, pred_density) if m is not None]
    panels = [Panel(image_rgb, names[0], 'image', points)]
    panels += [Panel(m, name, 'density') for m, name in zip(maps, names[1:])]
    return draw_panels(panels, **kwargs)


def draw_overlay(image_rgb: np.ndarray,
                 density: np.ndarray,
                 count: Optional[float] = None,
                 title: str = 'Count',
                 panel_width: Optional[int] = None,
                 points: Optional[np.ndarray] = None,
                 **kwargs) -> np.ndarray:
    """Draw a density map over its image, with the count and a colour bar.

    The density is blended over the image, transparent where it is 0 and
    more opaque where it is high, on the colour scale of
    :func:`draw_panels`.

    Args:
        image_rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        density (np.ndarray): ``(H, W)`` people per pixel.
        count (float, optional): Written in the title as ``'Count:
            12.3'``. Defaults to None (the title alone).
        title (str): The title's text before the count. Defaults to
            'Count'.
        panel_width (int, optional): Width of the picture. Defaults to the
            image's width.
        points (np.ndarray, optional): ``(N, 2)`` predicted head points, x
            then y in pixels of the image, drawn as crosses. Defaults to
            None.
        **kwargs: Passed to :func:`draw_panels`. ``title_height`` and
            ``band_height`` default to 28 and 40 pixels per 640 pixels of
            width (at least 28 and 40), so the text stays legible on large
            pictures.

    Returns:
        np.ndarray: ``(title + H' + band, W', 3)`` uint8 RGB, ``W'`` being
        ``panel_width``.
    """
    image_rgb = np.asarray(image_rgb)
    density = np.asarray(density)
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3:
        raise ValueError('image_rgb must have shape (H, W, 3), got '
                         f'{image_rgb.shape}')
    if density.shape != image_rgb.shape[:2]:
        raise ValueError(f'density has shape {density.shape} but the image '
                         f'is {image_rgb.shape[:2]}; they must match')
    text = title if count is None else f'{title}: {float(count):.1f}'
    marks = () if points is None else (Points(
        points, color=PRED_POINTS_COLOR, label='predicted heads',
        marker='x'), )
    panel = Panel(density, text, 'overlay', points=marks,
                  background=image_rgb)
    panel_width = panel_width or density.shape[1]
    scale = max(1.0, panel_width / 640)
    kwargs.setdefault('title_height', round(28 * scale))
    kwargs.setdefault('band_height', round(40 * scale))
    return draw_panels([panel], panel_width=panel_width, **kwargs)


def draw_data_sample(image_rgb: np.ndarray,
                     data_sample,
                     draw_gt: bool = True,
                     draw_pred: bool = True,
                     draw_pred_points: bool = True,
                     **kwargs) -> np.ndarray:
    """:func:`draw_density_panels` of the maps, counts and points a sample
    holds.

    Args:
        image_rgb (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        data_sample (CrowdDataSample, optional): Its ``gt_density``,
            ``gt_count``, ``gt_points``, ``pred_density``, ``pred_count``
            and ``pred_points``, where set, are drawn; None draws the image
            alone. Points are scaled from the sample's ``img_shape`` to the
            image's size where they differ.
        draw_gt (bool): Draw the GT density, count and points. Defaults to
            True.
        draw_pred (bool): Draw the prediction. Defaults to True.
        draw_pred_points (bool): With ``draw_pred``, also mark the
            predicted head points. Defaults to True.
        **kwargs: Passed to :func:`draw_density_panels`.

    Returns:
        np.ndarray: The drawing, uint8 RGB.
    """
    gt_keys = ('gt_density', 'gt_count', 'gt_points')
    pred_keys = ('pred_density', 'pred_count', 'pred_points')
    fields = dict.fromkeys(gt_keys + pred_keys)
    if data_sample is not None:
        wanted = (gt_keys if draw_gt else ()) + (
            pred_keys if draw_pred else ())
        if not draw_pred_points:
            wanted = tuple(k for k in wanted if k != 'pred_points')
        for key in wanted:
            value = data_sample.get(key)
            if isinstance(value, PixelData):
                value = value.data
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            fields[key] = value
        for key in ('gt_density', 'pred_density'):
            if fields[key] is not None and fields[key].ndim == 3:
                fields[key] = fields[key][0]
        # Points are in the pipeline's pixels (metainfo img_shape); the
        # image drawn may be the file at another size.
        img_shape = data_sample.get('img_shape')
        image_hw = np.shape(image_rgb)[:2]
        if img_shape is not None and tuple(img_shape[:2]) != image_hw:
            scale = np.array([image_hw[1] / img_shape[1],
                              image_hw[0] / img_shape[0]])
            for key in ('gt_points', 'pred_points'):
                if fields[key] is not None:
                    fields[key] = np.asarray(fields[key]) * scale
    return draw_density_panels(image_rgb, **fields, **kwargs)
