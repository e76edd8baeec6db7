"""Write per-image counts to a JSON or CSV file (``tools/test.py --out``)."""
import csv
import io
import json

from mmengine.evaluator import BaseMetric

from hsrcount.registry import METRICS
from hsrcount.utils import atomic_write

COLUMNS = ('img_path', 'gt_count', 'pred_count')


def _field(sample, key):
    """``sample[key]`` of a data sample or its dict; KeyError naming the
    image when the field is missing."""
    value = sample.get(key) if isinstance(sample, dict) else sample.get(key)
    if value is None:
        img_path = sample.get('img_path') if key != 'img_path' else None
        raise KeyError(f'CountDumpMetric: the prediction of '
                       f'{img_path or "an image"} has no {key!r}')
    return value


def write_counts(records, out_file):
    """Write count records as JSON (a list of objects) or CSV, atomically:
    an interrupted run leaves the previous file or none, never half of one.

    Args:
        records (list[dict]): Each with ``img_path``, ``gt_count`` and
            ``pred_count``.
        out_file (str): A ``.json`` or ``.csv`` path.
    """
    if out_file.endswith('.json'):
        text = json.dumps(records, indent=1)
    else:
        buffer = io.StringIO(newline='')
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)
        text = buffer.getvalue()
    atomic_write(text, out_file)


def read_counts(path):
    """Read a file written by :func:`write_counts`.

    Returns:
        list[dict]: ``img_path`` (str), ``gt_count`` and ``pred_count``
        (float) per image.

    Raises:
        ValueError: If the file is neither .json nor .csv, or a record lacks
            a column.
    """
    if path.endswith('.json'):
        with open(path) as f:
            records = json.load(f)
    elif path.endswith('.csv'):
        with open(path, newline='') as f:
            records = list(csv.DictReader(f))
    else:
        raise ValueError(f'{path}: counts file must be .json or .csv')
    for i, record in enumerate(records):
        missing = [c for c in COLUMNS if c not in record]
        if missing:
            raise ValueError(f'{path}: record {i} lacks {missing}')
        record['gt_count'] = float(record['gt_count'])
        record['pred_count'] = float(record['pred_count'])
    return records


@METRICS.register_module()
class CountDumpMetric(BaseMetric):
    """Collect each image's GT and predicted count and write them to a file.

    Works like any metric, so records from all ranks are gathered before the
    file is written once, by rank 0. It reports no metric of its own.

    Args:
        out_file (str): A ``.json`` or ``.csv`` path.
        collect_device (str): Device used to gather results across ranks.
    """

    # It reports no key; '' (not None) stops MMEngine's "prefix is not
    # set" warning.
    default_prefix = ''

    def __init__(self, out_file, collect_device='cpu'):
        if not out_file.endswith(('.json', '.csv')):
            raise ValueError(f'out_file must end in .json or .csv, got '
                             f'{out_file}')
        super().__init__(collect_device=collect_device)
        self.out_file = out_file

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.results.append(
                dict(
                    img_path=_field(sample, 'img_path'),
                    gt_count=float(_field(sample, 'gt_count')),
                    pred_count=float(_field(sample, 'pred_count'))))

    def compute_metrics(self, results):
        write_counts(results, self.out_file)
        return {}
