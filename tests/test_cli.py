"""The `train`, `sweep` and `merge` commands end to end on the real data, and their refusals of bad input."""
import errno
import functools
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import mxnet as mx
import pandas as pd
import pytest
from matplotlib import image

import d2l_ext as d2l
from d2l_ext import atomic, cli
from d2l_ext.models import run_experiment

ROOT = Path(__file__).resolve().parents[1]


def run_main(argv, capsys):
    """Run the command in this process; returns (exit status, stdout, stderr)."""
    try:
        status = cli.main(argv, prog='d2l-ext')
    except SystemExit as stop:
        status = stop.code
    return (status, *capsys.readouterr())


def snapshot(folder):
    """Every path under `folder` with its bytes (None for folders), to see that nothing changed."""
    return {path: None if path.is_dir() else path.read_bytes() for path in folder.rglob('*')}


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A tiny run of `python -m d2l_ext train --out` in a fresh process (so stderr is no terminal)."""
    out = tmp_path_factory.mktemp('cli') / 'runs' / 'lr0.2'
    flags = ['--epochs', '2', '--lr', '0.2', '--batch-size', '512', '--train-size', '1000', '--out', str(out)]
    result = subprocess.run([sys.executable, '-m', 'd2l_ext', 'train', *flags],
                            capture_output=True, text=True, cwd=out.parents[1], timeout=300)
    return result, out, flags


def test_train_writes_the_results_folder(trained):
    result, out, _ = trained
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''  # no progress bar when stderr is not a terminal
    expected = run_experiment(lr=0.2, batch_size=512, num_epochs=2, num_train=1000)
    assert result.stdout.splitlines() == [*map(str, expected),
                                          f'wrote results.csv, metadata.json, curves.png to {out}']
    assert sorted(path.name for path in out.iterdir()) == ['curves.png', 'metadata.json', 'results.csv']
    assert sorted(path.name for path in out.parent.iterdir()) == ['lr0.2']  # nothing staged is left beside it

    table = d2l.load_results(out).table
    assert table[['epoch', 'loss', 'train_acc', 'test_acc']].values.tolist() == [list(row) for row in expected]
    assert table[['run', 'impl', 'lr', 'batch_size', 'weight_decay', 'num_epochs', 'num_train', 'seed']] \
        .drop_duplicates().values.tolist() == [[1, 'concise', 0.2, 512, 0.0, 2, 1000, 0]]
    height, width, channels = image.imread(out / 'curves.png').shape
    assert (width, height, channels) == (1300, 280, 4)  # 13 x 2.8 inches at 100 dpi, RGBA


def test_train_records_its_configuration_and_command(trained):
    _, out, flags = trained
    metadata = json.loads((out / 'metadata.json').read_text())
    assert metadata['written_by'] == 'd2l_ext train'
    assert metadata['command'] == 'python -m d2l_ext train ' + ' '.join(flags)
    assert metadata['config'] == {'impl': 'concise', 'lr': 0.2, 'batch_size': 512, 'weight_decay': 0.0,
                                  'num_epochs': 2, 'num_train': 1000, 'seed': 0, 'ctx': 'cpu', 'data_root': None}
    assert metadata['data']['release'] == '2017-08-31'
    assert metadata['environment']['versions']['d2l_ext'] == importlib.metadata.version('d2l_ext')
    assert metadata['environment']['onednn']['isa'].startswith('Intel ')


def test_scratch_model_with_weight_decay_matches_run_experiment(capsys):
    flags = ['--impl', 'scratch', '--weight-decay', '0.001', '--train-size', '3000', '--epochs', '2', '--seed', '7']
    status, stdout, stderr = run_main(['train', *flags], capsys)
    expected = run_experiment(lr=0.1, batch_size=256, num_epochs=2, impl='scratch', weight_decay=0.001, seed=7,
                              num_train=3000)
    assert (status, stderr) == (0, '')
    assert stdout.splitlines() == [str(row) for row in expected]


def test_mlp_flag_trains_the_mlp(capsys):
    status, stdout, stderr = run_main(['train', '--impl', 'mlp', '--train-size', '2000', '--epochs', '2'], capsys)
    expected = run_experiment(impl='mlp', num_epochs=2, num_train=2000)
    assert (status, stderr) == (0, '')
    assert stdout.splitlines() == [str(row) for row in expected]
    assert expected != run_experiment(impl='concise', num_epochs=2, num_train=2000)


def test_help_names_every_flag_and_its_default(capsys):
    status, stdout, _ = run_main(['train', '--help'], capsys)
    assert status == 0
    text = ' '.join(stdout.split())
    assert 'mlp: ReLU MLP 784-256-128-64-10' in text
    for flag, default in [('--lr', '0.1'), ('--batch-size', '256'), ('--epochs', '5'), ('--seed', '0'),
                          ('--impl', 'concise'), ('--weight-decay', '0.0'), ('--ctx', 'cpu'),
                          ('--train-size', 'all 60000'), ('--data-root', '$FASHION_MNIST_DIR'),
                          ('--out', 'write no files'), ('--overwrite', 'refuse')]:
        assert flag in text
        assert f'(default: {default}' in text


def help_of(parser, command):
    """{flag: help text} of a command's options."""
    subparsers = next(action for action in parser._actions if action.dest == 'command')
    return {action.option_strings[0]: action.help for action in subparsers.choices[command]._actions
            if action.option_strings and action.dest != 'help'}


