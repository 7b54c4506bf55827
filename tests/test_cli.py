"""The `train` command end to end on the real data, and its refusals of bad input."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import mxnet as mx
import pytest
from matplotlib import image

from d2l_ext import cli
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


def test_train_writes_history_and_curves(tmp_path):
    out = tmp_path / 'runs' / 'lr0.2'
    result = subprocess.run([sys.executable, '-m', 'd2l_ext', 'train', '--epochs', '1', '--lr', '0.2',
                             '--batch-size', '512', '--out', str(out)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ''  # no progress bar when stderr is not a terminal
    expected = run_experiment(lr=0.2, batch_size=512, num_epochs=1)
    assert result.stdout.splitlines() == [str(expected[0]),
                                          f'wrote history.csv, history.json, curves.png to {out}']
    assert sorted(path.name for path in out.iterdir()) == ['curves.png', 'history.csv', 'history.json']

    with open(out / 'history.csv', newline='') as file:
        rows = list(csv.DictReader(file))
    assert [{key: float(value) for key, value in row.items()} for row in rows] == [expected[0]._asdict()]
    record = json.loads((out / 'history.json').read_text())
    assert record['history'] == [expected[0]._asdict()]
    assert record['config'] == {'lr': 0.2, 'batch_size': 512, 'epochs': 1, 'seed': 0, 'impl': 'concise',
                                'weight_decay': 0.0, 'train_size': None, 'ctx': 'cpu', 'data_root': None,
                                'out': str(out)}
    height, width, channels = image.imread(out / 'curves.png').shape
    assert (width, height, channels) == (525, 375, 4)  # 3.5 x 2.5 inches at 150 dpi, RGBA


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
                          ('--out', 'write no files')]:
        assert flag in text
        assert f'(default: {default}' in text


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
    (['--out', '{tmp}/a-file'], 1, 'exists and is not a directory'),
    (['--out', '{tmp}/a-file/run'], 1, 'is not a writable folder (Not a directory)'),
    (['--out', '{unwritable}/run'], 1, 'is not a writable folder'),
    (['--out', '{unwritable}'], 1, 'is not a writable folder'),
    (['--data-root', '{tmp}/empty', '--out', '{tmp}/new/run'], 1, 'empty lacks train-images-idx3-ubyte'),
    (['--impl', 'scratch', '--lr', '1e5', '--out', '{tmp}/new/run'], 1,
     'epoch 1: the training loss stopped being finite, so training diverged. --lr 100000 is most likely too large'),
    (['--impl', 'scratch', '--lr', '1e5', '--out', '{tmp}/old-run'], 1, 'so training diverged'),
    (['--weight-decay', '1e30', '--out', '{tmp}/new/run'], 1,
     'so training diverged. --weight-decay 1e+30 is too large for --lr 0.1'),
    (['--impl', 'mlp', '--train-size', '512', '--batch-size', '32', '--lr', '0.5', '--weight-decay', '10'], 1,
     '--weight-decay 10 is too large for --lr 0.5: each step multiplies the weights by 1 - lr * WD = -4; '
     'pass a --weight-decay below 4'),
    (['--impl', 'linear'], 2, "argument --impl: invalid choice: 'linear' (choose from 'concise', 'scratch', 'mlp')"),
]


@pytest.mark.parametrize('flags, status, message', BAD_INPUTS, ids=[' '.join(f) for f, _, _ in BAD_INPUTS])
def test_bad_input_is_one_error_line_and_leaves_no_files(flags, status, message, tmp_path, unwritable,
                                                          monkeypatch, capsys):
    monkeypatch.setattr(mx.context, 'num_gpus', lambda: 0)  # the CPU build's answer, on any machine
    (tmp_path / 'a-file').write_text('not a folder')
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'old-run').mkdir()
    (tmp_path / 'old-run' / 'history.csv').write_text('epoch,loss,train_acc,test_acc\n1,0.5,0.8,0.8\n')
    before = snapshot(tmp_path)

    argv = [flag.format(tmp=tmp_path, unwritable=unwritable) for flag in flags]
    result = run_main(['train', '--epochs', '1', *argv], capsys)

    assert result[0] == status
    assert result[1] == ''
    lines = result[2].splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ') and message in lines[0], result[2]
    assert snapshot(tmp_path) == before


def test_epoch_progress_draws_a_bar_per_epoch_and_erases_it():
    stream = io.StringIO()
    batches = list(range(8))
    progress = cli.EpochProgress(batches, num_epochs=2, stream=stream, steps=4)
    assert len(progress) == 8
    assert list(progress) == batches and list(progress) == batches
    text = stream.getvalue()
    assert '\repoch 1/2 [#   ]  25%' in text and '\repoch 1/2 [####] 100%' in text
    assert '\repoch 2/2 [##  ]  50%' in text and 'epoch 3/2' not in text
    assert text.endswith('\r' + ' ' * 34 + '\r')


def test_files_are_written_all_or_not_at_all(tmp_path):
    with pytest.raises(TypeError):
        cli.write_atomically(tmp_path, {'history.csv': b'epoch\n1\n', 'history.json': 'text, not bytes'})
    assert list(tmp_path.iterdir()) == []
    cli.write_atomically(tmp_path, {'history.csv': b'epoch\n1\n'})
    assert [path.name for path in tmp_path.iterdir()] == ['history.csv']
    assert (tmp_path / 'history.csv').read_bytes() == b'epoch\n1\n'
