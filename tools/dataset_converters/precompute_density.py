"""Precompute the ground-truth density map of every image of a dataset.

Writes one ``.npy`` ((H, W) float32, at the image's original size) per
image, named after the image. The training pipeline renders maps on the fly
after its geometric transforms (:class:`GenerateDensity`); precomputed maps
serve analysis, other toolboxes, and checking the ground truth.

Example::

    python tools/dataset_converters/precompute_density.py \
        configs/hsrnet/hsrnet_shtech_a.py --split test --out-dir gt/ \
        --nproc 2
"""
import argparse
import os
import os.path as osp
from functools import partial

import numpy as np
from mmengine.config import Config
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image

from hsrcount.datasets.density import render_density
from hsrcount.registry import DATASETS
from hsrcount.apis.registration import register_all_modules


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Precompute density maps of a dataset as .npy files')
    parser.add_argument('config', help='config naming the dataset')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'],
                        help='which dataloader of the config to read')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--kernel', default='adaptive',
                        choices=['adaptive', 'fixed'])
    parser.add_argument('--sigma', type=float, default=4.0,
                        help='fixed sigma, or the sigma of a lone head')
    parser.add_argument('--k', type=int, default=3)
    parser.add_argument('--beta', type=float, default=0.3)
    parser.add_argument('--border', default='renormalize',
                        choices=['renormalize', 'constant'])
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes')
    return parser.parse_args(argv)


def build_dataset(cfg, split):
    """The dataset of ``{split}_dataloader``, unwrapped, without pipeline."""
    ds_cfg = cfg[f'{split}_dataloader']['dataset'].copy()
    while 'dataset' in ds_cfg:  # wrappers such as PatchRepeatDataset
        ds_cfg = ds_cfg['dataset'].copy()
    ds_cfg['pipeline'] = []
    return DATASETS.build(ds_cfg)


def render_one(task, out_dir, render_args):
    img_path, points = task
    with Image.open(img_path) as img:  # the header only
        shape = (img.height, img.width)
    density = render_density(points, shape, **render_args)
    name = osp.splitext(osp.basename(img_path))[0] + '.npy'
    np.save(osp.join(out_dir, name), density)
    return name


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    dataset = build_dataset(Config.fromfile(args.config), args.split)
    tasks = [(info['img_path'], info['gt_points'])
             for info in (dataset.get_data_info(i)
                          for i in range(len(dataset)))]
    names = [osp.splitext(osp.basename(p))[0] for p, _ in tasks]
    if len(set(names)) != len(names):
        raise ValueError('images with the same file name in different '
                         'folders: their .npy files would collide')
    os.makedirs(args.out_dir, exist_ok=True)
    func = partial(render_one, out_dir=args.out_dir,
                   render_args=dict(kernel=args.kernel, sigma=args.sigma,
                                    k=args.k, beta=args.beta,
                                    border=args.border))
    if args.nproc > 1:
        track_parallel_progress(func, tasks, args.nproc)
    else:
        track_progress(func, tasks)
    print(f'\nwrote {len(tasks)} density maps to {args.out_dir}')


if __name__ == '__main__':
    main()
