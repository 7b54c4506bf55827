"""Results folders: what they record, that they are written all or nothing and never over others unasked, and
that many students' folders merge into one table while foreign and damaged files are reported."""
import datetime
import errno
import gzip
import hashlib
import importlib.metadata
import json
import platform
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import d2l_ext as d2l
from d2l_ext import atomic, fashion_mnist, provenance, results
from d2l_ext.table import COLUMNS


@pytest.fixture(scope='module')
def table():
    """A real tiny sweep: two learning rates, one epoch, 500 training images."""
    return d2l.sweep(lr=[0.1, 0.5], num_epochs=1, num_train=500, progress=False)


def snapshot(folder):
    """Every path under `folder` with its bytes (None for folders), to see that nothing changed."""
    return {path: None if path.is_dir() else path.read_bytes() for path in Path(folder).rglob('*')}


def test_saved_results_read_back_as_the_same_table(table, tmp_path):
    d2l.save_results(table, tmp_path / 'run')
    assert sorted(path.name for path in (tmp_path / 'run').iterdir()) == sorted(results.FILES)
    loaded = d2l.load_results(tmp_path / 'run')
    pd.testing.assert_frame_equal(loaded.table, table, check_exact=True)
    assert loaded.metadata['written_by'] == 'd2l.save_results' and loaded.metadata['command'] is None
    assert loaded.metadata['config'] == {'impl': 'concise', 'lr': [0.1, 0.5], 'batch_size': 256, 'weight_decay': 0.0,
                                         'num_epochs': 1, 'num_train': 500, 'seed': 0}
    assert loaded.metadata['runs'] == 2
    pd.testing.assert_frame_equal(d2l.load_results(tmp_path / 'run' / 'metadata.json').table, table)


def test_metadata_records_data_versions_cpu_isa_and_time(table, tmp_path, real_data_dir):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    d2l.save_results(table, tmp_path / 'run')
    after = datetime.datetime.now(datetime.timezone.utc)
    metadata = json.loads((tmp_path / 'run' / 'metadata.json').read_text())

    assert metadata['format'] == 'd2l_ext results' and metadata['format_version'] == 1
    time = datetime.datetime.fromisoformat(metadata['time'])
    assert time.utcoffset() == datetime.timedelta(0) and before <= time <= after

    data = metadata['data']
    assert (data['release'], data['folder']) == ('2017-08-31', str(real_data_dir.resolve()))
    for name, recorded in data['checksums']['files'].items():  # the loader's constants are the files' hashes
        path = fashion_mnist._file_in(real_data_dir, name)
        raw = path.read_bytes()
        assert hashlib.sha256(gzip.decompress(raw) if path.suffix == '.gz' else raw).hexdigest() == recorded

    environment = metadata['environment']
    assert environment['versions'] == {'python': platform.python_version(),
                                       **{name: importlib.metadata.version(name)
                                          for name in ('mxnet', 'numpy', 'd2l', 'd2l_ext')}}
    model = re.search(r'^model name\s*:\s*(.+)$', Path('/proc/cpuinfo').read_text(), re.MULTILINE).group(1)
    assert environment['cpu'] == model.strip()
    assert re.fullmatch(r'Intel (SSE4\.1|AVX|AVX2|AVX-512)\b.*', environment['onednn']['isa'])
    assert re.fullmatch(r'\d+\.\d+(\.\d+)?', environment['onednn']['version'])

    files = {name: hashlib.sha256((tmp_path / 'run' / name).read_bytes()).hexdigest()
             for name in ('results.csv', 'curves.png')}
    assert metadata['files'] == files


@pytest.mark.parametrize('variables, isa', [
    ({'DNNL_MAX_CPU_ISA': 'SSE41'}, 'Intel SSE4.1'),
    ({'MXNET_MKLDNN_ENABLED': '0'}, None),
])
def test_onednn_isa_is_the_one_the_environment_selects(variables, isa, monkeypatch):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    info = provenance.onednn_info()
    assert info['isa'] == isa
    assert ('note' in info) == (isa is None)
    assert provenance.environment()['variables'] == variables


