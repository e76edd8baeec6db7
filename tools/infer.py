"""Count people in an image, a folder of images or a video file.

Writes ``counts.csv`` (one row per image or video frame) and, unless
``--no-overlay``, one density overlay picture per image or frame to OUT_DIR.

Example:
    python tools/infer.py CONFIG CKPT crowd.jpg --out-dir out/
    python tools/infer.py CONFIG CKPT photos/ --out-dir out/ --device cuda
    python tools/infer.py CONFIG CKPT street.mp4 --out-dir out/ --every 25
    python tools/infer.py CONFIG CKPT aerial.tif --tile-size 1024 \
        --tile-overlap 128 --max-pixels 4194304 --device cuda --amp

On the CPU the fast path is the default: channels-last, and bfloat16
autocast where the CPU has native bf16 (``--fp32`` and
``--no-channels-last`` turn them off); see docs/large_images.md.

Images with more than ``--max-pixels`` pixels are counted tile by tile
(``hsrcount.apis.tiled.tiled_inference``), so their size is not limited by
the device memory; see docs/large_images.md.
"""
import argparse
import csv
import os
import os.path as osp
import sys

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from hsrcount.apis import inference_model, init_model, load_image
from hsrcount.apis.fast_paths import apply_fast_paths, resolve_fast_paths
from hsrcount.apis.tiled import tiled_inference
from hsrcount.utils import setup_allocator
from hsrcount.visualization import draw_overlay

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg')


def parse_args():
    parser = argparse.ArgumentParser(description='Count people in images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('input', help='an image, a folder of images or a '
                        'video file')
    parser.add_argument('--out-dir', default='infer_out',
                        help='where counts.csv and overlays go')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--no-overlay', action='store_true',
                        help='write counts only')
    parser.add_argument('--every', type=int, default=1,
                        help='videos: count every N-th frame')
    parser.add_argument(
        '--max-pixels', type=int, default=2048 * 2048,
        help='count images with more pixels than this by tiles; 0 tiles '
        'every image')
    parser.add_argument('--tile-size', type=int, default=1024,
                        help='tile side for tiled counting (multiple of 16)')
    parser.add_argument('--tile-overlap', type=int, default=128,
                        help='least overlap of neighbouring tiles, pixels')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_const', const=True,
                           default=None, help='bfloat16 autocast (default '
                           'on a CPU with native bf16)')
    precision.add_argument('--fp32', dest='amp', action='store_const',
                           const=False, help='float32 throughout')
    parser.add_argument('--channels-last',
                        action=argparse.BooleanOptionalAction, default=None,
                        help='channels-last memory format (default on the '
                        'CPU)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the backbone, neck and head '
                        '(slow first call per image size)')
    return parser.parse_args()


class Counter:
    """Count one image, whole or by tiles, with the chosen speed-ups.

    Args:
        model (nn.Module): From :func:`init_model`.
        args (argparse.Namespace): The parsed flags.
    """

    def __init__(self, model, args):
        self.model = model
        self.max_pixels = args.max_pixels
        self.tile_size = args.tile_size
        self.tile_overlap = args.tile_overlap
        apply_fast_paths(model, compile=args.compile, **resolve_fast_paths(
            args.device, amp=args.amp, channels_last=args.channels_last))

    def __call__(self, img):
        """Return a CrowdDataSample with ``pred_density`` and
        ``pred_count`` for an (H, W, 3) uint8 BGR image."""
        if img.shape[0] * img.shape[1] > self.max_pixels:
            return tiled_inference(self.model, img, self.tile_size,
                                   self.tile_overlap)
        return inference_model(self.model, img)


def density_overlay(img_bgr, density, count):
    """The density over the image, count and colour bar as in every picture
    of hsrcount (:func:`hsrcount.visualization.draw_overlay`); BGR."""
    return np.ascontiguousarray(
        draw_overlay(img_bgr[..., ::-1], density, count)[..., ::-1])


def iter_video(path, every):
    """Yield (frame index, BGR frame) of every ``every``-th frame."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'{path}: cannot open the video file')
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    index = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % every == 0:
                yield index, frame, total
            index += 1
    finally:
        cap.release()


def count_images(counter, paths, writer, out_dir, overlay):
    """Count each image; return the files that could not be counted."""
    failures = []
    progress = ProgressBar(len(paths)) if len(paths) > 1 else None
    for path in paths:
        try:
            img = load_image(path)
            result = counter(img)
        except (OSError, ValueError) as err:
            failures.append((path, str(err)))
        else:
            count = result.pred_count
            writer.writerow([path, f'{count:.3f}'])
            if overlay:
                density = result.pred_density.data[0].cpu().numpy()
                name = osp.splitext(osp.basename(path))[0] + '.jpg'
                cv2.imwrite(
                    osp.join(out_dir, name),
                    density_overlay(img, density, count))
        if progress:
            progress.update()
    return failures


def count_video(counter, path, every, writer, out_dir, overlay):
    """Count frames of one video."""
    stem = osp.splitext(osp.basename(path))[0]
    progress = None
    for index, frame, total in iter_video(path, every):
        if progress is None and total > 0:
            progress = ProgressBar((total + every - 1) // every)
        result = counter(frame)
        writer.writerow([f'{path}#{index}', f'{result.pred_count:.3f}'])
        if overlay:
            density = result.pred_density.data[0].cpu().numpy()
            cv2.imwrite(
                osp.join(out_dir, f'{stem}_{index:06d}.jpg'),
                density_overlay(frame, density, result.pred_count))
        if progress:
            progress.update()


def list_inputs(path):
    """Classify the input as ('images', [files]) or ('video', path)."""
    if osp.isdir(path):
        files = sorted(
            osp.join(path, f) for f in os.listdir(path)
            if f.lower().endswith(IMAGE_EXTS))
        if not files:
            raise FileNotFoundError(f'{path}: no image files '
                                    f'({", ".join(IMAGE_EXTS)}) in folder')
        return 'images', files
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such file or folder')
    if path.lower().endswith(VIDEO_EXTS):
        return 'video', path
    return 'images', [path]


def main():
    setup_allocator()
    args = parse_args()
    if args.every < 1:
        sys.exit('--every must be at least 1')
    if args.max_pixels < 0:
        sys.exit('--max-pixels must be >= 0')
    kind, inputs = list_inputs(args.input)
    model = init_model(args.config, args.checkpoint, device=args.device,
                       fast_paths=None)  # Counter applies the flags
    align = model.data_preprocessor.pad_size_divisor
    if args.tile_size < align or args.tile_size % align:
        sys.exit(f'--tile-size must be a positive multiple of {align}')
    if not 0 <= args.tile_overlap <= args.tile_size - align:
        sys.exit(f'--tile-overlap must be in [0, {args.tile_size - align}]')
    counter = Counter(model, args)
    os.makedirs(args.out_dir, exist_ok=True)
    csv_path = osp.join(args.out_dir, 'counts.csv')
    failures = []
    with open(csv_path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['source', 'count'])
        overlay = not args.no_overlay
        if kind == 'video':
            count_video(counter, inputs, args.every, writer, args.out_dir,
                        overlay)
        else:
            failures = count_images(counter, inputs, writer, args.out_dir,
                                    overlay)
    print(f'\ncounts written to {csv_path}')
    if failures:
        for path, err in failures:
            print(f'could not count {path}: {err}', file=sys.stderr)
        sys.exit(f'{len(failures)} file(s) could not be counted')


if __name__ == '__main__':
    main()