def test_sweep_shares_trains_flags_and_takes_many_values_per_axis(capsys):
    parser = cli.build_parser('d2l-ext')
    train, sweep = help_of(parser, 'train'), help_of(parser, 'sweep')
    assert sweep == {**train, '--n-jobs': sweep['--n-jobs']}
    status, stdout, _ = run_main(['sweep', '--help'], capsys)
    assert status == 0
    for axis in ('--lr LR [LR ...]', '--batch-size N [N ...]', '--seed N [N ...]', '--impl {concise,scratch,mlp} '
                 '[{concise,scratch,mlp} ...]', '--weight-decay WD [WD ...]', '--train-size N [N ...]'):
        assert axis in stdout
    assert '--epochs N ' in stdout and '--epochs N [' not in stdout


def test_merge_help_states_the_exit_status(capsys):
    status, stdout, _ = run_main(['merge', '--help'], capsys)
    assert status == 0
    assert 'Exit status: 0 when anything was merged, even if some paths were skipped; 1 when nothing could be ' \
           'merged' in ' '.join(stdout.split())


def test_console_script_is_declared_and_installed():
    scripts = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['scripts']
    assert scripts == {'d2l-ext': 'd2l_ext.cli:main'}
    script = shutil.which('d2l-ext', path=os.path.dirname(sys.executable))
    assert script, 'reinstall the package (pip install -e .) to create the d2l-ext command'
    result = subprocess.run([script, 'train', '--help'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith('usage: d2l-ext train')


@pytest.fixture
def unwritable(tmp_path):
    """A folder this process cannot create files in (root ignores permissions, so it gets sysfs)."""
    if os.geteuid() == 0:
        yield Path('/sys')
        return
    folder = tmp_path / 'read-only'
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


BAD_INPUTS = [
    (['--lr', '-1'], 2, 'argument --lr: value must be a positive finite number, got -1.0'),
    (['--lr', '0'], 2, 'argument --lr: value must be a positive finite number, got 0.0'),
    (['--lr', 'nan'], 2, 'argument --lr: value must be a positive finite number, got nan'),
    (['--lr', 'inf'], 2, 'argument --lr: value must be a positive finite number, got inf'),
    (['--lr', 'fast'], 2, "argument --lr: could not convert string to float: 'fast'"),
    (['--batch-size', '0'], 2, 'argument --batch-size: value must be a positive integer, got 0'),
    (['--epochs', '0'], 2, 'argument --epochs: value must be a positive integer, got 0'),
    (['--seed', '-1'], 2, 'argument --seed: value must be a whole number from 0 to 2**32 - 1, got -1'),
    (['--weight-decay', '-0.1'], 2, 'argument --weight-decay: value must be a non-negative finite number'),
    (['--train-size', '60001'], 1, '--train-size 60001: the training set has only 60000 images; pass at most 60000'),
    (['--train-size', '70000'], 1, '--train-size 70000: the training set has only 60000 images'),
    (['--ctx', 'tpu'], 2, "argument --ctx: invalid choice: 'tpu'"),
    (['--ctx', 'gpu'], 1, '--ctx gpu: this MXNet build sees no GPU; use --ctx cpu'),
    (['--out', '{tmp}/a-file'], 1, 'a-file exists and is not a folder; choose another name'),
    (['--out', '{tmp}/a-file/run'], 1, 'a-file/run cannot be created: {tmp}/a-file is not a folder'),
    (['--out', '{unwritable}/run'], 1, '/run cannot be created: {unwritable} is not a writable folder'),
    (['--out', '{tmp}/old-run', '--overwrite'], 1,
     'old-run already exists and holds files that are not results, so nothing will replace them'),
    (['--data-root', '{tmp}/empty', '--out', '{tmp}/new/run'], 1, 'empty lacks train-images-idx3-ubyte'),
    (['--impl', 'scratch', '--lr', '1e5', '--out', '{tmp}/new/run'], 1,
     'epoch 1: the training loss stopped being finite, so training diverged. --lr 100000 is most likely too large'),
    (['--weight-decay', '1e30', '--out', '{tmp}/new/run'], 1,
     'so training diverged. --weight-decay 1e+30 is too large for --lr 0.1'),
    (['--impl', 'mlp', '--train-size', '512', '--batch-size', '32', '--lr', '0.5', '--weight-decay', '10'], 1,
     '--weight-decay 10 is too large for --lr 0.5: each step multiplies the weights by 1 - lr * WD = -4; '
     'pass a --weight-decay below 4'),
    (['--impl', 'linear'], 2, "argument --impl: invalid choice: 'linear' (choose from 'concise', 'scratch', 'mlp')"),
]
SWEEP_BAD_INPUTS = [
    (['--lr', '0.1', '-1'], 2, 'argument --lr: value must be a positive finite number, got -1.0'),
    (['--impl', 'concise', 'linear'], 2, "argument --impl: invalid choice: 'linear'"),
    (['--seed'], 2, 'argument --seed: expected at least one argument'),
    (['--n-jobs', '0'], 2, 'argument --n-jobs: n_jobs must be None or a non-zero integer'),
    (['--train-size', '1000', '70000'], 1, '--train-size 70000: the training set has only 60000 images'),
    (['--ctx', 'gpu'], 1, '--ctx gpu: this MXNet build sees no GPU'),
    (['--out', '{tmp}/old-run'], 1, 'old-run already exists and holds files that are not results'),
    (['--data-root', '{tmp}/empty', '--out', '{tmp}/new/run'], 1, 'empty lacks train-images-idx3-ubyte'),
]
CASES = [('train', *case) for case in BAD_INPUTS] + [('sweep', *case) for case in SWEEP_BAD_INPUTS]


@pytest.mark.parametrize('command, flags, status, message', CASES,
                         ids=[' '.join([command, *flags]) for command, flags, _, _ in CASES])
def test_bad_input_is_one_error_line_and_leaves_no_files(command, flags, status, message, tmp_path, unwritable,
                                                          monkeypatch, capsys):
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 0)  # the CPU build's answer, on any machine
    (tmp_path / 'a-file').write_text('not a folder')
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'old-run').mkdir()
    (tmp_path / 'old-run' / 'history.csv').write_text('epoch,loss,train_acc,test_acc\n1,0.5,0.8,0.8\n')
    before = snapshot(tmp_path)

    argv = [flag.format(tmp=tmp_path, unwritable=unwritable) for flag in flags]
    result = run_main([command, '--epochs', '1', '--train-size', '1000', *argv], capsys)

    assert result[0] == status
    assert result[1] == ''
    lines = result[2].splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), result[2]
    assert message.format(tmp=tmp_path, unwritable=unwritable) in lines[0]
    assert snapshot(tmp_path) == before


