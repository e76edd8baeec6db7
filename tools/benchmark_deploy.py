"""CPU latency of one image: PyTorch and onnxruntime, side by side.

Three ways to count one image, timed in one process on the same images
with the same number of threads:

- ``PyTorch fp32``: ``init_model(..., fast_paths=None)``;
- ``PyTorch default``: ``init_model``'s CPU defaults, channels-last and
  (on a CPU with native bf16) bf16 autocast;
- ``onnxruntime fp32``: the model exported by ``tools/export.py``'s code and
  run by :class:`hsrcount.deployment.OnnxCounter`.

Each is timed end to end as a user calls it, ``inference_model(model,
image)`` on a decoded (H, W, 3) image (pipeline, network, point
extraction): one untimed warm-up call, then ``--repeats`` calls, of which
the median (and the fastest) is reported. The modes take turns within each
repetition, so a burst of load on a shared machine hits all of them. The
images are synthetic crowds (``draw_crowd``) of ``--sizes`` (width x
height). The table names the CPU (``/proc/cpuinfo``), the threads and the
load average before and after, and is printed and, with ``--md``, written
into a section of that Markdown file.

Without ``--checkpoint`` the config's model keeps PyTorch's initial weights
(latency does not depend on the values; nothing is downloaded).

Example:
    python tools/benchmark_deploy.py configs/hsrnet/hsrnet_shtech_b.py \
        --sizes 512x512 1024x768 --repeats 10 --md docs/deploy.md
"""
import argparse
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

SECTION = 'CPU latency: PyTorch and onnxruntime'
MODES = ('PyTorch fp32', 'PyTorch default', 'onnxruntime fp32')


def parse_size(text: str) -> tuple:
    """``'1024x768'`` (width x height) -> ``(768, 1024)`` (H, W)."""
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'size {text!r} is not WIDTHxHEIGHT, e.g. 1024x768') from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f'size {text!r}: at least 16x16')
    return height, width


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='CPU latency of PyTorch and onnxruntime, side by side')
    parser.add_argument('config', help='config file')
    parser.add_argument('--checkpoint', help='weights (.pth or '
                        '.safetensors); default: initial weights')
    parser.add_argument('--sizes', nargs='+', type=parse_size,
                        default=[(512, 512), (768, 1024)],
                        metavar='WxH', help='image sizes, width x height '
                        '(default 512x512 1024x768)')
    parser.add_argument('--repeats', type=int, default=10,
                        help='timed calls per mode and size (default 10)')
    parser.add_argument('--threads', type=int, default=os.cpu_count(),
                        help='threads for PyTorch and onnxruntime alike '
                        '(default: all cores)')
    parser.add_argument('--md', help='write/update the section of this '
                        'Markdown file with the result')
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    if args.threads < 1:
        parser.error('--threads must be >= 1')
    return args


def cpu_name(cpuinfo: str = '/proc/cpuinfo') -> str:
    """The CPU's model name, or the platform's description."""
    try:
        with open(cpuinfo) as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_counters(args, onnx_path: str) -> dict:
    """The three counters of :data:`MODES`."""
    import onnxruntime as ort
    import torch

    from hsrcount.apis import init_model
    from hsrcount.apis.fast_paths import default_fast_paths
    from hsrcount.deployment import OnnxCounter, export_onnx

    torch.set_num_threads(args.threads)
    plain = init_model(args.config, args.checkpoint, fast_paths=None)
    with warnings.catch_warnings():  # the tracer's notes on shape checks
        warnings.simplefilter('ignore')
        export_onnx(plain, onnx_path, config_text=plain.cfg.pretty_text)
    fast = init_model(args.config, args.checkpoint)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    return {
        MODES[0]: plain,
        MODES[1]: fast,
        MODES[2]: OnnxCounter(onnx_path, session_options=options),
        'defaults': default_fast_paths('cpu'),
    }


