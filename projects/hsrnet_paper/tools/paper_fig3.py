"""Figure 3 of the paper: images, GT and predicted density maps.

Example:
    python -m projects.hsrnet_paper.tools.paper_fig3 CONFIG CKPT \
        --indices 0 3 5 \
        --out fig3.png
"""
import argparse
import os
import os.path as osp

import mmcv

from projects.hsrnet_paper.analysis import (collect_examples, draw_examples,
                                            load_model_and_dataset)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Draw images with their GT and predicted density maps')
    parser.add_argument('config', help='config file (its test_dataloader '
                        'gives the images and GT)')
    parser.add_argument('checkpoint', help='checkpoint file')
    which = parser.add_mutually_exclusive_group()
    which.add_argument('--indices', type=int, nargs='+',
                       help='indices into the test dataset (default: 0)')
    which.add_argument('--images', nargs='+',
                       help='image files; one of the test set is drawn with '
                       'its GT, any other without')
    parser.add_argument('--layout', choices=['columns', 'rows'],
                        default='columns',
                        help="'columns': one column per image, rows image / "
                        "GT / prediction (the paper's); 'rows': one row per "
                        'image')
    parser.add_argument('--panel-width', type=int, default=240)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default='fig3.png', help='output PNG')
    return parser.parse_args()


def main():
    args = parse_args()
    model, dataset = load_model_and_dataset(args.config, args.checkpoint,
                                            args.device)
    items = args.images or args.indices or [0]
    examples = collect_examples(model, dataset, items)
    picture, _ = draw_examples(examples, args.layout, args.panel_width)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    if not mmcv.imwrite(picture[..., ::-1], args.out):
        raise OSError(f'could not write {args.out}')
    for e in examples:
        gt = 'n/a' if e['gt_count'] is None else f'{e["gt_count"]:.1f}'
        print(f'{e["img_path"]}: GT {gt}, predicted {e["pred_count"]:.1f}')
    print(f'figure written to {args.out}')


if __name__ == '__main__':
    main()
