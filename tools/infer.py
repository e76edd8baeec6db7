"""Count people in an image, a folder of images or a video file.

Writes ``counts.csv`` (one row per image or video frame), ``points.jsonl``
(the head points of each, one JSON object per line: ``source``, ``count``,
``points`` as ``[[x, y], ...]`` in pixels of the original image) and,
unless ``--no-overlay``, one density overlay picture per image or frame
(``--draw-points`` marks the heads on it) to OUT_DIR, then prints the count
(one image) or a summary: images, total and mean count, failures.

Example:
    python tools/infer.py CONFIG CKPT crowd.jpg --out-dir out/
    python tools/infer.py MODEL.onnx crowd.jpg --backend onnxruntime
    python tools/infer.py CONFIG model.safetensors photos/ --checksum SHA256
    python tools/infer.py CONFIG CKPT photos/ --out-dir out/ --device cuda
    python tools/infer.py CONFIG CKPT street.mp4 --out-dir out/ --every 25
    python tools/infer.py CONFIG CKPT aerial.tif --tile-size 1024 \
        --tile-overlap 128 --max-pixels 4194304 --device cuda --amp

On the CPU the fast path is the default: channels-last, and bfloat16
autocast where the CPU has native bf16 (``--fp32`` and
``--no-channels-last`` turn them off); see docs/large_images.md.

Images with more than ``--max-pixels`` pixels are counted tile by tile
(``hsrcount.apis.tiled.tiled_inference``), so their size is not limited by
the device memory; see docs/large_images.md. Images over
``--max-image-pixels`` (default: Pillow's decompression-bomb limit, about
179 megapixels) are refused unless that limit is raised or lifted (0).

Each row is flushed to ``counts.csv`` as soon as it is counted. A run that
was killed leaves the rows counted so far, and running the same command
again (same config, checkpoint and counting settings, same ``--out-dir``)
counts only what is missing. ``--overwrite`` starts a new ``counts.csv``.
"""
import argparse
import csv
import json
import os
import os.path as osp
import sys

import cv2
import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

from hsrcount.apis import inference_model, init_model, load_image
from hsrcount.apis.fast_paths import apply_fast_paths, resolve_fast_paths
from hsrcount.apis.tiled import tiled_inference
from hsrcount.engine import CheckpointError, verify_checksum
from hsrcount.models.postprocessors import to_original_frame
from hsrcount.utils import atomic_write, setup_allocator
from hsrcount.visualization import draw_overlay

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg')
CSV_NAME = 'counts.csv'
POINTS_NAME = 'points.jsonl'
RUN_NAME = 'counts.run.json'
HEADER = ['source', 'count']
#: Pillow refuses to decode images over twice ``Image.MAX_IMAGE_PIXELS``
#: (about 179 megapixels) as possible decompression bombs.
PILLOW_PIXEL_LIMIT = 2 * (Image.MAX_IMAGE_PIXELS or 89478485)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Count people in images')
    parser.add_argument(
        'paths', nargs='+', metavar='PATH',
        help='CONFIG CHECKPOINT INPUT, or with --backend onnxruntime '
        'MODEL.onnx INPUT; INPUT is an image, a folder of images or a video')
    parser.add_argument('--backend', choices=['pytorch', 'onnxruntime'],
                        default='pytorch',
                        help='onnxruntime runs a model written by '
                        'tools/export.py (no PyTorch model is built)')
    parser.add_argument('--out-dir', default='infer_out',
                        help='where counts.csv and overlays go')
    parser.add_argument('--overwrite', action='store_true',
                        help='start a new counts.csv instead of adding the '
                        'missing rows to the one in --out-dir')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument('--no-overlay', action='store_true',
                        help='write counts and points only')
    parser.add_argument('--draw-points', action='store_true',
                        help='mark the head points on the overlays')
    parser.add_argument('--every', type=int, default=1,
                        help='videos: count every N-th frame')
    parser.add_argument(
        '--max-pixels', type=int, default=2048 * 2048,
        help='count images with more pixels than this by tiles; 0 tiles '
        'every image')
    parser.add_argument(
        '--max-image-pixels', type=int, default=PILLOW_PIXEL_LIMIT,
        help='refuse images with more pixels than this (default: Pillow\'s '
        f'decompression-bomb limit, {PILLOW_PIXEL_LIMIT}); 0 lifts the '
        'limit, for huge images you trust, counted by tiles')
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
    parser.add_argument('--checksum', metavar='SHA256',
                        help='refuse the checkpoint (or ONNX file) unless '
                        'its SHA-256 is this; a CKPT.sha256 beside it is '
                        'checked in any case')
    args = parser.parse_args(argv)
    wanted = 2 if args.backend == 'onnxruntime' else 3
    if len(args.paths) != wanted:
        usage = 'MODEL.onnx INPUT' if wanted == 2 else \
            'CONFIG CHECKPOINT INPUT'
        parser.error(f'--backend {args.backend} takes {usage}, got '
                     f'{len(args.paths)} path(s)')
    if wanted == 2:
        args.config = args.checkpoint = args.paths[0]
    else:
        args.config, args.checkpoint = args.paths[:2]
    args.input = args.paths[-1]
    return args


