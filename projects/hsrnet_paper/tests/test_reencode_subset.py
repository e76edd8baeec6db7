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


def _pixels(path):
    with Image.open(path) as img:
        return img.mode, np.asarray(img, np.float64)


def test_subset_reencoded_with_annotations(tool, tmp_path):
    src = tmp_path / 'part_B'
    img_dir, _ = make_shanghaitech_part(src, ids=(1, 2, 3, 4))
    rng = np.random.default_rng(0)
    # Image i is grey level 50 * i under noise (so that a lower quality
    # gives a smaller file, and each copy can be told from the others);
    # IMG_4 is a greyscale file.
    for i in (1, 2, 3, 4):
        shape = (40, 48) if i == 4 else (40, 48, 3)
        img = np.clip(50 * i + rng.integers(-20, 21, shape), 0, 255)
        Image.fromarray(img.astype(np.uint8)).save(img_dir / f'IMG_{i}.jpg',
                                                   quality=95)
    subsets = {}
    for seed in range(6):
        dst = tmp_path / f'seed{seed}' / 'part_B'
        tool.main([str(src), str(dst), '--splits', 'train', '--quality',
                   '20', '--max-images', '3', '--seed', str(seed)])
        out = dst / 'train_data'
        names = sorted(p.name for p in (out / 'images').iterdir())
        ids = sorted(int(name[4:-4]) for name in names)
        assert len(ids) == 3 and set(ids) <= {1, 2, 3, 4}
        assert sorted(p.name for p in (out / 'ground-truth').iterdir()) == \
            [f'GT_IMG_{i}.mat' for i in ids]
        subsets[seed] = ids
        for i in ids:
            new = out / 'images' / f'IMG_{i}.jpg'
            old = img_dir / f'IMG_{i}.jpg'
            (mode, after), (mode_before, before) = _pixels(new), _pixels(old)
            assert mode == mode_before and after.shape == before.shape
            # The same picture, re-encoded: far closer to its source than
            # the 50 grey levels between two sources.
            assert np.abs(after - before).mean() < 15
            assert osp.getsize(new) < osp.getsize(old)
            np.testing.assert_array_equal(
                load_shanghaitech_mat(str(out / 'ground-truth' /
                                          f'GT_IMG_{i}.mat')),
                load_shanghaitech_mat(str(src / 'train_data' /
                                          'ground-truth' / f'GT_IMG_{i}.mat')))
    # A seed gives its subset again; the seeds do not all give one subset,
    # and every image is drawn by some seed.
    again = tmp_path / 'again' / 'part_B'
    tool.main([str(src), str(again), '--splits', 'train', '--quality', '20',
               '--max-images', '3', '--seed', '2'])
    assert sorted(int(p.stem[4:]) for p in
                  (again / 'train_data' / 'images').iterdir()) == subsets[2]
    assert len({tuple(ids) for ids in subsets.values()}) > 1
    assert set().union(*subsets.values()) == {1, 2, 3, 4}


def test_missing_annotation_named(tool, tmp_path):
    src = tmp_path / 'part_A'
    _, gt_dir = make_shanghaitech_part(src, ids=(1, 2))
    (gt_dir / 'GT_IMG_2.mat').unlink()
    with pytest.raises(FileNotFoundError, match='GT_IMG_2.mat'):
        tool.main([str(src), str(tmp_path / 'out'), '--splits', 'train'])
