"""Write a smaller copy of a ShanghaiTech part: JPEGs re-encoded, .mat kept.

The lent GPU machine receives at most 64 MiB with the working tree, and
ShanghaiTech Part B's train and test images are 107 MB. This copies the
chosen splits of one part with every image re-encoded at a lower JPEG
quality (same pixels grid, so the ``.mat`` head positions stay valid and
are copied unchanged) and, optionally, only a random subset of images.
Grayscale images stay grayscale.

Example:
    python -m projects.hsrnet_paper.tools.reencode_subset \
        ../shared/data/ShanghaiTech/part_B .device/data/ShanghaiTech/part_B \
        --splits train test --quality 40
"""
import argparse
import os
import os.path as osp
import re
import shutil

import numpy as np
from PIL import Image

_IMG_RE = re.compile(r'^IMG_(\d+)\.jpg$')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Re-encode a ShanghaiTech part into a smaller copy')
    parser.add_argument('src', help='a part_A or part_B folder')
    parser.add_argument('dst', help='the new part folder (created)')
    parser.add_argument('--splits', nargs='+', default=['train', 'test'],
                        choices=['train', 'test'])
    parser.add_argument('--quality', type=int, default=50,
                        help='JPEG quality 1-95 (default 50)')
    parser.add_argument('--max-images', type=int, default=None,
                        help='keep a random subset of this many images per '
                        'split (default: all)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the subset')
    args = parser.parse_args(argv)
    if not 1 <= args.quality <= 95:
        parser.error(f'--quality must be 1-95, got {args.quality}')
    if args.max_images is not None and args.max_images < 1:
        parser.error('--max-images must be >= 1')
    return args


def split_ids(split_dir):
    """The image ids of a split folder that have an annotation.

    Raises:
        FileNotFoundError: If a folder is missing or an image has no
            ``GT_IMG_<id>.mat``.
    """
    img_dir = osp.join(split_dir, 'images')
    gt_dir = osp.join(split_dir, 'ground-truth')
    for d in (img_dir, gt_dir):
        if not osp.isdir(d):
            raise FileNotFoundError(f'{d}: no such folder (expected the '
                                    'ShanghaiTech release layout)')
    ids = sorted(int(m.group(1)) for m in map(_IMG_RE.match,
                                               os.listdir(img_dir)) if m)
    if not ids:
        raise FileNotFoundError(f'{img_dir}: no IMG_<n>.jpg images')
    for i in ids:
        mat = osp.join(gt_dir, f'GT_IMG_{i}.mat')
        if not osp.isfile(mat):
            raise FileNotFoundError(f'{mat}: missing annotation of '
                                    f'IMG_{i}.jpg')
    return ids


def choose_subset(ids, max_images, seed):
    """``max_images`` ids drawn without replacement (all if None), sorted."""
    if max_images is None or max_images >= len(ids):
        return list(ids)
    order = np.random.default_rng(seed).permutation(len(ids))
    return sorted(ids[i] for i in order[:max_images])


def reencode_image(src, dst, quality):
    """Re-save one JPEG at ``quality``, keeping its size and grey/colour.

    Returns:
        int: Bytes written.
    """
    with Image.open(src) as img:
        img.load()
        if img.mode not in ('L', 'RGB'):
            img = img.convert('RGB')
        img.save(dst, format='JPEG', quality=quality)
    return osp.getsize(dst)


def reencode_split(src_part, dst_part, split, quality, max_images=None,
                   seed=0):
    """Copy one split re-encoded; returns ``(images, bytes)`` written."""
    src = osp.join(src_part, f'{split}_data')
    dst = osp.join(dst_part, f'{split}_data')
    ids = choose_subset(split_ids(src), max_images, seed)
    os.makedirs(osp.join(dst, 'images'), exist_ok=True)
    os.makedirs(osp.join(dst, 'ground-truth'), exist_ok=True)
    total = 0
    for i in ids:
        total += reencode_image(
            osp.join(src, 'images', f'IMG_{i}.jpg'),
            osp.join(dst, 'images', f'IMG_{i}.jpg'), quality)
        mat = osp.join(dst, 'ground-truth', f'GT_IMG_{i}.mat')
        shutil.copyfile(osp.join(src, 'ground-truth', f'GT_IMG_{i}.mat'),
                        mat)
        total += osp.getsize(mat)
    return len(ids), total


def main(argv=None):
    args = parse_args(argv)
    if osp.abspath(args.src) == osp.abspath(args.dst):
        raise SystemExit('reencode_subset: dst must differ from src')
    grand = 0
    for split in args.splits:
        n, size = reencode_split(args.src, args.dst, split, args.quality,
                                 args.max_images, args.seed)
        grand += size
        print(f'{split}: {n} images, {size / 2**20:.1f} MiB')
    print(f'total {grand / 2**20:.1f} MiB in {args.dst}')


if __name__ == '__main__':
    main()