def load_model(args):
    """The counter of ``--backend``: a PyTorch model, or an ONNX file run
    by onnxruntime."""
    if args.backend == 'onnxruntime':
        verify_checksum(args.config, args.checksum)
        try:
            from hsrcount.deployment import OnnxCounter
            return OnnxCounter(args.config)
        except ImportError:
            sys.exit('--backend onnxruntime needs onnxruntime: pip install '
                     '"hsrcount[deploy]"')
    return init_model(args.config, args.checkpoint, device=args.device,
                      fast_paths=None,  # Counter applies the flags
                      sha256=args.checksum)


class Counter:
    """Count one image, whole or by tiles, with the chosen speed-ups.

    Args:
        model (nn.Module | OnnxCounter): From :func:`load_model`.
        args (argparse.Namespace): The parsed flags.
    """

    def __init__(self, model, args):
        self.model = model
        self.max_pixels = args.max_pixels
        self.tile_size = args.tile_size
        self.tile_overlap = args.tile_overlap
        if args.backend == 'pytorch':
            try:
                apply_fast_paths(model, compile=args.compile,
                                 **resolve_fast_paths(
                                     args.device, amp=args.amp,
                                     channels_last=args.channels_last))
            except RuntimeError as err:  # --compile without a compiler
                raise SystemExit(f'--compile: {err}') from None

    def __call__(self, img):
        """Return a CrowdDataSample with ``pred_density`` and
        ``pred_count`` for an (H, W, 3) uint8 BGR image."""
        if img.shape[0] * img.shape[1] > self.max_pixels:
            return tiled_inference(self.model, img, self.tile_size,
                                   self.tile_overlap)
        return inference_model(self.model, img)


def read_image(path, max_image_pixels):
    """Read an image as (H, W, 3) uint8 BGR after checking its size.

    The size comes from the file's header, before anything is decoded.
    Pillow's own guard is lifted (``Image.MAX_IMAGE_PIXELS = None``) in
    :func:`main`; this check replaces it.

    Args:
        path (str): The image file.
        max_image_pixels (int): Largest width x height accepted; 0 for no
            limit.

    Raises:
        ValueError: The image is larger than the limit (naming the file,
            its size and the flag that lifts the limit), or cannot be
            decoded.
    """
    if max_image_pixels:
        try:
            with Image.open(path) as img:
                width, height = img.size
        except Exception:  # not for Pillow: load_image names the fault
            width = height = 0
        if width * height > max_image_pixels:
            raise ValueError(
                f'{path}: {width} x {height} = {width * height} pixels is '
                f'over the limit of {max_image_pixels} pixels '
                '(--max-image-pixels), which guards against decompression '
                'bombs (small files that decode to huge images). If you '
                'trust the file, pass --max-image-pixels 0 to lift the '
                'limit; it is then counted by tiles (--max-pixels)')
    return load_image(path)


def density_overlay(img_bgr, density, count, points=None):
    """The density over the image, count and colour bar as in every picture
    of hsrcount (:func:`hsrcount.visualization.draw_overlay`), with the
    head ``points`` as crosses when given; BGR."""
    return np.ascontiguousarray(draw_overlay(
        img_bgr[..., ::-1], density, count, points=points)[..., ::-1])


