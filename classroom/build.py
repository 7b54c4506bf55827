"""Assemble the nbgrader source notebooks from the chapter notebooks and classroom/assignments.yml.

Each question and its answer live in one place: code and prose come from the chapter notebooks
(cells picked by their `metadata.tags`) or from the `d2l_ext` package (a function by name), and only
what belongs to an assignment alone (instructions, questions, tests with points, what its license notice
names) is written in assignments.yml. Solution markers go around the lines that students must write, so
that `nbgrader generate_assignment` turns them into `raise NotImplementedError()`.

    python classroom/build.py           # write classroom/source/<assignment>/<assignment>.ipynb
    python classroom/build.py --check   # exit 1 if a committed source notebook is out of date
"""
import argparse
import ast
import json
import sys
from pathlib import Path

import yaml

CLASSROOM = Path(__file__).resolve().parent
REPO = CLASSROOM.parent
SPEC = CLASSROOM / 'assignments.yml'
BEGIN, END = '### BEGIN SOLUTION', '### END SOLUTION'
NOTEBOOK_METADATA = {
    'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'},
    'language_info': {'name': 'python'},
}

# The notice every assignment carries (CC BY-SA 4.0 asks for the source, the license and the changes); the
# sections and the changes come from each assignment's `license:` entry in assignments.yml.
LICENSE_NOTICE = """\
## License

Adapted from *Dive into Deep Learning* by Aston Zhang, Zachary C. Lipton, Mu Li and Alexander J. Smola
(https://d2l.ai):
{sections}. The book's text is under the Creative Commons Attribution-ShareAlike 4.0 International
license (CC BY-SA 4.0, https://creativecommons.org/licenses/by-sa/4.0/), its sample code under the MIT No
Attribution license (MIT-0). Changes:
{changes}. This notebook is shared under CC BY-SA 4.0 as well; the code written for it, under the MIT
License."""


class SpecError(Exception):
    """assignments.yml names something that the chapter notebooks or the package no longer have."""


def _lines(text):
    return text.rstrip('\n').split('\n')


def _indent(line):
    return line[:len(line) - len(line.lstrip())]


def _chapter_cell(reference):
    """(cell_type, source) of the one cell of `notebook#tag` in notebooks/."""
    notebook, _, tag = reference.partition('#')
    path = REPO / 'notebooks' / notebook
    if not path.exists():
        raise SpecError(f'{SPEC.name} names notebooks/{notebook}, which does not exist')
    cells = [cell for cell in json.loads(path.read_text(encoding='utf-8'))['cells']
             if tag in cell['metadata'].get('tags', [])]
    if len(cells) != 1:
        raise SpecError(f'notebooks/{notebook} has {len(cells)} cells tagged {tag!r}, expected exactly 1: '
                        f'tag the cell that {SPEC.name} means (metadata.tags), or change {SPEC.name}')
    return cells[0]['cell_type'], ''.join(cells[0]['source'])


def _function(source, name, where):
    """The top-level `def name` of `source`, as an ast node."""
    functions = [node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef) and node.name == name]
    if not functions:
        raise SpecError(f'{where} defines no function {name!r}, which {SPEC.name} names')
    return functions[0]


def _body(function):
    """The statements of a function after its docstring."""
    return function.body[1:] if ast.get_docstring(function) and len(function.body) > 1 else function.body


def _package_function(reference):
    """Source of `module.py#name` in the repository, without its docstring: the code a student writes."""
    module, _, name = reference.partition('#')
    path = REPO / module
    if not path.exists():
        raise SpecError(f'{SPEC.name} names {module}, which does not exist')
    source = path.read_text(encoding='utf-8')
    function = _function(source, name, module)
    lines = source.split('\n')
    signature = lines[function.lineno - 1:function.body[0].lineno - 1]
    return '\n'.join(signature + lines[_body(function)[0].lineno - 1:function.end_lineno])


def _paragraphs(text, selection):
    """The paragraphs [start, stop) of a markdown text (blank-line separated)."""
    paragraphs = text.split('\n\n')
    start, stop = selection
    chosen = paragraphs[start:stop]
    if not chosen:
        raise SpecError(f'paragraphs {selection} of a text with {len(paragraphs)} paragraphs is empty')
    return '\n\n'.join(chosen)


def _mark_function_body(source, name, where):
    """Wrap the body of `def name` in solution markers (a docstring stays outside them)."""
    function = _function(source, name, where)
    lines = _lines(source)
    first, last = _body(function)[0].lineno - 1, function.end_lineno - 1
    indent = _indent(lines[first])
    return '\n'.join(lines[:first] + [indent + BEGIN] + lines[first:last + 1] + [indent + END] + lines[last + 1:])


def _mark_lines(source, prefixes, where):
    """Wrap each line that starts (after its indentation) with one of `prefixes` in solution markers."""
    lines = _lines(source)
    for prefix in prefixes:
        matches = [i for i, line in enumerate(lines) if line.lstrip().startswith(prefix)]
        if len(matches) != 1:
            raise SpecError(f'{where} has {len(matches)} lines starting with {prefix!r}, expected exactly 1')
        i = matches[0]
        lines[i:i + 1] = [_indent(lines[i]) + BEGIN, lines[i], _indent(lines[i]) + END]
    return '\n'.join(lines)


def _without(source, texts, where):
    """`source` without each of `texts` (a chapter's remark that points where an assignment has nothing)."""
    for text in texts:
        if source.count(text) != 1:
            raise SpecError(f'{where} holds {text!r} {source.count(text)} times, expected exactly once')
        source = source.replace(text, '')
    return source