def test_results_are_never_replaced_unasked(table, tmp_path):
    d2l.save_results(table.iloc[:1], tmp_path / 'run')
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=r'run already holds results; pass overwrite=True to replace them'):
        d2l.save_results(table, tmp_path / 'run')
    assert snapshot(tmp_path) == before

    d2l.save_results(table, tmp_path / 'run', overwrite=True)
    assert len(d2l.load_results(tmp_path / 'run').table) == 2
    assert [path.name for path in tmp_path.iterdir()] == ['run']  # no staging or old copy left beside it


def test_overwrite_replaces_only_results(table, tmp_path):
    (tmp_path / 'notes').mkdir()
    (tmp_path / 'notes' / 'todo.txt').write_text('mine')
    (tmp_path / 'empty').mkdir()
    before = snapshot(tmp_path / 'notes')
    with pytest.raises(ValueError, match='holds files that are not results, so nothing will replace them'):
        d2l.save_results(table, tmp_path / 'notes', overwrite=True)
    assert snapshot(tmp_path / 'notes') == before
    d2l.save_results(table, tmp_path / 'empty')  # an empty folder is no earlier result
    assert len(d2l.load_results(tmp_path / 'empty').table) == 2


def fail_on(name, monkeypatch):
    """Make writing the file `name` fail as a full disk would."""
    write = atomic._write_file

    def failing(path, data):
        if Path(path).name == name:
            raise OSError(errno.ENOSPC, 'No space left on device')
        write(path, data)
    monkeypatch.setattr(atomic, '_write_file', failing)


def test_a_failure_while_writing_leaves_no_partial_folder(table, tmp_path, monkeypatch):
    fail_on('metadata.json', monkeypatch)  # after results.csv was written
    with pytest.raises(OSError, match='No space left'):
        d2l.save_results(table, tmp_path / 'new' / 'deeper' / 'run')
    assert list(tmp_path.iterdir()) == []  # neither the folder, nor its staging copy, nor the parents made


def test_a_failure_while_overwriting_leaves_the_old_results(table, tmp_path, monkeypatch):
    d2l.save_results(table.iloc[:1], tmp_path / 'run')
    before = snapshot(tmp_path)
    fail_on('curves.png', monkeypatch)
    with pytest.raises(OSError, match='No space left'):
        d2l.save_results(table, tmp_path / 'run', overwrite=True)
    assert snapshot(tmp_path) == before