class CountsFile:
    """``counts.csv``, written row by row, resumable.

    Every row is flushed as soon as it is written, so a killed run leaves
    the rows counted so far (at worst a torn last line, dropped on resume).
    ``counts.run.json`` beside it records the config, the checkpoint (path,
    size, modification time) and the counting settings; a later run with
    the same record adds only the rows that are missing.

    Args:
        out_dir (str): The output folder.
        run (dict): This run's record.
        overwrite (bool): Start a new file whatever is there.

    Attributes:
        counts (dict[str, float]): Source -> count, earlier rows included.
        earlier (set[str]): Sources found from an earlier run.

    Raises:
        SystemExit: ``counts.csv`` exists and was written by another run
            (or its record is missing), without ``overwrite``.
    """

    def __init__(self, out_dir, run, overwrite=False):
        self.path = osp.join(out_dir, CSV_NAME)
        self.run_path = osp.join(out_dir, RUN_NAME)
        self.points_path = osp.join(out_dir, POINTS_NAME)
        self.counts = {}
        if overwrite or not osp.exists(self.path):
            atomic_write(json.dumps(run, indent=1), self.run_path)
            atomic_write(','.join(HEADER) + '\n', self.path)
            atomic_write('', self.points_path)
        else:
            self._check_same_run(run)
            self._read_previous()
        self.earlier = set(self.counts)
        self._file = open(self.path, 'a', newline='')
        self._writer = csv.writer(self._file)
        self._points = open(self.points_path, 'a')

    def _check_same_run(self, run):
        try:
            with open(self.run_path) as f:
                before = json.load(f)
        except (OSError, ValueError):
            before = None
        if before != run:
            differ = sorted(k for k in run
                            if not before or before.get(k) != run[k])
            what = (f'{RUN_NAME} is missing or unreadable' if before is None
                    else f'these differ: {", ".join(differ)}')
            raise SystemExit(
                f'{self.path} holds counts of another run ({what}). Pass '
                '--overwrite to replace it, or choose another --out-dir.')

    def _read_previous(self):
        with open(self.path, 'rb') as f:
            data = f.read()
        if data and not data.endswith(b'\n'):
            # A run killed in the middle of a row: drop the torn line.
            data = data[:data.rfind(b'\n') + 1]
            with open(self.path, 'r+b') as f:
                f.truncate(len(data))
        rows = list(csv.reader(data.decode('utf-8').splitlines()))
        if not rows or rows[0] != HEADER:
            raise SystemExit(f'{self.path}: not a counts file of this tool '
                             f'(header {rows[0] if rows else None}); pass '
                             '--overwrite to replace it')
        for row in rows[1:]:
            if len(row) == 2:
                self.counts[row[0]] = float(row[1])

    def __contains__(self, source):
        return source in self.counts

    def add(self, source, count, points=None):
        """Write and flush one row, its points first: a kill between the
        two leaves the source uncounted, and the next run writes it again
        (read :func:`read_points` keeps a source's last line)."""
        if points is not None:
            self._points.write(json.dumps(dict(
                source=source, count=round(float(count), 3),
                points=np.round(points, 2).tolist())) + '\n')
            self._points.flush()
        self._writer.writerow([source, f'{count:.3f}'])
        self._file.flush()
        self.counts[source] = round(count, 3)

    def close(self):
        self._file.close()
        self._points.close()


def read_points(path):
    """``points.jsonl`` as ``{source: (N, 2) array}``; a source written
    twice (a run killed between its two files) keeps its last line, and a
    torn last line is skipped."""
    points = {}
    with open(path) as f:
        for line in f:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            points[record['source']] = np.asarray(
                record['points'], dtype=np.float64).reshape(-1, 2)
    return points


def run_record(args):
    """What decides the counts of a run, for :class:`CountsFile`."""
    stat = os.stat(args.checkpoint)
    return dict(
        backend=args.backend,
        config=osp.abspath(args.config),
        checkpoint=osp.abspath(args.checkpoint),
        checkpoint_size=stat.st_size,
        checkpoint_mtime_ns=stat.st_mtime_ns,
        max_pixels=args.max_pixels,
        tile_size=args.tile_size,
        tile_overlap=args.tile_overlap,
        amp=args.amp)


def original_points(result):
    """The head points of a prediction in pixels of the original image."""
    points = result.get('pred_points')
    if points is None:
        return None
    return to_original_frame(points, result.get('scale_factor'))


def write_overlay(out_file, img, result, draw_points=False):
    """The overlay picture of one prediction. A test pipeline that resized
    the image gave a map of another size: it is resized back for drawing,
    keeping its sum."""
    density = result.pred_density.data[0].float().cpu().numpy()
    h, w = img.shape[:2]
    if density.shape != (h, w):
        area = density.shape[0] * density.shape[1] / (h * w)
        density = cv2.resize(density, (w, h),
                             interpolation=cv2.INTER_LINEAR) * area
    points = original_points(result) if draw_points else None
    cv2.imwrite(out_file,
                density_overlay(img, density, result.pred_count, points))


