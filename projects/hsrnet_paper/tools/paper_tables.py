"""Tables 5 and 6 of the paper (ablations) as Markdown.

Each run's final validation MAE/MSE is read from its work dir
(``metrics.json`` if present, else the last validation record of
``*/vis_data/scalars.json``). A row without a run shows "—".

Table 5 keys (each row named after what it adds): backbone, srm, cf, sf,
sfm, sc. Table 6 keys: ``<mode>@A`` / ``<mode>@B`` with mode one of
spatial_channel, channel_spatial, parallel_average, parallel_conv.

Example:
    python -m projects.hsrnet_paper.tools.paper_tables --table 5 \
        --runs backbone=work_dirs/t5_backbone srm=work_dirs/t5_srm \
        --out table5.md
"""
import argparse
import os
import os.path as osp
import warnings

from projects.hsrnet_paper.analysis import (collect_table5, collect_table6,
                                            parse_run_specs, table5_markdown,
                                            table6_markdown)


def parse_args():
    parser = argparse.ArgumentParser(
        description='Collect ablation runs into Table 5 or 6')
    parser.add_argument('--table', type=int, choices=[5, 6], required=True)
    parser.add_argument('--runs', nargs='+', default=[],
                        metavar='KEY=WORK_DIR', help='row key and work dir')
    parser.add_argument('--select', choices=['last', 'best'], default='last',
                        help='which validation record of a run counts')
    parser.add_argument('--precision', type=int, default=2)
    parser.add_argument('--out', help='Markdown file (default: print only)')
    return parser.parse_args()


def main():
    args = parse_args()
    runs = parse_run_specs(args.runs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        if args.table == 5:
            table = table5_markdown(collect_table5(runs, args.select),
                                    args.precision)
        else:
            table = table6_markdown(collect_table6(runs, args.select),
                                    args.precision)
    for w in caught:
        print(f'warning: {w.message}')
    print(table)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            f.write(table)
        print(f'table written to {args.out}')


if __name__ == '__main__':
    main()
