"""The seeded experiment, the two models' weight decay, and the sweep table and its figure."""
import importlib
import math
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt
from mxnet import gluon, init, nd
from mxnet.gluon import nn

import d2l_ext as d2l
from d2l_ext import parallel

sweep_module = importlib.import_module('d2l_ext.sweep')  # the module; `d2l_ext.sweep` is the function

COLUMNS = ['run', 'impl', 'lr', 'batch_size', 'weight_decay', 'num_epochs', 'num_train', 'seed',
           'epoch', 'loss', 'train_acc', 'test_acc', 'diverged', 'stopped']


def test_run_experiment_is_the_books_section_3_7_run():
    d2l.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    book = d2l.train_ch3(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), 2, trainer,
                         verbose=False)
    assert d2l.run_experiment(num_epochs=2) == book


@pytest.mark.parametrize('impl', ['concise', 'scratch'])
def test_weight_decay_shrinks_the_weight_not_the_bias(impl):
    """One step with weight decay wd equals the plain step minus lr * wd * W, in both models."""
    data = d2l.read_fashion_mnist()
    batch = [(nd.array(data.train_images[:64, None] / 255), nd.array(data.train_labels[:64], dtype='int32'))]
    lr, wd = 0.5, 0.2
    start, after, bias = {}, {}, {}
    for decay in (0.0, wd):
        d2l.seed_all(0)
        model = d2l.build_model(impl, lr, decay)
        model.net(batch[0][0])  # let Gluon's deferred initialisation happen
        model.bias()[:] = nd.arange(10) / 10  # a bias that weight decay would visibly shrink
        start[decay] = model.weight().asnumpy()
        d2l.train_epoch_ch3(model.net, batch, model.loss, model.updater)
        after[decay] = model.weight().asnumpy()
        bias[decay] = model.bias().asnumpy()
    assert start[0.0].shape == (10, 784)
    np.testing.assert_array_equal(start[wd], start[0.0])
    np.testing.assert_allclose(after[wd], after[0.0] - lr * wd * start[wd], rtol=0, atol=1e-7)
    assert np.abs(after[wd] - after[0.0]).max() > 1e-4
    np.testing.assert_allclose(bias[wd], bias[0.0], rtol=0, atol=1e-7)
    assert np.abs(bias[0.0] - np.arange(10) / 10).max() > 1e-4  # the bias did take a step


@pytest.fixture(scope='module')
def grid():
    return d2l.sweep(lr=[0.1, 0.3], batch_size=[512, 1024], num_epochs=2)


def test_sweep_has_one_row_per_run_and_epoch(grid):
    assert list(grid.columns) == COLUMNS
    assert grid.shape == (8, len(COLUMNS))
    runs = grid[['lr', 'batch_size', 'weight_decay']].drop_duplicates().values.tolist()
    assert runs == [[0.1, 512, 0.0], [0.1, 1024, 0.0], [0.3, 512, 0.0], [0.3, 1024, 0.0]]
    assert grid['epoch'].tolist() == [1, 2] * 4
    assert grid['run'].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert (grid['impl'] == 'concise').all() and (grid['num_train'] == 60000).all() and (grid['seed'] == 0).all()
    assert (grid['num_epochs'] == 2).all()
    assert not grid['diverged'].any() and not grid['stopped'].any()
    assert grid[['loss', 'train_acc', 'test_acc']].notna().all().all()
    assert grid[['train_acc', 'test_acc']].stack().between(0.5, 1).all()


@pytest.mark.parametrize('lr, batch_size', [(0.1, 1024), (0.3, 512)])
def test_sweep_rows_are_the_same_seeded_run_done_directly(grid, lr, batch_size):
    direct = d2l.run_experiment(lr=lr, batch_size=batch_size, num_epochs=2)
    rows = grid[(grid['lr'] == lr) & (grid['batch_size'] == batch_size)]
    assert [tuple(row) for row in rows[['epoch', 'loss', 'train_acc', 'test_acc']].itertuples(index=False)] \
        == [tuple(row) for row in direct]