def measure(counters: dict, images: list, repeats: int) -> dict:
    """Seconds per call of each mode on each image.

    Returns:
        dict: ``{(mode, index): [seconds, ...]}`` and ``('count', mode,
        index)`` -> the count each mode gave.
    """
    from hsrcount.apis import inference_model
    times = {}
    for index, image in enumerate(images):
        for mode in MODES:  # warm-up: first-call set-up is not latency
            result = inference_model(counters[mode], image)
            times[('count', mode, index)] = result.pred_count
        for _ in range(repeats):
            for mode in MODES:
                start = time.perf_counter()
                inference_model(counters[mode], image)
                times.setdefault((mode, index), []).append(
                    time.perf_counter() - start)
    return times


def report(args, times: dict, defaults: dict, load_before, load_after,
           versions: dict) -> list:
    """The Markdown lines of the result."""
    amp = defaults.get('amp')
    default_name = ' + '.join(filter(None, [
        amp, 'channels-last' if defaults.get('channels_last') else None
    ])) or 'fp32'
    command = 'python tools/benchmark_deploy.py ' + ' '.join(args.argv)
    lines = [
        f'Measured with `{command}` on {cpu_name()} ({os.cpu_count()} '
        f'cores seen), {args.threads} thread(s) for each runtime; '
        f'{versions}. Load average (1 min) {load_before:.2f} before, '
        f'{load_after:.2f} after.',
        '',
        'Milliseconds per image, end to end (`inference_model`: pipeline, '
        f'network, head points), median of {args.repeats} (fastest in '
        f'brackets). PyTorch default here is {default_name}.',
        '',
        '| image (W x H) | ' + ' | '.join(MODES) +
        ' | onnxruntime speed-up vs fp32 / vs default '
        '| count: PyTorch fp32 / onnxruntime |',
        '|---|' + '---:|' * (len(MODES) + 2),
    ]
    for index, (height, width) in enumerate(args.sizes):
        cells, medians = [], {}
        for mode in MODES:
            samples = times[(mode, index)]
            medians[mode] = statistics.median(samples)
            cells.append(f'{medians[mode] * 1e3:.1f} '
                         f'({min(samples) * 1e3:.1f})')
        speed_up = ' / '.join(
            f'{medians[mode] / medians[MODES[2]]:.2f}x'
            for mode in MODES[:2])
        # Same weights, same float32 arithmetic up to the order of sums.
        counts = ' / '.join(f'{times[("count", mode, index)]:.4f}'
                            for mode in (MODES[0], MODES[2]))
        lines.append(f'| {width} x {height} | ' + ' | '.join(cells) +
                     f' | {speed_up} | {counts} |')
    return lines


def main(argv=None):
    args = parse_args(argv)
    try:
        import onnxruntime
    except ImportError:
        sys.exit('benchmark_deploy needs onnx and onnxruntime: pip install '
                 '"hsrcount[deploy]"')
    import torch

    from hsrcount.datasets.synthetic import draw_crowd
    rng = np.random.default_rng(0)
    images = []
    for height, width in args.sizes:
        heads = max(1, height * width // 2000)
        images.append(draw_crowd(rng, (height, width), heads)[0])
    with tempfile.TemporaryDirectory() as tmp:
        counters = build_counters(args, osp.join(tmp, 'model.onnx'))
        load_before = os.getloadavg()[0]
        times = measure(counters, images, args.repeats)
        load_after = os.getloadavg()[0]
    versions = (f'torch {torch.__version__}, onnxruntime '
                f'{onnxruntime.__version__}')
    lines = report(args, times, counters['defaults'], load_before,
                   load_after, versions)
    print('\n'.join(lines))
    if args.md:
        from hsrcount.utils.markdown import update_markdown_section
        update_markdown_section(args.md, SECTION, lines)
        print(f'\nwrote the section "{SECTION}" of {args.md}')


if __name__ == '__main__':
    main()
