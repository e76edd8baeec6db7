"""Figure 5 of the paper: the GT density pyramid and the scale outputs.

Example:
    python -m projects.hsrnet_paper.tools.paper_fig5 CONFIG CKPT 3 \
        --out fig5.png
"""
import argparse
import os
import os.path as osp

import mmcv
import torch

from hsrcount.apis import load_image
from hsrcount.structures import CrowdDataSample
from projects.hsrnet_paper.analysis import (dataset_item, draw_scale_pyramid,
                                            find_image, load_model_and_dataset,
                                            scale_pyramid)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Draw the GT pyramid (pool 1..16) over D0, D1..D5')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        'image', help='an index into the test dataset, or an image file (one '
        'not in the test set is drawn without the GT row)')
    parser.add_argument('--shared-scale', action='store_true',
                        help='one colour scale for all panels (default: '
                        'each panel its own range)')
    parser.add_argument('--panel-width', type=int, default=200)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default='fig5.png', help='output PNG')
    return parser.parse_args()


def load_item(dataset, image):
    """``(inputs, data_sample)`` for an index or a path."""
    if image.isdigit():
        return dataset_item(dataset, int(image))
    index = find_image(dataset, image)
    if index is not None:
        return dataset_item(dataset, index)
    if not osp.isfile(image):
        raise FileNotFoundError(f'{image}: neither an index nor an image '
                                f'file')
    img = load_image(image)
    inputs = torch.from_numpy(img.transpose(2, 0, 1).copy())
    return inputs, CrowdDataSample(metainfo=dict(img_path=image,
                                                 img_shape=img.shape[:2]))


def main():
    args = parse_args()
    model, dataset = load_model_and_dataset(args.config, args.checkpoint,
                                            args.device)
    inputs, sample = load_item(dataset, args.image)
    pyramid = scale_pyramid(model, inputs, sample)
    picture, titles = draw_scale_pyramid(pyramid, args.shared_scale,
                                         args.panel_width)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not mmcv.imwrite(picture[..., ::-1], args.out):
        raise OSError(f'could not write {args.out}')
    print('\n'.join(titles))
    print(f'figure written to {args.out}')


if __name__ == '__main__':
    main()