def test_each_epoch_has_a_tqdm_bar_that_is_erased(monkeypatch, capsys):
    monkeypatch.setattr(cli, 'tqdm', functools.partial(cli.tqdm, mininterval=0))  # draw every update
    batches = list(range(8))
    bars = cli.EpochBars(batches, num_epochs=2, updates=4)
    assert len(bars) == 8
    assert list(bars) == batches and list(bars) == batches
    text = capsys.readouterr().err
    assert '\repoch 1/2:  25%|' in text and '| 2/8 ' in text and '\repoch 1/2: 100%|' in text
    assert '\repoch 2/2:  50%|' in text and 'epoch 3/2' not in text
    assert re.search(r'\r {20,}\r$', text)  # the last bar is erased, for the line of the epoch


TINY = ['--train-size', '1000', '--epochs', '1']


def test_out_never_replaces_results_unasked(tmp_path, capsys):
    out = tmp_path / 'run'
    assert run_main(['train', *TINY, '--out', str(out)], capsys)[0] == 0
    before = snapshot(tmp_path)

    status, stdout, stderr = run_main(['train', *TINY, '--lr', '0.5', '--out', str(out)], capsys)
    assert (status, stdout) == (1, '')  # refused before training: no epoch was printed
    assert stderr == f'error: {out} already holds results; pass --overwrite to replace them, or choose another ' \
                     'folder\n'
    assert snapshot(tmp_path) == before  # byte for byte

    status, stdout, stderr = run_main(['train', *TINY, '--lr', '0.5', '--out', str(out), '--overwrite'], capsys)
    assert (status, stderr) == (0, '')
    assert d2l.load_results(out).table['lr'].tolist() == [0.5]
    assert [path.name for path in tmp_path.iterdir()] == ['run']