def test_a_failed_rename_puts_the_old_results_back(table, tmp_path, monkeypatch):
    d2l.save_results(table.iloc[:1], tmp_path / 'run')
    before = snapshot(tmp_path)
    rename = atomic.os.rename

    def failing(source, destination):
        moved_aside = not Path(destination).exists()  # the old results are out of the way: the last step
        if Path(destination) == tmp_path / 'run' and Path(source).name.endswith('.tmp') and moved_aside:
            raise OSError(errno.EIO, 'Input/output error')
        rename(source, destination)
    monkeypatch.setattr(atomic.os, 'rename', failing)
    with pytest.raises(OSError, match='Input/output error'):
        d2l.save_results(table, tmp_path / 'run', overwrite=True)
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize('edit, message', [
    (lambda t: t.drop(columns='seed'), 'missing: seed'),
    (lambda t: t.assign(source='me'), 'extra: source'),
    (lambda t: t.iloc[:0], 'the table has no rows'),
    (lambda t: t.assign(batch_size='big'), 'the column batch_size of the table must hold int64 values'),
])
def test_a_table_that_is_not_runs_is_refused(table, edit, message, tmp_path):
    with pytest.raises(ValueError, match=re.escape(message)):
        d2l.save_results(edit(table), tmp_path / 'run')
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def classroom(table, tmp_path):
    """Results as a teacher collects them: two students with the same sweep, one with a run in a subfolder, a
    foreign CSV, a truncated metadata.json, a results.csv cut at a line end, a stray JSON and an empty folder."""
    room = tmp_path / 'class'
    for student in ('alice', 'bob'):
        d2l.save_results(table, room / student)
    d2l.save_results(table.iloc[:1], room / 'dave' / 'week2')
    (room / 'eve').mkdir(parents=True)
    (room / 'eve' / 'results.csv').write_text('name,grade\nEve,A\n')
    shutil.copytree(room / 'alice', room / 'mallory')
    metadata = (room / 'mallory' / 'metadata.json').read_bytes()
    (room / 'mallory' / 'metadata.json').write_bytes(metadata[:len(metadata) // 2])
    shutil.copytree(room / 'alice', room / 'oscar')
    csv = (room / 'oscar' / 'results.csv').read_text()
    (room / 'oscar' / 'results.csv').write_text(''.join(csv.splitlines(keepends=True)[:-1]))
    (room / 'grades.json').write_text('{"alice": 1}')
    (room / 'carol').mkdir()
    return room


def test_merge_keeps_students_apart_and_reports_what_it_skipped(classroom, table):
    merged = d2l.merge_results(classroom)
    assert list(merged.table.columns) == ['source', *COLUMNS]
    assert merged.table['source'].tolist() == ['alice'] * 2 + ['bob'] * 2 + ['dave/week2']
    for student in ('alice', 'bob'):  # identical runs, told apart by source
        rows = merged.table[merged.table['source'] == student].drop(columns='source').reset_index(drop=True)
        pd.testing.assert_frame_equal(rows, table, check_exact=True)
    assert set(merged.metadata) == {'alice', 'bob', 'dave/week2'}
    assert merged.metadata['bob']['written_by'] == 'd2l.save_results'

    skipped = {path.relative_to(classroom).as_posix(): reason for path, reason in merged.skipped}
    assert sorted(skipped) == ['carol', 'eve/results.csv', 'grades.json', 'mallory/metadata.json',
                               'oscar/results.csv']
    assert skipped['carol'].startswith('holds no results')
    assert skipped['eve/results.csv'].startswith('has the columns name, grade, not those of a table of runs')
    assert skipped['grades.json'].startswith('is not part of a results folder')
    assert skipped['mallory/metadata.json'].startswith('is not valid JSON')
    assert 'truncated or edited' in skipped['oscar/results.csv']


def test_merge_takes_folders_and_files_and_names_clashes_by_path(classroom, tmp_path):
    other = tmp_path / 'other' / 'alice'
    shutil.copytree(classroom / 'alice', other)
    merged = d2l.merge_results([classroom / 'alice', other / 'results.csv', classroom / 'bob' / 'metadata.json',
                                classroom / 'bob', tmp_path / 'missing'])
    assert pd.unique(merged.table['source']).tolist() == [str(classroom / 'alice'), str(other), 'bob']
    assert merged.skipped == [(tmp_path / 'missing', 'does not exist')]


def test_results_pass_through_windows_line_ends(table, tmp_path):
    """A git checkout with autocrlf turns the CSV's line ends into CRLF; its checksum still matches."""
    d2l.save_results(table, tmp_path / 'run')
    path = tmp_path / 'run' / 'results.csv'
    path.write_bytes(path.read_bytes().replace(b'\n', b'\r\n'))
    pd.testing.assert_frame_equal(d2l.load_results(tmp_path / 'run').table, table, check_exact=True)


def test_nothing_to_merge_is_an_empty_table_and_the_reasons(tmp_path):
    (tmp_path / 'empty').mkdir()
    merged = d2l.merge_results([tmp_path / 'empty'])
    assert merged.table.empty and list(merged.table.columns) == ['source', *COLUMNS]
    assert merged.skipped == [(tmp_path / 'empty', 'holds no results (no results.csv or metadata.json in it or '
                                                   'below it)')]


def test_the_merged_figure_has_a_line_per_student_and_run(classroom):
    axes = d2l.merge_results(classroom).plot()
    try:
        assert [len(ax.get_lines()) for ax in axes] == [5, 5, 5]
        labels = [text.get_text() for text in axes[-1].get_legend().get_texts()]
        assert labels[:2] == ['source=alice, lr=0.1', 'source=alice, lr=0.5']
    finally:
        d2l.plt.close(axes[0].figure)
