"""projects/hsrnet_paper/tools/reencode_subset.py on a fake ShanghaiTech
part."""

import os.path as osp

import numpy as np
import pytest
from PIL import Image

from hsrcount.datasets.shanghaitech import load_shanghaitech_mat
from projects.hsrnet_paper.tools import reencode_subset
from tests.fake_releases import make_shanghaitech_part


@pytest.fixture(scope='module')
def tool():
    return reencode_subset


def test_subset_reencoded_with_annotations(tool, tmp_path):
    src = tmp_path / 'part_B'
    img_dir, _ = make_shanghaitech_part(src, ids=(1, 2, 3, 4))
    rng = np.random.default_rng(0)
    # Noisy pictures, so that a lower quality gives smaller files; one grey.
    for i in (1, 2, 3):
        Image.fromarray(rng.integers(0, 256, (40, 48, 3), np.uint8)).save(
            img_dir / f'IMG_{i}.jpg', quality=95)
    Image.fromarray(rng.integers(0, 256, (40, 48), np.uint8)).save(
        img_dir / 'IMG_4.jpg', quality=95)
    dst = tmp_path / 'small' / 'part_B'
    tool.main([str(src), str(dst), '--splits', 'train', '--quality', '20',
               '--max-images', '3', '--seed', '1'])
    out = dst / 'train_data'
    ids = sorted(int(p.stem[4:]) for p in (out / 'images').iterdir())
    assert ids == tool.choose_subset([1, 2, 3, 4], 3, 1)
    assert len(ids) == 3
    for i in ids:
        before = Image.open(img_dir / f'IMG_{i}.jpg')
        after = Image.open(out / 'images' / f'IMG_{i}.jpg')
        assert (after.size, after.mode) == (before.size, before.mode)
        assert (osp.getsize(out / 'images' / f'IMG_{i}.jpg') <
                osp.getsize(img_dir / f'IMG_{i}.jpg'))
        np.testing.assert_array_equal(
            load_shanghaitech_mat(str(out / 'ground-truth' /
                                      f'GT_IMG_{i}.mat')),
            load_shanghaitech_mat(str(src / 'train_data' / 'ground-truth' /
                                      f'GT_IMG_{i}.mat')))


def test_missing_annotation_named(tool, tmp_path):
    src = tmp_path / 'part_A'
    _, gt_dir = make_shanghaitech_part(src, ids=(1, 2))
    (gt_dir / 'GT_IMG_2.mat').unlink()
    with pytest.raises(FileNotFoundError, match='GT_IMG_2.mat'):
        tool.main([str(src), str(tmp_path / 'out'), '--splits', 'train'])
