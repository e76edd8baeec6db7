"""The prediction files the benchmarks take: NWPU-Crowd and JHU-Crowd++.

``tools/test.py CONFIG CKPT --format-only`` swaps a config's test metrics
for its ``format_evaluator``, a :class:`CountSubmissionMetric`, so a split
without ground truth (NWPU-Crowd test) can be predicted and submitted.
"""
import os.path as osp
import re

from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from hsrcount.registry import METRICS
from hsrcount.utils import atomic_write

#: Benchmark name to the number of images its test split has.
BENCHMARKS = dict(nwpu=1500, jhu=1600)


def image_id(img_path, benchmark):
    """The id a benchmark's file names an image by: its file stem.

    NWPU-Crowd ids are numbers (``3610``); a stem that is not one is an
    error naming the file.
    """
    stem = osp.splitext(osp.basename(img_path))[0]
    if benchmark == 'nwpu' and not re.fullmatch(r'\d+', stem):
        raise ValueError(f'{img_path}: NWPU-Crowd submissions name images by '
                         f'number, this file name is not one')
    return stem


def format_submission(records, benchmark):
    """The text of a prediction file, one line per image, sorted by id.

    - ``'nwpu'``: ``<id> <count>``, e.g. ``3610 100.0000``, the counting
      submission of crowdbenchmark.com (one line per test image).
    - ``'jhu'``: ``<image name> <count>``, e.g. ``0001 12.5000``, one line
      per image of the split.

    Args:
        records (list[tuple[str, float]]): ``(id, predicted count)`` pairs.
        benchmark (str): ``'nwpu'`` or ``'jhu'``.

    Returns:
        str: The file's text.

    Raises:
        ValueError: If an id appears twice.
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f'benchmark must be one of {sorted(BENCHMARKS)}, '
                         f'got {benchmark!r}')
    ids = [i for i, _ in records]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f'image id(s) {dup} predicted more than once')

    def order(item):
        return (int(item[0]), item[0]) if item[0].isdigit() else (
            float('inf'), item[0])

    return ''.join(f'{i} {count:.4f}\n'
                   for i, count in sorted(records, key=order))


def read_submission(path):
    """Read a file written by :func:`format_submission`.

    Returns:
        dict[str, float]: Image id to predicted count.

    Raises:
        ValueError: If a line is not ``<id> <count>`` or an id repeats;
            names the file and line.
    """
    counts = {}
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            try:
                if len(fields) != 2:
                    raise ValueError
                count = float(fields[1])
            except ValueError:
                raise ValueError(f'{path}, line {line_no}: expected "<id> '
                                 f'<count>", got {line.strip()!r}') from None
            if fields[0] in counts:
                raise ValueError(f'{path}, line {line_no}: image '
                                 f'{fields[0]} appears twice')
            counts[fields[0]] = count
    return counts


@METRICS.register_module()
class CountSubmissionMetric(BaseMetric):
    """Write each image's predicted count in a benchmark's file format.

    Needs no ground truth. Records from all ranks are gathered before rank
    0 writes the file, atomically. Reports no metric. A file for NWPU-Crowd
    whose number of lines is not the test split's (1500) is written all the
    same, with a log line, since the val split can be formatted too.

    Args:
        benchmark (str): ``'nwpu'`` or ``'jhu'`` (see
            :func:`format_submission`).
        out_file (str): The file to write.
        collect_device (str): Device used to gather results across ranks.
    """

    def __init__(self, benchmark, out_file, collect_device='cpu'):
        if benchmark not in BENCHMARKS:
            raise ValueError(f'benchmark must be one of {sorted(BENCHMARKS)}, '
                             f'got {benchmark!r}')
        super().__init__(collect_device=collect_device)
        self.benchmark = benchmark
        self.out_file = out_file

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            img_path = sample.get('img_path')
            count = sample.get('pred_count')
            if img_path is None or count is None:
                missing = 'img_path' if img_path is None else 'pred_count'
                raise KeyError(f'CountSubmissionMetric: the prediction of '
                               f'{img_path or "an image"} has no {missing}')
            self.results.append((image_id(img_path, self.benchmark),
                                 float(count)))

    def compute_metrics(self, results):
        atomic_write(format_submission(results, self.benchmark),
                     self.out_file)
        expected = BENCHMARKS[self.benchmark]
        note = '' if len(results) == expected else (
            f' (the {self.benchmark} test split has {expected})')
        print_log(f'wrote {len(results)} predictions{note} to '
                  f'{self.out_file}', logger='current')
        return {}
