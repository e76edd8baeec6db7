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

from hsrcount.registry import DATASETS
from hsrcount.utils import register_all_modules

RENDER_KEYS = ('kernel', 'sigma', 'k', 'beta', 'border')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Precompute density maps of a dataset as .npy files, '
        "rendered as the config's GenerateDensity renders them")
    parser.add_argument('config', help='config naming the dataset')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'],
                        help='which dataloader of the config to read')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--kernel', choices=['adaptive', 'fixed'],
                        help="override the config's kernel")
    parser.add_argument('--sigma', type=float,
                        help='override the fixed sigma / lone-head sigma')
    parser.add_argument('--k', type=int, help='override k')
    parser.add_argument('--beta', type=float, help='override beta')
    parser.add_argument('--border', choices=['renormalize', 'constant'],
                        help="override the border mode")
    parser.add_argument('--nproc', type=int, default=1,
                        help='worker processes')
    return parser.parse_args(argv)


def _find(pipeline, type_name):
    return next((dict(t) for t in pipeline if t['type'] == type_name),
                dict(type=type_name))


def build_dataset(cfg, split, overrides=None):
    """The dataset of ``{split}_dataloader``, unwrapped, with a pipeline
    that loads each whole image and renders its density.

    The loading, annotation checks and density settings are those of the
    split's own pipeline (its random geometric transforms are left out), so
    the maps are exactly what the pipeline renders for a whole image;
    ``overrides`` replace density settings.
    """
    ds_cfg = cfg[f'{split}_dataloader']['dataset'].copy()
    while 'dataset' in ds_cfg:  # wrappers such as PatchRepeatDataset
        ds_cfg = ds_cfg['dataset'].copy()
    pipeline = ds_cfg.get('pipeline', [])
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    density = _find(pipeline, 'GenerateDensity')
    density.update(overrides)
    loader = _find(pipeline, 'LoadCrowdAnnotations')
    if loader.get('head_sigmas') is not None:
        # The adaptive sigmas come from the loader (the whole image's):
        # the flags reach them there.
        names = dict(k='k', beta='beta', sigma='fallback')
        loader['head_sigmas'] = dict(
            loader['head_sigmas'],
            **{names[k]: v for k, v in overrides.items() if k in names})
    ds_cfg['pipeline'] = [
        _find(pipeline, 'LoadCrowdImageFromFile'), loader, density
    ]
    return DATASETS.build(ds_cfg)


def render_one(index, dataset, out_dir):
    results = dataset[index]
    name = osp.splitext(osp.basename(results['img_path']))[0] + '.npy'
    np.save(osp.join(out_dir, name), results['gt_density'])
    return name


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    dataset = build_dataset(
        Config.fromfile(args.config), args.split,
        {key: getattr(args, key) for key in RENDER_KEYS})
    names = [
        osp.splitext(osp.basename(dataset.get_data_info(i)['img_path']))[0]
        for i in range(len(dataset))
    ]
    if len(set(names)) != len(names):
        raise ValueError('images with the same file name in different '
                         'folders: their .npy files would collide')
    os.makedirs(args.out_dir, exist_ok=True)
    func = partial(render_one, dataset=dataset, out_dir=args.out_dir)
    indices = list(range(len(dataset)))
    if args.nproc > 1:
        track_parallel_progress(func, indices, args.nproc)
    else:
        track_progress(func, indices)
    print(f'\nwrote {len(indices)} density maps to {args.out_dir}')


if __name__ == '__main__':
    main()