def count_images(counter, paths, counts, args):
    """Count each image not yet in ``counts``.

    Returns:
        list[tuple[str, str]]: The files that could not be counted, why.
    """
    failures = []
    todo = [path for path in paths if path not in counts]
    progress = ProgressBar(len(todo)) if len(todo) > 1 else None
    for path in todo:
        try:
            img = read_image(path, args.max_image_pixels)
            result = counter(img)
        except (OSError, ValueError) as err:
            failures.append((path, str(err)))
        else:
            counts.add(path, result.pred_count, original_points(result))
            if not args.no_overlay:
                name = osp.splitext(osp.basename(path))[0] + '.jpg'
                write_overlay(osp.join(args.out_dir, name), img, result,
                              args.draw_points)
        if progress:
            progress.update()
    if progress:
        print()  # end the progress bar's line
    return failures


def count_video(counter, path, counts, args):
    """Count every ``args.every``-th frame of a video not yet in ``counts``.

    Returns:
        tuple[int, int]: Frames read, frames the container declares (0 when
        it does not say).
    """
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise OSError(f'{path}: cannot open the video file')
    declared = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
    stem = osp.splitext(osp.basename(path))[0]
    progress = ProgressBar((declared + args.every - 1) // args.every) \
        if declared else None
    read = 0
    try:
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            index, read = read, read + 1
            if index % args.every:
                continue
            source = f'{path}#{index}'
            if source not in counts:
                result = counter(frame)
                counts.add(source, result.pred_count,
                           original_points(result))
                if not args.no_overlay:
                    write_overlay(
                        osp.join(args.out_dir, f'{stem}_{index:06d}.jpg'),
                        frame, result, args.draw_points)
            if progress:
                progress.update()
    finally:
        cap.release()
    if progress:
        print()
    return read, declared


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


def summary(counts, sources, what):
    """``N what(s) counted: total T, mean M per what`` over ``sources``."""
    done = [s for s in sources if s in counts]
    total = float(sum(counts.counts[s] for s in done))
    mean = total / len(done) if done else 0.0
    line = (f'{len(done)} {what}(s) counted: total {total:.1f}, '
            f'mean {mean:.2f} per {what}')
    earlier = sum(s in counts.earlier for s in done)
    if earlier:
        line += f' ({earlier} in {CSV_NAME} from an earlier run)'
    return line


def main(argv=None):
    setup_allocator()
    args = parse_args(argv)
    if args.every < 1:
        sys.exit('--every must be at least 1')
    if args.max_pixels < 0 or args.max_image_pixels < 0:
        sys.exit('--max-pixels and --max-image-pixels must be >= 0')
    # read_image checks sizes against --max-image-pixels instead.
    Image.MAX_IMAGE_PIXELS = None
    kind, inputs = list_inputs(args.input)
    try:
        model = load_model(args)
    except (CheckpointError, ValueError) as err:
        sys.exit(f'{type(err).__name__}: {err}')
    align = model.data_preprocessor.pad_size_divisor
    if args.tile_size < align or args.tile_size % align:
        sys.exit(f'--tile-size must be a positive multiple of {align}')
    if not 0 <= args.tile_overlap <= args.tile_size - align:
        sys.exit(f'--tile-overlap must be in [0, {args.tile_size - align}]')
    counter = Counter(model, args)
    os.makedirs(args.out_dir, exist_ok=True)
    counts = CountsFile(args.out_dir, run_record(args), args.overwrite)
    failures, problems = [], []
    try:
        if kind == 'video':
            read, declared = count_video(counter, inputs, counts, args)
            sources = [f'{inputs}#{i}' for i in range(0, read, args.every)]
            print(summary(counts, sources, 'frame'))
            if declared and read != declared:
                problems.append(
                    f'{inputs}: read {read} of the {declared} frames its '
                    'container declares; the file may be truncated or '
                    'damaged, so frames are missing from the counts')
        else:
            failures = count_images(counter, inputs, counts, args)
            if len(inputs) == 1 and not failures:
                print(f'{inputs[0]}: {counts.counts[inputs[0]]:.1f} people')
            else:
                print(summary(counts, inputs, 'image') +
                      f'; {len(failures)} failure(s)')
    finally:
        counts.close()
    print(f'counts written to {counts.path}, head points to '
          f'{counts.points_path}')
    for path, err in failures:
        print(f'could not count {path}: {err}', file=sys.stderr)
    for problem in problems:
        print(f'warning: {problem}', file=sys.stderr)
    if failures:
        sys.exit(f'{len(failures)} file(s) could not be counted')
    if problems:
        sys.exit(f'{len(problems)} video(s) were not read to the end')


if __name__ == '__main__':
    main()