def test_a_failure_while_saving_leaves_the_old_run(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'run'
    assert run_main(['train', *TINY, '--out', str(out)], capsys)[0] == 0
    before = snapshot(tmp_path)
    write = atomic._write_file

    def full_disk(path, data):
        if path.name == 'curves.png':  # the last file: results.csv and metadata.json are written by then
            raise OSError(errno.ENOSPC, 'No space left on device')
        write(path, data)
    monkeypatch.setattr(atomic, '_write_file', full_disk)

    status, stdout, stderr = run_main(['train', *TINY, '--lr', '0.5', '--out', str(out), '--overwrite'], capsys)
    assert (status, stderr) == (1, 'error: [Errno 28] No space left on device\n')
    assert snapshot(tmp_path) == before


def test_sweep_prints_and_saves_d2l_sweeps_table(tmp_path, capsys):
    out = tmp_path / 'grid'
    status, stdout, stderr = run_main(['sweep', '--lr', '0.1', '0.5', '--seed', '0', '1', *TINY, '--out', str(out)],
                                      capsys)
    assert (status, stderr) == (0, '')
    expected = d2l.sweep(lr=[0.1, 0.5], seed=[0, 1], num_train=1000, num_epochs=1, progress=False)
    saved = d2l.load_results(out)
    pd.testing.assert_frame_equal(saved.table, expected, check_exact=True)
    assert saved.metadata['config'] == {'impl': 'concise', 'lr': [0.1, 0.5], 'batch_size': 256, 'weight_decay': 0.0,
                                        'num_epochs': 1, 'num_train': 1000, 'seed': [0, 1], 'ctx': 'cpu',
                                        'n_jobs': None, 'data_root': None}

    lines = stdout.splitlines()
    assert lines[0].split() == ['run', 'lr', 'seed', 'epoch', 'loss', 'train_acc', 'test_acc']
    assert [line.split() for line in lines[1:5]] == [
        [str(row.run), f'{row.lr:g}', str(row.seed), '1', f'{row.loss:.4f}', f'{row.train_acc:.3f}',
         f'{row.test_acc:.3f}'] for row in expected.itertuples()]
    assert lines[5:] == [f'wrote results.csv, metadata.json, curves.png to {out}']


@pytest.fixture
def classroom(tmp_path, capsys):
    """Two students' identical sweeps, a foreign CSV and a truncated metadata.json."""
    room = tmp_path / 'class'
    for student in ('alice', 'bob'):
        assert run_main(['sweep', '--lr', '0.1', '0.5', '--train-size', '500', '--epochs', '1',
                         '--out', str(room / student)], capsys)[0] == 0
    (room / 'eve').mkdir()
    (room / 'eve' / 'results.csv').write_text('name,grade\nEve,A\n')
    shutil.copytree(room / 'alice', room / 'mallory')
    (room / 'mallory' / 'metadata.json').write_text((room / 'alice' / 'metadata.json').read_text()[:100])
    capsys.readouterr()
    return room


def test_merge_merges_what_it_can_and_names_what_it_skipped(classroom, tmp_path, capsys):
    table, figure = tmp_path / 'table.csv', tmp_path / 'merged.png'
    status, stdout, stderr = run_main(['merge', str(classroom), '--out', str(table), '--figure', str(figure)],
                                      capsys)
    assert status == 0
    skipped = stderr.splitlines()
    assert len(skipped) == 2
    assert skipped[0].startswith(f'skipped {classroom}/eve/results.csv: has the columns name, grade, not those')
    assert skipped[1].startswith(f'skipped {classroom}/mallory/metadata.json: is not valid JSON')

    merged = pd.read_csv(table)
    assert merged['source'].tolist() == ['alice', 'alice', 'bob', 'bob']
    alice, bob = (merged[merged['source'] == name].drop(columns='source').reset_index(drop=True)
                  for name in ('alice', 'bob'))
    pd.testing.assert_frame_equal(alice, bob)  # the same configuration twice, kept apart by source
    assert [line.split()[:3] for line in stdout.splitlines()[1:5]] == [
        ['alice', '1', '0.1'], ['alice', '2', '0.5'], ['bob', '1', '0.1'], ['bob', '2', '0.5']]
    assert stdout.splitlines()[-1] == (f'merged 4 runs from 2 folders; wrote {table}; wrote {figure}; '
                                       'skipped 2 (listed above)')
    assert image.imread(figure).shape[2] == 4

    before = snapshot(tmp_path)
    status, _, stderr = run_main(['merge', str(classroom), '--out', str(table)], capsys)
    assert status == 1 and stderr.splitlines()[-1] == (f'error: {table} already exists; pass --overwrite to '
                                                       'replace it, or choose another name')
    assert snapshot(tmp_path) == before


def test_merge_fails_only_when_nothing_merges(classroom, tmp_path, capsys):
    status, stdout, stderr = run_main(['merge', str(classroom / 'eve'), str(classroom / 'mallory'),
                                       '--out', str(tmp_path / 'table.csv')], capsys)
    assert (status, stdout) == (1, '')
    assert stderr.splitlines()[-1] == (f'error: nothing to merge: no readable results under {classroom}/eve, '
                                       f'{classroom}/mallory')
    assert not (tmp_path / 'table.csv').exists()
