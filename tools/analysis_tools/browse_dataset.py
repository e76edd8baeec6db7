"""Save pictures of what the training pipeline produces.

Each picture shows the (transformed) image with its head points and the
ground-truth density map rendered by the pipeline, with the count and the
map's sum.

Example::

    python tools/analysis_tools/browse_dataset.py \
        configs/hsrnet/hsrnet_shtech_a.py --output-dir browse/ --num 20
"""
import argparse
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from mmengine.config import Config  # noqa: E402

from hsrcount.registry import DATASETS  # noqa: E402
from hsrcount.utils import register_all_modules  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Save pictures of training samples')
    parser.add_argument('config', help='config file')
    parser.add_argument('--output-dir', required=True, help='output folder')
    parser.add_argument('--num', type=int, default=10,
                        help='number of samples to save')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    return parser.parse_args(argv)


def draw_sample(packed, path):
    """Draw one packed sample: image with points | density map."""
    img = packed['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # to RGB
    sample = packed['data_samples']
    points = sample.gt_points.numpy()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].imshow(img)
    # Pixel (r, c) is drawn centred on (c, r); points use pixel corners.
    axes[0].scatter(points[:, 0] - 0.5, points[:, 1] - 0.5, s=6, c='red')
    count = getattr(sample, 'gt_count', len(points))
    axes[0].set_title(f'{osp.basename(sample.img_path)}: {count:g} heads')
    if 'gt_density' in sample:
        dens = sample.gt_density.data[0].numpy()
        axes[1].imshow(dens, cmap='jet')
        axes[1].set_title(f'density, sum {dens.sum():.2f}')
    else:
        axes[1].set_title('no gt_density (no GenerateDensity in pipeline)')
    for ax in axes:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader']['dataset'])
    os.makedirs(args.output_dir, exist_ok=True)
    for i in range(min(args.num, len(dataset))):
        draw_sample(dataset[i], osp.join(args.output_dir, f'{i:05d}.png'))
    print(f'saved {min(args.num, len(dataset))} pictures to '
          f'{args.output_dir}')


if __name__ == '__main__':
    main()
