"""Figure 6 of the paper: mean counts per density level, per model.

The images are sorted by GT count and split into ``--groups`` groups of
equal size (the first groups take one image more when the split is
uneven). Every file must list the same images.

Example:
    python -m projects.hsrnet_paper.tools.paper_fig6 --models HSRNet=hsr.json \
        CSRNet=csr.json MCNN=mcnn.csv --groups 5 --out fig6.png
"""
import argparse
import os.path as osp

from projects.hsrnet_paper.analysis import (group_by_count, groups_markdown,
                                            load_model_counts, parse_run_specs,
                                            plot_count_groups)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Average GT and estimated counts per density level')
    parser.add_argument('--models', nargs='+', required=True,
                        metavar='NAME=COUNTS_FILE',
                        help='a model name and its tools/test.py --out file')
    parser.add_argument('--groups', type=int, default=5)
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--out', default='fig6.png', help='output PNG')
    parser.add_argument('--table-out',
                        help='also write the numbers as Markdown here '
                        '(default: next to --out, .md)')
    return parser.parse_args()


def main():
    args = parse_args()
    gt, preds = load_model_counts(parse_run_specs(args.models, '--models'))
    groups = group_by_count(gt, preds, args.groups)
    plot_count_groups(groups, args.out, args.title)
    table = groups_markdown(groups)
    table_out = args.table_out or osp.splitext(args.out)[0] + '.md'
    with open(table_out, 'w') as f:
        f.write(table)
    print(table)
    print(f'figure written to {args.out}, numbers to {table_out}')


if __name__ == '__main__':
    main()
