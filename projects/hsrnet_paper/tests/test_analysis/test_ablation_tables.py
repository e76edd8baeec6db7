import pytest

from projects.hsrnet_paper.analysis.ablation_tables import (TABLE5_ROWS,
                                                            TABLE6_ROWS,
                                                            collect_table5,
                                                            collect_table6,
                                                            table5_markdown,
                                                            table6_markdown)
from .helpers import load_tool, write_metrics_json, write_work_dir


def _rows(markdown):
    """Markdown table -> list of cell lists (header and separator dropped)."""
    lines = markdown.strip().splitlines()[2:]
    return [[c.strip() for c in line.strip('|').split('|')] for line in lines]


def test_table5_cells_come_from_the_runs(tmp_path):
    runs = {
        'backbone': write_work_dir(tmp_path / 'b', [
            {'MAE': 20.0, 'MSE': 30.0, 'step': 10},
            {'MAE': 11.256, 'MSE': 17.5, 'step': 20}]),
        'sf': write_metrics_json(tmp_path / 'sf', 9.5, 14.25),
        'sc': write_work_dir(tmp_path / 'sc', [
            {'MAE': 8.0, 'MSE': 15.0, 'step': 20}]),
    }
    with pytest.warns(UserWarning) as record:
        rows = collect_table5(runs)
    # The three rows without a run warn, by name.
    warned = sorted(str(w.message).split("'")[1] for w in record)
    assert warned == ['cf', 'sfm', 'srm']
    cells = _rows(table5_markdown(rows, precision=2))
    assert len(cells) == len(TABLE5_ROWS)
    by_key = dict(zip([k for k, _ in TABLE5_ROWS], cells))
    # Last validation record of the backbone run; metrics.json of sf.
    assert by_key['backbone'] == ['✓', '×', '×', '×', '×', '11.26', '17.50']
    assert by_key['sf'] == ['✓', '✓', '×', '✓', '×', '9.50', '**14.25**']
    assert by_key['sc'] == ['✓', '✓', '✓', '✓', '✓', '**8.00**', '15.00']
    assert by_key['srm'] == ['✓', '✓', '×', '×', '×', '—', '—']
    assert by_key['sfm'][:5] == ['✓', '✓', '✓', '✓', '×']


def test_table5_header_is_the_papers():
    with pytest.warns(UserWarning):
        text = table5_markdown(collect_table5({}))
    header = [c.strip() for c in text.splitlines()[0].strip('|').split('|')]
    assert header == ['Backbone', 'SRM', 'CF', 'SF', 'SC', 'MAE', 'MSE']
    assert all(row[5:] == ['—', '—'] for row in _rows(text))


def test_table5_unknown_key_is_an_error():
    with pytest.raises(ValueError, match=r"unknown run key\(s\) \['srn'\]"):
        collect_table5({'srn': 'x'})


def test_table6_rows_by_dataset(tmp_path):
    runs = {
        'channel_spatial@A': write_metrics_json(tmp_path / 'ca', 62.3, 100.3),
        'channel_spatial@B': write_metrics_json(tmp_path / 'cb', 7.2, 11.8),
        'spatial_channel@A': write_metrics_json(tmp_path / 'sa', 64.9, 108.3),
    }
    with pytest.warns(UserWarning):
        rows = collect_table6(runs)
    cells = _rows(table6_markdown(rows, precision=1))
    labels = [label for _, label in TABLE6_ROWS]
    assert [c[0] for c in cells] == labels
    by_key = dict(zip([k for k, _ in TABLE6_ROWS], cells))
    assert by_key['channel_spatial'][1:] == ['**62.3**', '**100.3**',
                                             '**7.2**', '**11.8**']
    assert by_key['spatial_channel'][1:] == ['64.9', '108.3', '—', '—']
    assert by_key['parallel_conv'][1:] == ['—'] * 4


def test_table6_key_needs_a_dataset():
    with pytest.raises(ValueError, match='unknown run key'):
        collect_table6({'channel_spatial': 'x'})


def test_paper_tables_cli_writes_markdown(tmp_path, monkeypatch, capsys):
    paper_tables = load_tool('paper_tables')
    wd = write_metrics_json(tmp_path / 'sc', 1.5, 2.5)
    out = tmp_path / 't5.md'
    monkeypatch.setattr('sys.argv', [
        'paper_tables.py', '--table', '5', '--runs', f'sc={wd}',
        f'srm={tmp_path / "missing"}', '--out', str(out)])
    paper_tables.main()
    cells = _rows(out.read_text())
    assert cells[-1][5:] == ['**1.50**', '**2.50**']
    assert cells[1][5:] == ['—', '—']
    printed = capsys.readouterr().out
    assert "warning: run 'srm'" in printed
