import json

import numpy as np
import pytest

from hsrcount.evaluation.metrics.count_dump import write_counts
from projects.hsrnet_paper.analysis.count_groups import (group_by_count,
                                                         groups_markdown,
                                                         load_model_counts,
                                                         plot_count_groups)
from .helpers import load_tool


def _records(gt, pred):
    return [dict(img_path=f'img_{i:02d}.jpg', gt_count=g, pred_count=p)
            for i, (g, p) in enumerate(zip(gt, pred))]


@pytest.fixture
def counts_files(tmp_path):
    rng = np.random.default_rng(0)
    gt = rng.integers(1, 500, 12).astype(float)
    pred_a = gt + rng.normal(0, 5, 12)
    pred_b = gt * 0.8
    a, b = tmp_path / 'a.json', tmp_path / 'b.csv'
    # The two files list the images in different orders.
    write_counts(_records(gt, pred_a), str(a))
    write_counts(_records(gt, pred_b)[::-1], str(b))
    return dict(A=str(a), B=str(b)), gt, dict(A=pred_a, B=pred_b)


def test_groups_match_an_independent_split(counts_files):
    files, gt, preds = counts_files
    gt_by_img, pred_by_img = load_model_counts(files)
    groups = group_by_count(gt_by_img, pred_by_img, 5)
    # 12 images in 5 groups: sizes 3, 3, 2, 2, 2, sparsest first.
    assert [len(g['images']) for g in groups] == [3, 3, 2, 2, 2]
    order = np.argsort(gt, kind='stable')
    bounds = [0, 3, 6, 8, 10, 12]
    for g, lo, hi in zip(groups, bounds[:-1], bounds[1:]):
        idx = order[lo:hi]
        assert g['gt_min'] == gt[idx].min() and g['gt_max'] == gt[idx].max()
        assert g['gt_mean'] == pytest.approx(gt[idx].mean())
        for name in ('A', 'B'):
            assert g['pred_mean'][name] == pytest.approx(
                preds[name][idx].mean())
            assert g['mae'][name] == pytest.approx(
                np.abs(preds[name][idx] - gt[idx]).mean())
    # Consecutive groups do not overlap in GT count.
    assert all(a['gt_max'] <= b['gt_min'] for a, b in zip(groups, groups[1:]))


def test_ties_are_split_by_path():
    gt = {'b.jpg': 5.0, 'a.jpg': 5.0, 'c.jpg': 1.0, 'd.jpg': 5.0}
    groups = group_by_count(gt, {'m': dict(gt)}, 2)
    assert [g['images'] for g in groups] == [['c.jpg', 'a.jpg'],
                                             ['b.jpg', 'd.jpg']]


def test_bars_and_table_show_the_group_numbers(counts_files, tmp_path):
    gt_by_img, pred_by_img = load_model_counts(counts_files[0])
    groups = group_by_count(gt_by_img, pred_by_img, 5)
    drawn = plot_count_groups(groups, str(tmp_path / 'fig6.png'))
    assert list(drawn) == ['GT', 'A', 'B']
    assert drawn['GT'] == pytest.approx([g['gt_mean'] for g in groups])
    assert drawn['B'] == pytest.approx([g['pred_mean']['B'] for g in groups])
    lines = groups_markdown(groups, precision=2).strip().splitlines()
    assert len(lines) == 2 + 5
    cells = [c.strip() for c in lines[2].strip('|').split('|')]
    g = groups[0]
    assert cells == ['1', '3', f'{g["gt_min"]:.2f}–{g["gt_max"]:.2f}',
                     f'{g["gt_mean"]:.2f}', f'{g["pred_mean"]["A"]:.2f}',
                     f'{g["mae"]["A"]:.2f}', f'{g["pred_mean"]["B"]:.2f}',
                     f'{g["mae"]["B"]:.2f}']


def test_different_images_is_an_error(tmp_path):
    write_counts(_records([1, 2, 3], [1, 2, 3]), str(tmp_path / 'a.json'))
    write_counts(_records([1, 2], [1, 2]), str(tmp_path / 'b.json'))
    with pytest.raises(ValueError, match=r'list different images: 0 only in '
                       r'.*b.json .*1 only in .*a.json .*img_02.jpg'):
        load_model_counts(dict(a=str(tmp_path / 'a.json'),
                               b=str(tmp_path / 'b.json')))


def test_gt_disagreement_and_duplicates_are_errors(tmp_path):
    write_counts(_records([1, 2], [1, 2]), str(tmp_path / 'a.json'))
    write_counts(_records([1, 3], [1, 2]), str(tmp_path / 'b.json'))
    with pytest.raises(ValueError, match='disagree on the GT count of '
                       'img_01.jpg'):
        load_model_counts(dict(a=str(tmp_path / 'a.json'),
                               b=str(tmp_path / 'b.json')))
    (tmp_path / 'd.json').write_text(json.dumps(_records([1], [1]) * 2))
    with pytest.raises(ValueError, match='img_00.jpg is listed twice'):
        load_model_counts(dict(d=str(tmp_path / 'd.json')))


def test_fewer_images_than_groups_is_an_error():
    with pytest.raises(ValueError, match='3 images cannot fill 5 groups'):
        group_by_count({'a': 1, 'b': 2, 'c': 3}, {}, 5)


def test_cli_writes_figure_and_numbers(counts_files, tmp_path, monkeypatch):
    tool = load_tool('paper_fig6')
    out = tmp_path / 'fig6.png'
    files = counts_files[0]
    monkeypatch.setattr('sys.argv', [
        'paper_fig6.py', '--models', f'A={files["A"]}', f'B={files["B"]}',
        '--groups', '3', '--out', str(out)])
    tool.main()
    assert out.stat().st_size > 0
    table = (tmp_path / 'fig6.md').read_text().strip().splitlines()
    assert len(table) == 2 + 3
