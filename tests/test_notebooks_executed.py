"""Every notebook is stored as one fresh top-to-bottom run, so strict nbval compares real outputs.

A notebook edited or partly re-run without re-executing it from a fresh kernel fails here, in plain
pytest, before nbval ever runs it.
"""
import ast
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / 'notebooks'
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob('*.ipynb'))
RERUN_HINT = ('re-execute it: cd notebooks && jupyter nbconvert --to notebook --execute --inplace NAME.ipynb')

NBVAL_MARKERS = {'NBVAL_SKIP', 'NBVAL_IGNORE_OUTPUT'}
NBVAL_TAGS = {'nbval-skip', 'nbval-ignore-output'}
METRIC_OUTPUT = re.compile(r'\b(loss|acc|accuracy)\b', re.IGNORECASE)
METRIC_CALL = re.compile(r'\b(train_ch3|train_epoch_ch3|evaluate_accuracy|accuracy)\s*\(')
OUTPUT_CALLS = {'print', 'display', 'show'}  # print(...), display(...), plt.show()


def _code_cells(nb):
    """(index, cell) of the code cells that hold code; Jupyter leaves blank cells unnumbered."""
    return [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == 'code' and cell.source.strip()]


def _output_text(cell):
    """All text a cell printed or displayed, as one string."""
    parts = []
    for output in cell.get('outputs', []):
        parts.append(output.get('text', ''))
        parts.append(output.get('data', {}).get('text/plain', ''))
    return ''.join(parts)


def _called_name(node):
    """`f` for `f(...)` and `obj.f(...)` statements, else None."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        func = node.value.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', None)
    return None


def _must_have_output(source):
    """True when a cell surely shows something: a top-level print/display/plt.show, or a final expression."""
    try:
        body = ast.parse(TransformerManager().transform_cell(source)).body
    except SyntaxError:
        return False
    if any(_called_name(node) in OUTPUT_CALLS for node in body):
        return True
    last = body[-1] if body else None
    return (isinstance(last, ast.Expr) and not isinstance(last.value, (ast.Call, ast.Constant))
            and not source.rstrip().endswith(';'))


def _nbval_markers(cell):
    """The nbval skip/ignore markers a cell carries, as comment lines or as tags."""
    comments = {line.strip().lstrip('#').strip() for line in cell.source.splitlines()
                if line.strip().startswith('#')}
    return (comments & NBVAL_MARKERS) | (set(cell.metadata.get('tags', [])) & NBVAL_TAGS)


def execution_problems(nb):
    """What shows that `nb` is not stored as one fresh top-to-bottom run; empty when it is."""
    problems = []
    kernel = nb.metadata.get('kernelspec', {}).get('name')
    if kernel != 'python3':
        problems.append(f'kernelspec is {kernel!r}, not python3')
    cells = _code_cells(nb)
    counts = [cell.execution_count for _, cell in cells]
    if counts != list(range(1, len(cells) + 1)):
        problems.append(f'execution counts are {counts}, not 1, 2, 3, ... in cell order')
    if not any(cell.get('outputs') for _, cell in cells):
        problems.append('no code cell has any output')
    for i, cell in cells:
        if not cell.get('outputs') and _must_have_output(cell.source):
            problems.append(f'cell {i} prints or shows something but has no stored output')
        markers = _nbval_markers(cell)
        if markers and (METRIC_CALL.search(cell.source) or METRIC_OUTPUT.search(_output_text(cell))):
            problems.append(f'cell {i} hides a metric from nbval with {sorted(markers)}')
    return problems


def test_notebooks_folder_has_notebooks():
    assert NOTEBOOKS, f'no notebooks found in {NOTEBOOK_DIR}'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_as_a_fresh_run(path):
    problems = execution_problems(nbformat.read(path, as_version=4))
    assert not problems, f'{path.name}: ' + '; '.join(problems) + f'. {RERUN_HINT}'


# The checker itself, on small notebooks with known defects.

def _notebook(*cells, kernel='python3'):
    nb = new_notebook(cells=[new_markdown_cell('# Title'), *cells])
    nb.metadata['kernelspec'] = {'name': kernel, 'display_name': 'Python 3', 'language': 'python'}
    return nb


def _cell(source, count, text=None, tags=()):
    outputs = [new_output('stream', name='stdout', text=text)] if text else []
    return new_code_cell(source, execution_count=count, outputs=outputs, metadata={'tags': list(tags)})


TRAIN = 'history = d2l.train_ch3(net, train_iter, test_iter, loss, 5, updater)'
TRAIN_TEXT = 'epoch 1, loss 0.7886, train acc 0.747, test acc 0.790\n'
DEFECTS = {
    'counts stripped': _notebook(_cell('x = 1', None), _cell('print(x)', None, '1\n')),
    'counts out of order': _notebook(_cell('x = 1', 2), _cell('print(x)', 1, '1\n')),
    'counts not from 1': _notebook(_cell('x = 1', 5), _cell('print(x)', 6, '1\n')),
    'a cell re-run': _notebook(_cell('x = 1', 1), _cell('print(x)', 3, '1\n')),
    'no outputs at all': _notebook(_cell('x = 1', 1), _cell('y = 2', 2)),
    'print without output': _notebook(_cell('print(1)', 1, '1\n'), _cell('print(2)', 2)),
    'final expression without output': _notebook(_cell('print(1)', 1, '1\n'), _cell('x = 2\nx', 2)),
    'plot without output': _notebook(_cell('print(1)', 1, '1\n'), _cell('%matplotlib inline\nplt.show()', 2)),
    'metric skipped': _notebook(_cell('# NBVAL_SKIP\n' + TRAIN, 1, TRAIN_TEXT)),
    'metric ignored': _notebook(_cell('# NBVAL_IGNORE_OUTPUT\nprint(acc)', 1, 'acc 0.8\n')),
    'metric tagged': _notebook(_cell(TRAIN, 1, TRAIN_TEXT, tags=['nbval-ignore-output'])),
    'wrong kernel': _notebook(_cell('print(1)', 1, '1\n'), kernel='python2'),
}


@pytest.mark.parametrize('nb', DEFECTS.values(), ids=DEFECTS.keys())
def test_checker_reports_defect(nb):
    assert execution_problems(nb)


def test_checker_accepts_a_fresh_run():
    nb = _notebook(_cell('import d2l_ext as d2l', 1), _cell('', None), _cell('x = 1;', 2),
                   _cell(TRAIN, 3, TRAIN_TEXT), _cell('# NBVAL_IGNORE_OUTPUT\nprint(d2l.__file__)', 4, 'path\n'))
    assert execution_problems(nb) == []


@pytest.mark.parametrize('path', NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_checker_rejects_stripped_copy(path):
    nb = nbformat.read(path, as_version=4)
    for _, cell in _code_cells(nb):
        cell.execution_count, cell.outputs = None, []
    assert execution_problems(nb)