@pytest.fixture(scope='module')
def diverging():
    return d2l.sweep(lr=[0.1, 1e5], num_epochs=2, impl='scratch', num_train=2048)


def test_a_diverged_run_is_a_row_not_a_crash(diverging):
    assert diverging.shape == (4, len(COLUMNS))
    assert diverging['diverged'].tolist() == [False, False, True, True]
    good, bad = diverging.iloc[:2], diverging.iloc[2:]
    assert good[['loss', 'train_acc', 'test_acc']].notna().all().all()
    assert bad[['loss', 'train_acc', 'test_acc']].isna().all().all()
    assert bad['epoch'].tolist() == [1, 2] and (bad['lr'] == 1e5).all()
    with pytest.raises(d2l.DivergenceError):
        d2l.run_experiment(lr=1e5, num_epochs=1, impl='scratch', num_train=2048)


@pytest.mark.parametrize('arguments, message', [
    (dict(lr=[0.1, -1]), 'lr must be a positive finite number'),
    (dict(lr=[]), 'lr needs at least one value'),
    (dict(batch_size=[256, 0]), 'batch_size must be a positive integer'),
    (dict(weight_decay=math.nan), 'weight_decay must be a non-negative finite number'),
    (dict(num_epochs=0), 'num_epochs must be a positive integer'),
    (dict(seed=-1), 'seed must be a whole number from 0 to 2**32 - 1'),
    (dict(seed=[0, 1.5]), 'seed must be a whole number from 0 to 2**32 - 1'),
    (dict(impl=['concise', 'linear']), 'impl must be one of concise, scratch, mlp'),
    (dict(num_train=[100, 60001]), 'num_train must be at most 60000'),
])
def test_bad_grid_values_fail_before_any_training(arguments, message, monkeypatch):
    calls = []
    monkeypatch.setattr(sweep_module, 'run_experiment', lambda *args, **kwargs: calls.append(args))
    with pytest.raises(ValueError, match=re.escape(message)):
        d2l.sweep(**arguments)
    assert calls == []


def test_plot_sweep_draws_a_line_per_run_and_marks_divergence(diverging):
    axes = d2l.plot_sweep(diverging)
    try:
        assert [ax.get_title() for ax in axes] == ['train loss', 'train acc', 'test acc']
        assert axes[0].get_yscale() == 'log'
        for ax in axes:
            assert len(ax.get_lines()) == 2
            np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2])
        np.testing.assert_array_equal(axes[2].get_lines()[0].get_ydata(), diverging['test_acc'][:2])
        assert [text.get_text() for text in axes[-1].get_legend().get_texts()] \
            == ['lr=0.1', 'lr=100000 (diverged)']
    finally:
        plt.close(axes[0].figure)


def test_mlp_is_784_256_128_64_10_and_learns_far_beyond_chance():
    runs = d2l.sweep(impl='mlp', num_train=5000, num_epochs=2)
    assert not runs['diverged'].any()
    assert runs['test_acc'].iloc[-1] > 0.6  # chance is 0.1; the chapter's N(0, 0.01^2) init stays there
    model = d2l.build_model('mlp')
    model.net(nd.zeros((1, 1, 28, 28)))  # let Gluon's deferred initialisation happen
    assert [layer.weight.shape for layer in model.net] == [(256, 784), (128, 256), (64, 128), (10, 64)]
    assert model.weight().shape == (10, 64) and model.bias().shape == (10,)
    assert d2l.sweep(impl='concise', num_train=5000, num_epochs=2)['test_acc'].tolist() != runs['test_acc'].tolist()


