"""Synthetic crowds drawn on disk: the built-in dataset of demos and tests."""
import json
import os
import os.path as osp
import shutil
import tempfile
import zlib

import cv2
import numpy as np

from hsrcount.registry import DATASETS
from .custom import CustomPointsDataset

_GENERATOR_VERSION = 1


def draw_crowd(rng, size, count):
    """Draw one synthetic crowd image.

    People are a dark head circle over a darker body ellipse, drawn far to
    near; their size grows linearly from the horizon to the bottom of the
    image (perspective). Heads are denser far away. The background is a
    vertical gradient with smooth blotches and pixel noise, always brighter
    than the people.

    Args:
        rng (np.random.Generator): Source of randomness.
        size (tuple[int, int]): Image size ``(H, W)``.
        count (int): Number of people.

    Returns:
        tuple: ``img`` ((H, W, 3) uint8 BGR), ``points`` ((count, 2) float32
        head centres, x then y, 0-based pixel-corner frame) and
        ``background`` ((H, W, 3) uint8, the image without people).
    """
    h, w = size
    top, bottom = rng.uniform(140, 230, 3), rng.uniform(140, 230, 3)
    ramp = np.linspace(0, 1, h)[:, None, None]
    bg = top * (1 - ramp) + bottom * ramp
    blotches = cv2.resize(rng.normal(0, 12, (6, 8, 3)), (w, h),
                          interpolation=cv2.INTER_CUBIC)
    bg = bg + blotches + rng.normal(0, 4, (h, w, 3))
    background = np.clip(bg, 120, 255).astype(np.uint8)

    horizon = rng.uniform(0.1, 0.35) * h
    r_min, r_max = 1.5, max(3.0, h / 18)
    # t in [0, 1]: 0 at the horizon, 1 at the bottom; more people far away.
    t = np.sort(rng.uniform(0, 1, count)**1.5)
    ys = horizon + t * (h - 1 - horizon)
    xs = rng.uniform(0, w, count)
    radii = r_min + (r_max - r_min) * t
    img = background.copy()
    shift = 4  # sub-pixel drawing, in 1/16 pixel
    for x, y, r in zip(xs, ys, radii):
        # cv2 puts pixel centres on integers; ours are at +0.5.
        cx, cy = (x - 0.5) * 16, (y - 0.5) * 16
        body = tuple(float(c) for c in rng.uniform(30, 100, 3))
        head = tuple(float(c) for c in rng.uniform(10, 70, 3))
        cv2.ellipse(img, (int(cx), int(cy + 2.8 * r * 16)),
                    (int(1.2 * r * 16), int(2.0 * r * 16)), 0, 0, 360, body,
                    -1, cv2.LINE_AA, shift)
        cv2.circle(img, (int(cx), int(cy)), int(r * 16), head, -1,
                   cv2.LINE_AA, shift)
    points = np.stack([xs, ys], axis=1).astype(np.float32)
    return img, points, background


def split_seed(seed, split):
    """The generator seed of ``split``: each split draws different images."""
    return [int(seed), zlib.crc32(split.encode())]


@DATASETS.register_module()
class SyntheticCrowdDataset(CustomPointsDataset):
    """Synthetic crowd images, generated once into a cache folder.

    Images go to ``{data_root}/{split}/images/{i:05d}.jpg`` with their head
    points in ``{split}/annotations.json`` (the format of
    :class:`CustomPointsDataset`, which reads them) and the generation
    parameters in ``{split}/manifest.json``. A folder whose manifest
    matches is reused; otherwise it is regenerated. The same ``seed`` and
    ``split`` give the same images and points.

    Args:
        data_root (str): The cache folder, created if missing.
        split (str): Name of the split; changes the seed.
        num_images (int): Number of images. Defaults to 100.
        img_size (tuple[int, int]): ``(H, W)``. Defaults to (192, 256).
        count_range (tuple[int, int]): People per image, drawn log-uniformly
            in this range. Defaults to (3, 150).
        seed (int): Base seed. Defaults to 0.
        **kwargs: Passed to :class:`CustomPointsDataset`.
    """

    def __init__(self, data_root, split='train', num_images=100,
                 img_size=(192, 256), count_range=(3, 150), seed=0,
                 **kwargs):
        if num_images < 1:
            raise ValueError(f'num_images must be >= 1, got {num_images}')
        self.params = dict(
            version=_GENERATOR_VERSION, split=split,
            num_images=int(num_images), img_size=[int(s) for s in img_size],
            count_range=[int(c) for c in count_range], seed=int(seed))
        folder = osp.join(data_root, split)
        if self._cached_params(folder) != self.params:
            self.generate(folder)
        super().__init__(
            data_root=folder, split=split, ann_file='annotations.json',
            data_prefix=dict(img_path='images'), **kwargs)

    @staticmethod
    def _cached_params(folder):
        manifest = osp.join(folder, 'manifest.json')
        if not (osp.isfile(manifest)
                and osp.isfile(osp.join(folder, 'annotations.json'))):
            return None
        with open(manifest, encoding='utf-8') as f:
            return json.load(f)

    def generate(self, folder):
        """Draw every image of the split and write the files.

        The split is written to a temporary folder beside ``folder`` and
        renamed into place, so processes that generate the same split at
        once (the ranks of a distributed run) never read a half-written one.
        """
        p = self.params
        parent = osp.dirname(osp.abspath(folder))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f'.{p["split"]}.tmp-', dir=parent)
        img_dir = osp.join(tmp, 'images')
        os.makedirs(img_dir)
        rng = np.random.default_rng(split_seed(p['seed'], p['split']))
        lo, hi = p['count_range']
        images = []
        for i in range(p['num_images']):
            count = int(round(np.exp(rng.uniform(np.log(lo), np.log(hi)))))
            img, points, _ = draw_crowd(rng, p['img_size'], count)
            name = f'{i:05d}.jpg'
            cv2.imwrite(osp.join(img_dir, name), img,
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            images.append(dict(file=name, points=points.tolist()))
        with open(osp.join(tmp, 'annotations.json'), 'w',
                  encoding='utf-8') as f:
            json.dump(dict(images=images), f)
        with open(osp.join(tmp, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump(p, f)
        if self._cached_params(folder) == p:  # another process was first
            shutil.rmtree(tmp)
            return
        if osp.exists(folder):  # generated with other parameters
            shutil.rmtree(folder)
        try:
            os.rename(tmp, folder)
        except OSError:
            if self._cached_params(folder) != p:
                raise
            shutil.rmtree(tmp)  # lost the race to an identical split
