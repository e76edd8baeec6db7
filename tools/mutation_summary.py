"""Count the mutants of a ``make mutate`` run by module and status.

Reads the ``mutants/**/*.py.meta`` files that ``mutmut run`` leaves (each
holds the exit code of every mutant's test run) and prints one Markdown
row per module: mutants, killed, survived, no tests, timeout, other and not
checked, with mutmut's own reading of the exit codes; ``--survivors``
lists the surviving mutants by name, and ``mutmut show NAME`` prints one's
diff.

Example::

    python tools/mutation_summary.py datasets/density.py models/losses \
        --survivors
"""
import argparse
import glob
import json
import os.path as osp
from collections import Counter

from mutmut.stats import status_by_exit_code

COLUMNS = ('killed', 'survived', 'no tests', 'timeout')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'modules', nargs='*', metavar='MODULE',
        help='files or folders under hsrcount/ to count (default: all)')
    parser.add_argument('--mutants-dir', default='mutants',
                        help="mutmut's working folder")
    parser.add_argument('--survivors', action='store_true',
                        help='also list the surviving mutants')
    return parser.parse_args(argv)


def mutant_statuses(mutants_dir, modules=()):
    """Each mutant's status, per source file.

    Args:
        mutants_dir (str): mutmut's working folder.
        modules (Sequence[str]): Paths under ``hsrcount/`` (files or
            folders); empty for every mutated file.

    Returns:
        dict[str, dict[str, str]]: ``hsrcount/...py`` -> mutant name ->
        status; files without mutants are left out.

    Raises:
        FileNotFoundError: No ``.meta`` file under ``mutants_dir`` (mutmut
            has not run there).
    """
    metas = sorted(glob.glob(osp.join(mutants_dir, 'hsrcount', '**',
                                      '*.py.meta'), recursive=True))
    if not metas:
        raise FileNotFoundError(f'{mutants_dir}: no *.py.meta files; run '
                                '`make mutate` first')
    prefixes = [osp.join('hsrcount', m.rstrip('/')) for m in modules]
    statuses = {}
    for meta in metas:
        source = osp.relpath(meta, mutants_dir)[:-len('.meta')]
        if prefixes and not any(source == p or source.startswith(p + '/')
                                for p in prefixes):
            continue
        with open(meta) as f:
            codes = json.load(f)['exit_code_by_key']
        if codes:
            statuses[source] = {name: status_by_exit_code[code]
                                for name, code in codes.items()}
    return statuses


def count_statuses(mutants_dir, modules=()):
    """Mutant statuses per source file, counted: ``hsrcount/...py`` ->
    status -> number of mutants (see :func:`mutant_statuses`)."""
    return {source: Counter(names.values()) for source, names in
            mutant_statuses(mutants_dir, modules).items()}


def table(counts):
    """The Markdown table of :func:`count_statuses`, with a total row."""
    header = ('module', 'mutants', *COLUMNS, 'other', 'not checked')
    rows = sorted(counts.items())
    rows.append(('total', sum(counts.values(), Counter())))
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for source, c in rows:
        n = sum(c.values())
        other = n - sum(c[k] for k in (*COLUMNS, 'not checked'))
        cells = [source, n, *(c[k] for k in COLUMNS), other,
                 c['not checked']]
        lines.append('| ' + ' | '.join(str(x) for x in cells) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    statuses = mutant_statuses(args.mutants_dir, args.modules)
    if not statuses:
        raise SystemExit(f'no mutants of {" ".join(args.modules)} in '
                         f'{args.mutants_dir}')
    if args.survivors:
        for names in statuses.values():
            for name, status in sorted(names.items()):
                if status == 'survived':
                    print(f'survived: {name}')
        print()
    print(table({source: Counter(names.values())
                 for source, names in statuses.items()}))


if __name__ == '__main__':
    main()
