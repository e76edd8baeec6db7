"""``tools/infer.py`` over a folder with one broken image.

It must count every good image, name the broken one, and exit non-zero
only after the others are written.
"""
import csv

import numpy as np
import pytest
from PIL import Image
from reliability_helpers import DEMO_CONFIG, run_tool, save_demo_checkpoint

from hsrcount.apis import inference_model


def test_infer_counts_good_files_and_names_the_broken_one(tmp_path):
    checkpoint = tmp_path / 'demo.pth'
    model = save_demo_checkpoint(checkpoint)
    folder = tmp_path / 'photos'
    folder.mkdir()
    rng = np.random.default_rng(0)
    good = []
    for name, shape in (('a.png', (16, 20, 3)), ('c.jpg', (24, 16, 3))):
        Image.fromarray(rng.integers(0, 256, shape, np.uint8)).save(
            folder / name)
        good.append(str(folder / name))
    broken = folder / 'b.jpg'
    broken.write_bytes(rng.bytes(300))
    out_dir = tmp_path / 'out'

    # float32, as the in-process model below (the CPU default is bf16).
    proc = run_tool('infer.py', DEMO_CONFIG, checkpoint, folder,
                    '--out-dir', out_dir, '--fp32')

    assert proc.returncode != 0
    assert f'could not count {broken}' in proc.stderr
    assert 'cannot decode image' in proc.stderr
    assert '1 file(s) could not be counted' in proc.stderr
    with open(out_dir / 'counts.csv', newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0] == ['source', 'count']
    counts = {source: float(count) for source, count in rows[1:]}
    assert sorted(counts) == good
    for path in good:
        # The same weights in this process give the same count.
        expected = inference_model(model, path).pred_count
        assert counts[path] == pytest.approx(expected, abs=1e-3)
    assert sorted(p.name for p in out_dir.glob('*.jpg')) == ['a.jpg', 'c.jpg']
