"""tools/mutation_summary.py counts a mutmut run's mutants by module."""
import importlib.util
import json
import os.path as osp

import pytest

pytest.importorskip('mutmut', reason='mutmut is installed by `make mutate` '
                    '(requirements/mutate.txt)')

TOOL = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))), 'tools', 'mutation_summary.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('mutation_summary', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_meta(mutants, source, codes):
    path = mutants / (source + '.meta')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(exit_code_by_key={
        f'{source}__mutmut_{i}': code for i, code in enumerate(codes)})))


def test_counts_by_module_and_status(tmp_path, capsys):
    mutants = tmp_path / 'mutants'
    # mutmut's exit codes: 1 killed, 0 survived, 33 no tests, 36 timeout,
    # -11 segfault (other), None not run yet.
    write_meta(mutants, 'hsrcount/datasets/density.py',
               [1, 1, 1, 0, 33, None])
    write_meta(mutants, 'hsrcount/models/losses/scale_consistency.py',
               [1, 0, 0, 36, -11])
    write_meta(mutants, 'hsrcount/models/losses/__init__.py', [])
    write_meta(mutants, 'hsrcount/evaluation/functional.py', [1])
    tool = load_tool()
    counts = tool.count_statuses(str(mutants),
                                 ['datasets/density.py', 'models/losses/'])
    assert sorted(counts) == ['hsrcount/datasets/density.py',
                              'hsrcount/models/losses/scale_consistency.py']
    assert counts['hsrcount/datasets/density.py'] == {
        'killed': 3, 'survived': 1, 'no tests': 1, 'not checked': 1}
    tool.main(['--mutants-dir', str(mutants), 'models/losses',
               '--survivors'])
    assert capsys.readouterr().out.splitlines()[:2] == [
        'survived: hsrcount/models/losses/scale_consistency.py__mutmut_1',
        'survived: hsrcount/models/losses/scale_consistency.py__mutmut_2',
    ]
    tool.main(['--mutants-dir', str(mutants), 'models/losses'])
    assert capsys.readouterr().out.splitlines()[2:] == [
        '| hsrcount/models/losses/scale_consistency.py | 5 | 1 | 2 | 0 | 1 '
        '| 1 | 0 |',
        '| total | 5 | 1 | 2 | 0 | 1 | 1 | 0 |',
    ]
    # A prefix is a folder or a file, not the start of a name.
    assert tool.count_statuses(str(mutants), ['datasets/dens']) == {}


def test_names_a_folder_without_a_run(tmp_path):
    with pytest.raises(FileNotFoundError, match='no .*meta files; run '
                       '`make mutate` first'):
        load_tool().count_statuses(str(tmp_path))