def _nbgrader(grade_id, *, solution=False, grade=False, locked=False, points=None):
    metadata = {'grade': grade, 'grade_id': grade_id, 'locked': locked, 'schema_version': 3,
                'solution': solution, 'task': False}
    if grade:
        metadata['points'] = points
    return {'nbgrader': metadata}


def _cell(cell_type, source, cell_id, metadata=None):
    cell = {'cell_type': cell_type, 'id': cell_id, 'metadata': metadata or {}, 'source': source.strip('\n')}
    if cell_type == 'code':
        cell.update(execution_count=None, outputs=[])
    return cell


def build_cell(item, assignment, number):
    """One notebook cell from one entry of assignments.yml."""
    cell_id = item.get('id') or f'{assignment}-{number}'
    if 'chapter' in item:
        cell_type, source = _chapter_cell(item['chapter'])
        where = f"notebooks/{item['chapter']}"
        if 'id' not in item:  # the tag names the cell for good; a position would change with every edit
            cell_id = item['chapter'].partition('#')[2].removeprefix('classroom-')
            if 'paragraphs' in item:
                cell_id += '-{}-{}'.format(*item['paragraphs'])
    elif 'function' in item:
        cell_type, source, where = 'code', _package_function(item['function']), item['function']
    elif 'markdown' in item:
        cell_type, source, where = 'markdown', item['markdown'], SPEC.name
    elif 'license' in item:
        cell_type, source, where = 'markdown', LICENSE_NOTICE.format(**item['license']), SPEC.name
    elif 'code' in item:
        cell_type, source, where = 'code', item['code'], SPEC.name
    elif 'answer' in item:  # a written answer, graded by hand; the model answer is the solution
        model = item['answer']
        if isinstance(model, dict):  # the chapter's prose, and what this assignment adds to it
            _, prose = _chapter_cell(model['chapter'])
            prose = _paragraphs(prose, model.get('paragraphs', (0, None)))
            prose = _without(prose, model.get('without', []), f"notebooks/{model['chapter']}")
            model = '\n\n'.join(part.strip() for part in (prose, model.get('then', '')) if part.strip())
        source = f'{BEGIN}\n\n{model.strip()}\n\n{END}'
        return _cell('markdown', source, cell_id,
                     _nbgrader(cell_id, solution=True, grade=True, points=item['points']))
    elif 'tests' in item:
        return _cell('code', item['tests'], cell_id,
                     _nbgrader(cell_id, grade=True, locked=True, points=item['points']))
    else:
        raise SpecError(f'{SPEC.name}, {assignment} entry {number}: unknown kind {sorted(item)}')

    if 'paragraphs' in item:
        source = _paragraphs(source, item['paragraphs'])
    if 'without' in item:
        source = _without(source, item['without'], where)
    if 'solution_body' in item:
        source = _mark_function_body(source, item['solution_body'], where)
    if 'solution_lines' in item:
        source = _mark_lines(source, item['solution_lines'], where)
    if item.get('solution') and BEGIN not in source:
        raise SpecError(f'{where}, cell {cell_id}: solution: true, but the code has no {BEGIN!r}')
    if item.get('solution') or 'solution_body' in item or 'solution_lines' in item:
        return _cell(cell_type, source, cell_id, _nbgrader(cell_id, solution=True))
    # Instructions are locked; code that students run and may change (the knobs) is an ordinary cell.
    return _cell(cell_type, source, cell_id, _nbgrader(cell_id, locked=True) if cell_type == 'markdown' else None)


def build_notebook(assignment, items):
    cells = [build_cell(item, assignment, number) for number, item in enumerate(items, 1)]
    ids = [cell['id'] for cell in cells]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f'{SPEC.name}, {assignment}: cell ids used twice: {duplicates}')
    return {'cells': cells, 'metadata': NOTEBOOK_METADATA, 'nbformat': 4, 'nbformat_minor': 5}


def render(notebook):
    """The notebook as Jupyter writes it, so that saving it in Jupyter changes nothing."""
    for cell in notebook['cells']:
        text = cell['source']
        cell['source'] = [line + '\n' for line in text.split('\n')[:-1]] + [text.split('\n')[-1]]
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + '\n'


def load_spec():
    """{assignment: its list of entries}, as assignments.yml gives them."""
    return yaml.safe_load(SPEC.read_text(encoding='utf-8'))


def chapter_references(spec):
    """Every NOTEBOOK#TAG that the entries of `spec` take a cell (or a model answer) from."""
    entries = [entry for items in spec.values() for entry in items]
    answers = [entry['answer'] for entry in entries if isinstance(entry.get('answer'), dict)]
    return {item['chapter'] for item in entries + answers if 'chapter' in item}


def built():
    """{path of each source notebook: its text} as the chapter notebooks and assignments.yml give it."""
    spec = load_spec()
    return {CLASSROOM / 'source' / name / f'{name}.ipynb': render(build_notebook(name, items))
            for name, items in spec.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true', help='only report source notebooks that are out of date')
    args = parser.parse_args(argv)
    try:
        notebooks = built()
    except SpecError as err:
        sys.exit(f'error: {err}')
    stale = [path for path, text in notebooks.items()
             if not path.exists() or path.read_text(encoding='utf-8') != text]
    if args.check:
        for path in stale:
            print(f'out of date: {path.relative_to(REPO)} (run: python classroom/build.py)')
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebooks[path], encoding='utf-8')
        print(f'wrote {path.relative_to(REPO)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