def test_impl_seed_and_num_train_are_grid_axes_like_lr():
    runs = d2l.sweep(impl=['concise', 'scratch'], seed=[0, 1], num_train=[1000, 2000], num_epochs=1,
                     progress=False)
    assert runs[['impl', 'num_train', 'seed']].values.tolist() == [
        [impl, num_train, seed] for impl in ('concise', 'scratch') for num_train in (1000, 2000) for seed in (0, 1)]
    assert runs['run'].tolist() == list(range(1, 9))
    one = runs[(runs['impl'] == 'scratch') & (runs['num_train'] == 2000) & (runs['seed'] == 1)]
    direct = d2l.run_experiment(impl='scratch', num_train=2000, seed=1, num_epochs=1)
    assert one[['epoch', 'loss', 'train_acc', 'test_acc']].values.tolist() == [list(row) for row in direct]
    assert runs['test_acc'].nunique() == 8  # every knob and every seed changes the run


def test_progress_counts_the_runs(capsys):
    d2l.sweep(lr=[0.1, 0.2], num_epochs=1, num_train=500)
    assert re.search(r'runs: 100%.*\b2/2\b', capsys.readouterr().err)
    d2l.sweep(lr=[0.1, 0.2], num_epochs=1, num_train=500, progress=False)
    assert capsys.readouterr().err == ''


def test_parallel_sweep_returns_the_serial_table_bit_for_bit():
    grid = dict(lr=[0.1, 1, 1e5], num_epochs=2, impl='scratch', num_train=2000, progress=False)
    serial = d2l.sweep(**grid)
    in_workers = d2l.sweep(**grid, n_jobs=2)
    diverged = in_workers.groupby('lr')['diverged'].all()
    assert not diverged[0.1] and diverged[1e5]  # the diverging run came back as rows, not an exception
    pd.testing.assert_frame_equal(in_workers, serial, check_exact=True)
    assert in_workers.equals(serial)


def test_a_dask_cluster_takes_the_sweep_with_no_other_change():
    """`joblib.parallel_config(backend='dask')` sends the runs to a Dask cluster: 2 local worker processes here."""
    joblib = pytest.importorskip('joblib')
    distributed = pytest.importorskip('distributed')
    grid = dict(lr=[0.1, 0.5], seed=[0, 1], num_epochs=1, num_train=2000, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with joblib.parallel_config(backend='dask'):
            on_cluster = d2l.sweep(**grid)
        workers_used = client.run(lambda: 'd2l_ext.sweep' in sys.modules)
    pd.testing.assert_frame_equal(on_cluster, d2l.sweep(**grid), check_exact=True)
    assert len(workers_used) == 2 and all(workers_used.values())  # both workers trained


def test_workers_compute_with_one_thread_and_the_naive_engine():
    tasks = [(name,) for name in parallel.WORKER_VARIABLES]
    here = list(parallel.map_in_workers(os.getenv, tasks, n_jobs=1))
    in_workers = list(parallel.map_in_workers(os.getenv, tasks, n_jobs=2))
    assert in_workers == list(parallel.WORKER_VARIABLES.values())
    assert here == [os.environ.get(name) for name in parallel.WORKER_VARIABLES]  # one job: in this process


@pytest.mark.parametrize('n_jobs', [0, 1.5, '2', True])
def test_bad_n_jobs_is_refused_before_any_training(n_jobs, monkeypatch):
    monkeypatch.setattr(sweep_module, 'run_experiment', lambda *args, **kwargs: pytest.fail('trained'))
    with pytest.raises(ValueError, match='n_jobs'):
        d2l.sweep(n_jobs=n_jobs)


def test_an_error_in_a_worker_reaches_the_caller(tmp_path):
    with pytest.raises(d2l.DataError):
        d2l.sweep(lr=[0.1, 0.2], num_epochs=1, data_root=tmp_path, n_jobs=2, progress=False)


def test_a_script_needs_no_main_guard(tmp_path):
    """joblib's loky workers do not import the calling script again, so a script may call sweep at top level."""
    script = tmp_path / 'unguarded.py'
    script.write_text('import d2l_ext as d2l\n'
                      'print(len(d2l.sweep(lr=[0.1, 0.2], num_epochs=1, num_train=500, n_jobs=2)))\n')
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '2\n'
