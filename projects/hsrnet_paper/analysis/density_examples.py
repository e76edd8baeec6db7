"""Figure 3 of the paper: images, GT density maps and predicted maps.

The panels are drawn by :func:`hsrcount.visualization.draw_panels` with the
titles of :func:`panel_titles`, the same code that ``tools/test.py
--show-dir`` uses, so both pictures look alike. Each image's GT and
predicted maps share one colour scale (images of different datasets have
very different densities, so scales are not shared across images).
"""
import os.path as osp

import numpy as np

from hsrcount.apis import inference_model, load_image
from hsrcount.visualization.density_figure import draw_panels, panel_titles
from .model_outputs import dataset_item, find_image, to_rgb

LAYOUTS = ('columns', 'rows')


def collect_examples(model, dataset, items):
    """Predict the density maps of chosen images.

    An item is a dataset index (int) or an image path (str). A path that is
    one of the dataset's images is taken from the dataset with its ground
    truth; any other path is predicted without ground truth.

    Args:
        model (CrowdCounter): A trained counter in eval mode.
        dataset (BaseDataset): The test dataset (its test pipeline gives
            ``gt_density`` and ``gt_count``).
        items (Sequence[int | str]): The images, in drawing order.

    Returns:
        list[dict]: Per image: ``name`` (file name), ``img_path``, ``image``
        ((H, W, 3) uint8 RGB), ``gt_density`` ((H, W) or None),
        ``pred_density`` ((H, W)), ``gt_count`` (float or None) and
        ``pred_count`` (float).
    """
    examples = []
    for item in items:
        index = item if isinstance(item, int) else find_image(dataset, item)
        if index is None:
            if not osp.isfile(item):
                raise FileNotFoundError(f'{item}: no such image file')
            image_bgr = load_image(item)
            pred = inference_model(model, image_bgr)
            image = np.ascontiguousarray(image_bgr[..., ::-1])
            gt_density = gt_count = None
            img_path = item
        else:
            inputs, sample = dataset_item(dataset, index)
            pred = model.test_step(
                dict(inputs=[inputs], data_samples=[sample]))[0]
            image = to_rgb(inputs)
            gt_density = (pred.gt_density.data[0].cpu().numpy()
                          if 'gt_density' in pred else None)
            gt_count = pred.get('gt_count')
            img_path = pred.img_path
        examples.append(
            dict(name=osp.basename(img_path), img_path=img_path, image=image,
                 gt_density=gt_density,
                 pred_density=pred.pred_density.data[0].cpu().numpy(),
                 gt_count=None if gt_count is None else float(gt_count),
                 pred_count=float(pred.pred_count)))
    return examples


def example_panels(example):
    """The three ``(array, title, kind)`` panels of one example.

    A missing GT map becomes a blank panel so that the grid stays aligned.
    """
    image_title, gt_title, pred_title = panel_titles(
        example['gt_count'], example['pred_count'],
        titles=(example['name'], 'GT', 'Prediction'))
    gt = example['gt_density']
    gt_panel = (gt, gt_title, 'density') if gt is not None else (
        np.full_like(example['image'], 255), f'{gt_title} (no map)', 'image')
    return [(example['image'], image_title, 'image'), gt_panel,
            (example['pred_density'], pred_title, 'density')]


def draw_examples(examples, layout='columns', panel_width=240,
                  panel_height=None):
    """Draw the examples as one picture.

    Args:
        examples (list[dict]): From :func:`collect_examples`.
        layout (str): ``'columns'`` (as in the paper: one column per image,
            rows image / GT / prediction) or ``'rows'`` (one row per image).
        panel_width (int): Cell width in pixels. Defaults to 240.
        panel_height (int, optional): Cell height. Defaults to the first
            image's aspect ratio applied to ``panel_width``.

    Returns:
        tuple: ``picture`` ((h, w, 3) uint8 RGB) and ``titles`` (per
        example, its three panel titles).
    """
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    if not examples:
        raise ValueError('no image to draw')
    if panel_height is None:
        h, w = examples[0]['image'].shape[:2]
        panel_height = max(1, round(panel_width * h / w))
    ncols = 1 if layout == 'columns' else 3
    blocks, titles = [], []
    for example in examples:
        panels = example_panels(example)
        titles.append([t for _, t, _ in panels])
        blocks.append(draw_panels(panels, ncols=ncols,
                                  panel_width=panel_width,
                                  panel_height=panel_height))
    picture = np.concatenate(blocks, axis=1 if layout == 'columns' else 0)
    return picture, titles
