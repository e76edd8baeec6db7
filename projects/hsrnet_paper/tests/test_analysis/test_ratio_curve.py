import matplotlib
import pytest

from projects.hsrnet_paper.analysis.ratio_curve import (collect_ratio_points,
                                                        parse_ratio_key,
                                                        plot_ratio_curves)
from .helpers import load_tool, write_metrics_json, write_work_dir


def test_parse_ratio_key():
    assert parse_ratio_key('64') == (64, None)
    assert parse_ratio_key('16@Part A') == (16, 'Part A')
    for bad in ('0', 'x@A', '-4'):
        with pytest.raises(ValueError, match='positive integer'):
            parse_ratio_key(bad)


def test_points_sorted_by_ratio_per_series(tmp_path):
    runs = {
        '64@A': write_metrics_json(tmp_path / 'a64', 2.0, 3.0),
        '16@A': write_work_dir(tmp_path / 'a16', [
            {'MAE': 9.0, 'MSE': 9.5, 'step': 1},
            {'MAE': 4.0, 'MSE': 6.0, 'step': 2}]),
        '256@A': write_metrics_json(tmp_path / 'a256', 5.0, 7.0),
        '64@B': write_metrics_json(tmp_path / 'b64', 0.5, 0.75),
    }
    series = collect_ratio_points(runs)
    assert list(series) == ['A', 'B']
    assert series['A'] == [(16, 4.0, 6.0), (64, 2.0, 3.0), (256, 5.0, 7.0)]
    assert series['B'] == [(64, 0.5, 0.75)]


def test_plot_returns_the_drawn_values_on_a_log2_axis(tmp_path, monkeypatch):
    series = {'A': [(16, 4.0, 6.0), (64, 2.0, 3.0)], 'B': [(64, 1.0, 1.5)]}
    axes_seen = []
    real_savefig = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        axes_seen.extend(fig.axes)
        return real_savefig(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, 'savefig', spy)
    out = tmp_path / 'fig4.png'
    drawn = plot_ratio_curves(series, str(out))
    assert out.stat().st_size > 0
    assert drawn['A'] == dict(x=[16, 64], MAE=[4.0, 2.0], MSE=[6.0, 3.0])
    assert drawn['B'] == dict(x=[64], MAE=[1.0], MSE=[1.5])
    ax_mae, ax_mse = axes_seen
    assert ax_mae.get_xscale() == 'log'
    assert ax_mae.xaxis.get_transform().base == 2
    assert [list(line.get_ydata()) for line in ax_mse.lines] == [[6.0, 3.0],
                                                                [1.5]]


def test_missing_run_is_left_out_with_a_warning(tmp_path):
    runs = {'16': write_metrics_json(tmp_path / 'r16', 4.0, 6.0),
            '32': str(tmp_path / 'not_trained')}
    with pytest.warns(UserWarning, match="run '32'"):
        series = collect_ratio_points(runs)
    assert series == {None: [(16, 4.0, 6.0)]}


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.warns(UserWarning), pytest.raises(ValueError,
                                                  match='no run has'):
        collect_ratio_points({'16': str(tmp_path / 'absent')})


def test_repeated_ratio_is_an_error(tmp_path):
    wd = write_metrics_json(tmp_path / 'r', 1.0, 1.0)
    with pytest.raises(ValueError, match='given twice'):
        collect_ratio_points({'16@A': wd, '016@A': wd})


def test_cli(tmp_path, monkeypatch, capsys):
    tool = load_tool('paper_fig4')
    a = write_metrics_json(tmp_path / 'a', 3.0, 4.0)
    b = write_metrics_json(tmp_path / 'b', 2.0, 2.5)
    out = tmp_path / 'fig4.png'
    monkeypatch.setattr('sys.argv', ['paper_fig4.py', '--runs', f'128={a}',
                                     f'8={b}', '--out', str(out)])
    tool.main()
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ['-\tr=8\tMAE=2.00\tMSE=2.50',
                           '-\tr=128\tMAE=3.00\tMSE=4.00']
    assert out.stat().st_size > 0
