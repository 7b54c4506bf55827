"""The nbgrader course in classroom/: built from the chapter, released without answers, graded fairly.

Copies of classroom/ go through nbgrader's whole path (generate_assignment, autograde,
generate_feedback, export) with three submissions: the source notebooks (full marks), the unchanged
release (nothing), and a lab whose softmax does not subtract the row maximum (only the stability
points lost).
"""
import concurrent.futures
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parent.parent


def _load_generator():
    """classroom/build.py, the generator of the source notebooks, imported by its path."""
    spec = importlib.util.spec_from_file_location('classroom_build', REPO / 'classroom' / 'build.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_generator()

ASSIGNMENTS = ('lab', 'homework')
NAIVE_SOFTMAX = 'def softmax(X):\n    X_exp = X.exp()\n    return X_exp / X_exp.sum(axis=1, keepdims=True)\n'
STABILITY_TEST = 'test-softmax-stable'


def test_source_notebooks_are_built_from_the_chapter():
    for path, text in build.built().items():
        assert path.exists() and path.read_text(encoding='utf-8') == text, (
            f'{path.relative_to(REPO)} is out of date with the chapter notebooks or assignments.yml: '
            'run python classroom/build.py')


def test_every_classroom_tag_is_used():
    """A tag that no assignment takes any more would mislead whoever edits the chapter."""
    tagged = {f'{path.name}#{tag}' for path in (REPO / 'notebooks').glob('*.ipynb')
              for cell in _read(path)['cells'] for tag in cell['metadata'].get('tags', [])
              if tag.startswith('classroom-')}
    assert tagged == build.chapter_references(build.load_spec())


def test_a_missing_tag_is_named_with_its_notebook():
    with pytest.raises(build.SpecError, match=r'3\.6-softmax-regression-scratch\.ipynb has 0 cells tagged '
                                              r"'classroom-no-such-cell'"):
        build.build_cell({'chapter': '3.6-softmax-regression-scratch.ipynb#classroom-no-such-cell'}, 'lab', 1)


def test_solution_markers_must_find_their_code():
    with pytest.raises(build.SpecError, match="no function 'softmax'"):
        build.build_cell({'chapter': '3.6-softmax-regression-scratch.ipynb#classroom-lab-net',
                          'solution_body': 'softmax', 'id': 'x'}, 'lab', 1)
    with pytest.raises(build.SpecError, match="0 lines starting with 'nothing = '"):
        build.build_cell({'chapter': 'exercises.ipynb#classroom-homework-batch-sweep',
                          'solution_lines': ['nothing = '], 'id': 'x'}, 'homework', 1)
    with pytest.raises(build.SpecError, match="holds 'no such remark' 0 times"):
        build.build_cell({'chapter': '3.6-softmax-regression-scratch.ipynb#classroom-lab-train',
                          'without': ['no such remark']}, 'lab', 1)


def test_zip_collect_files_notebooks_and_saved_runs_where_autograde_and_merge_look():
    """The hand-in forms the guide names: a loose notebook, a zip of the files or of the assignment's folder."""
    config = PyFileConfigLoader('nbgrader_config.py', path=str(REPO / 'classroom')).load_config()
    collector = FileNameCollectorPlugin(config=config)
    expected = {
        's002_lab.ipynb': ('s002', 'lab.ipynb'),
        'batch/s003_lab.ipynb': ('s003', 'lab.ipynb'),
        'jane_doe_homework.ipynb': ('jane_doe', 'homework.ipynb'),
        's017_lab/lab.ipynb': ('s017', 'lab.ipynb'),
        's017_lab/lab-runs/results.csv': ('s017', 'lab-runs/results.csv'),
        's018_lab/lab/lab.ipynb': ('s018', 'lab.ipynb'),
        's018_lab/lab/lab-panel-runs/metadata.json': ('s018', 'lab-panel-runs/metadata.json'),
        's017_lab/.ipynb_checkpoints/lab-checkpoint.ipynb': None,
        's017_lab/__MACOSX/lab/._lab.ipynb': None,
        's017_lab/notes.txt': None,
    }
    for path, student_and_file in expected.items():
        found = collector.collect(f'/course/downloaded/lab/extracted/{path}')
        assert (found and (found['student_id'], found['file_id'])) == student_and_file, path


def _nbgrader(course, *args):
    """Run one nbgrader command in the course folder with this Python, this checkout's d2l_ext first."""
    bin_dir = str(Path(sys.executable).parent)  # nbgrader calls `alembic`; the kernel is `python`
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get('PYTHONPATH')])))
    result = subprocess.run([sys.executable, '-m', 'nbgrader', *args], cwd=course, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, f'nbgrader {" ".join(args)} failed:\n{result.stdout}\n{result.stderr}'
    return result


def _submit(course, student, assignment, notebook):
    folder = course / 'submitted' / student / assignment
    folder.mkdir(parents=True)
    (folder / f'{assignment}.ipynb').write_text(json.dumps(notebook), encoding='utf-8')


def _read(path):
    return json.loads(path.read_text(encoding='utf-8'))


def _grade_a_class(course, assignment):
    """Release `assignment`, submit it three ways (two for the homework), grade, give feedback, export."""
    _nbgrader(course, 'generate_assignment', assignment)
    source = _read(course / 'source' / assignment / f'{assignment}.ipynb')
    _submit(course, 'full', assignment, source)
    _submit(course, 'blank', assignment, _read(course / 'release' / assignment / f'{assignment}.ipynb'))
    if assignment == 'lab':
        [softmax_cell] = [cell for cell in source['cells'] if cell['id'] == 'softmax']
        softmax_cell['source'] = NAIVE_SOFTMAX
        _submit(course, 'naive', assignment, source)
    for command in ('autograde', 'generate_feedback'):
        _nbgrader(course, command, assignment)
    _nbgrader(course, 'export')


@pytest.fixture(scope='module')
def courses(tmp_path_factory):
    """{assignment: a copy of classroom/ (without nbgrader's outputs) in which it was graded}.

    Each assignment has its own copy and gradebook, so the two are graded at the same time.
    """
    courses = {}
    for assignment in ASSIGNMENTS:
        courses[assignment] = tmp_path_factory.mktemp(assignment) / 'classroom'
        shutil.copytree(REPO / 'classroom', courses[assignment], ignore=shutil.ignore_patterns(
            'release', 'submitted', 'autograded', 'feedback', 'downloaded', 'gradebook.db', 'grades.csv',
            'students.csv', 'handout', 'merged', '__pycache__'))
    with concurrent.futures.ThreadPoolExecutor(len(ASSIGNMENTS)) as pool:
        for done in [pool.submit(_grade_a_class, courses[a], a) for a in ASSIGNMENTS]:
            done.result()
    return courses


def _grades(course, assignment, student):
    """{grade id: (autograder's score, max score)} of the autograded test cells of one submission."""
    with Gradebook(f'sqlite:///{course / "gradebook.db"}') as gradebook:
        notebook = gradebook.find_submission_notebook(assignment, assignment, student)
        return {grade.name: (grade.auto_score, grade.max_score) for grade in notebook.grades
                if grade.cell_type == 'code'}


@pytest.mark.parametrize('assignment', ASSIGNMENTS)
def test_the_source_scores_full_marks_and_runs_without_errors(courses, assignment):
    course = courses[assignment]
    grades = _grades(course, assignment, 'full')
    assert grades and all(score == points > 0 for score, points in grades.values()), grades
    autograded = _read(course / 'autograded' / 'full' / assignment / f'{assignment}.ipynb')
    errors = [(cell['id'], output.get('ename'), output.get('evalue')) for cell in autograded['cells']
              for output in cell.get('outputs', []) if output['output_type'] == 'error']
    assert not errors


@pytest.mark.parametrize('assignment', ASSIGNMENTS)
def test_the_unchanged_release_scores_zero_in_every_autograded_cell(courses, assignment):
    course = courses[assignment]
    grades = _grades(course, assignment, 'blank')
    assert grades and all(score == 0 for score, _ in grades.values()), grades
    assert grades.keys() == _grades(course, assignment, 'full').keys()


def test_a_softmax_without_the_maximum_loses_exactly_the_stability_points(courses):
    course = courses['lab']
    full, naive = _grades(course, 'lab', 'full'), _grades(course, 'lab', 'naive')
    lost = {name: full[name][0] - naive[name][0] for name in full if full[name] != naive[name]}
    assert lost == {STABILITY_TEST: full[STABILITY_TEST][1]}


@pytest.mark.parametrize('assignment', ASSIGNMENTS)
def test_the_release_holds_no_solutions_and_no_hidden_tests(courses, assignment):
    course = courses[assignment]
    source = {cell['id']: cell for cell in _read(course / 'source' / assignment / f'{assignment}.ipynb')['cells']}
    release = {cell['id']: cell for cell in _read(course / 'release' / assignment / f'{assignment}.ipynb')['cells']}
    assert release.keys() == source.keys()
    for cell_id, cell in release.items():
        text = ''.join(cell['source'])
        assert 'BEGIN SOLUTION' not in text and 'HIDDEN TESTS' not in text, cell_id
        if source[cell_id]['metadata'].get('nbgrader', {}).get('solution'):
            solution = ''.join(source[cell_id]['source']).split(build.BEGIN)[1].split(build.END)[0]
            answer_lines = [line.strip() for line in solution.splitlines() if len(line.strip()) > 3]
            assert not any(line in text for line in answer_lines), f'{cell_id} gives away its solution'
            assert ('NotImplementedError' if cell['cell_type'] == 'code' else 'YOUR ANSWER HERE') in text
    if assignment == 'lab':
        assert '.max(axis=1' not in ''.join(release['softmax']['source'])


@pytest.mark.parametrize('assignment', ASSIGNMENTS)
def test_the_release_ends_with_its_license_notice(courses, assignment):
    release = _read(courses[assignment] / 'release' / assignment / f'{assignment}.ipynb')
    notice = ''.join(release['cells'][-1]['source'])
    assert all(part in notice for part in ('Dive into Deep Learning', 'CC BY-SA 4.0', 'MIT-0', 'Changes:')), notice


def _feedback(course, student, assignment):
    return (course / 'feedback' / student / assignment / f'{assignment}.html').read_text(encoding='utf-8')


@pytest.mark.parametrize('assignment', ASSIGNMENTS)
def test_feedback_and_grades_are_exported(courses, assignment):
    course = courses[assignment]
    with open(course / 'grades.csv', newline='') as grades:
        rows = {row['student_id']: row for row in csv.DictReader(grades) if row['assignment'] == assignment}
    full_code_points = sum(points for _, points in _grades(course, assignment, 'full').values())
    for student, expected in (('full', full_code_points), ('blank', 0)):
        assert float(rows[student]['score']) == expected
        assert f"Score: {expected:.1f} / {float(rows[student]['max_score']):.1f}" in _feedback(course, student, assignment)


def test_feedback_says_why_a_test_failed(courses):
    assert 'exp(1000) overflows' in _feedback(courses['lab'], 'naive', 'lab')
