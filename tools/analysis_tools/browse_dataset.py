"""Save pictures of what the training pipeline produces.

Each picture shows the (transformed) image with its head points and the
ground-truth density map rendered by the pipeline, with the count and the
map's sum, drawn as the test pictures are (``hsrcount.visualization``).

Example::

    python tools/analysis_tools/browse_dataset.py \
        configs/hsrnet/hsrnet_shtech_a.py --output-dir browse/ --num 20
"""
import argparse
import os
import os.path as osp

import mmcv
import numpy as np
from mmengine.config import Config

from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules
from hsrcount.visualization import Panel, Points, draw_panels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Save pictures of training samples')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', required=True, help='output folder')
    parser.add_argument('--num', type=int, default=10,
                        help='number of samples to save')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--panel-width', type=int, default=320,
                        help='width of each panel in pixels')
    return parser.parse_args(argv)


def draw_sample(packed, panel_width=320):
    """Draw one packed sample: image with its head points | density map.

    Args:
        packed (dict): ``inputs`` ((3, H, W) uint8 BGR tensor) and
            ``data_samples`` as ``PackCrowdInputs`` makes them.
        panel_width (int): Width of each panel in pixels.

    Returns:
        np.ndarray: The picture, (h, w, 3) uint8 RGB.
    """
    img = packed['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # to RGB
    sample = packed['data_samples']
    points = sample.gt_points.numpy()
    count = float(getattr(sample, 'gt_count', len(points)))
    panels = [
        Panel(img, f'{osp.basename(sample.img_path)}: {count:g} heads',
              points=[Points(points, label='GT heads')])
    ]
    if 'gt_density' in sample:
        dens = sample.gt_density.data[0].numpy()
        panels.append(Panel(dens, f'GT density, sum {dens.sum():.2f}',
                            'density'))
    else:
        panels.append(Panel(np.full_like(img, 255), 'no gt_density (no '
                            'GenerateDensity in pipeline)'))
    return draw_panels(panels, panel_width=panel_width)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader']['dataset'])
    os.makedirs(args.output_dir, exist_ok=True)
    for i in range(min(args.num, len(dataset))):
        picture = draw_sample(dataset[i], args.panel_width)
        mmcv.imwrite(picture[..., ::-1],
                     osp.join(args.output_dir, f'{i:05d}.png'))
    print(f'saved {min(args.num, len(dataset))} pictures to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
