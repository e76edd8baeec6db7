"""Figure 4 of the paper: MAE and MSE against the channel-focus ratio r.

Each run's final validation MAE/MSE is read from its work dir
(``metrics.json`` if present, else the last validation record of
``*/vis_data/scalars.json``).

Example:
    python -m projects.hsrnet_paper.tools.paper_fig4 \
        --runs 16@A=work_dirs/a_r16 \
        64@A=work_dirs/a_r64 16@B=work_dirs/b_r16 64@B=work_dirs/b_r64 \
        --out fig4.png
"""
import argparse

from projects.hsrnet_paper.analysis import (collect_ratio_points,
                                            parse_run_specs, plot_ratio_curves)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Plot MAE and MSE against the channel-focus ratio')
    parser.add_argument('--runs', nargs='+', required=True,
                        metavar='R[@SERIES]=WORK_DIR',
                        help='ratio (and optional series, e.g. a dataset) '
                        'and the work dir of its run')
    parser.add_argument('--select', choices=['last', 'best'], default='last',
                        help='which validation record of a run counts')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--out', default='fig4.png', help='output PNG')
    return parser.parse_args()


def main():
    args = parse_args()
    series = collect_ratio_points(parse_run_specs(args.runs), args.select)
    drawn = plot_ratio_curves(series, args.out, args.title)
    for name, values in drawn.items():
        for r, mae, mse in zip(values['x'], values['MAE'], values['MSE']):
            print(f'{name or "-"}\tr={r}\tMAE={mae:.2f}\tMSE={mse:.2f}')
    print(f'figure written to {args.out}')


if __name__ == '__main__':
    main()
