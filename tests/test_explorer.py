"""The explorer panel's logic without a browser: defaults, runs equal to sweeps, the table, divergence, Stop."""
import re

import pandas as pd
import pytest
from matplotlib import pyplot as plt

import d2l_ext as d2l
from d2l_ext import explorer as explorer_module

SWEEP_COLUMNS = ['impl', 'lr', 'batch_size', 'weight_decay', 'num_epochs', 'num_train', 'seed', 'epoch', 'loss',
                 'train_acc', 'test_acc', 'diverged', 'stopped']
SMALL = dict(num_train=3000, num_epochs=2)  # a few seconds per run


def sweep_rows(df):
    return [tuple(row) for row in df[SWEEP_COLUMNS].itertuples(index=False)]


def test_controls_start_from_the_defaults():
    panel = d2l.explore(lr=0.5, batch_size=50, num_epochs=1, weight_decay=0.03, seed=7)
    assert panel.values() == {'lr': 0.5, 'batch_size': 50, 'num_epochs': 1, 'impl': 'concise',
                              'weight_decay': 0.03, 'seed': 7, 'num_train': 60000}
    lr_labels = [label for label, _ in panel.controls['lr'].options]
    assert lr_labels[:3] == ['0.0001', '0.0003', '0.001'] and '0.5' in lr_labels and lr_labels[-1] == '100000'
    assert list(panel.controls['impl'].options) == ['concise', 'scratch', 'mlp']
    assert panel.runs.empty and set(SWEEP_COLUMNS) <= set(panel.runs.columns)
    assert not panel.running and panel.stop_button.disabled and not panel.run_button.disabled


def test_jupyter_shows_the_panel_and_its_text_is_free_of_widget_ids():
    panel = d2l.explore(num_epochs=1)
    bundle = panel._repr_mimebundle_()
    assert bundle['application/vnd.jupyter.widget-view+json']['model_id'] == panel.panel.model_id
    assert bundle['text/plain'] == ("Explorer(lr=0.1, batch_size=256, num_epochs=1, impl='concise', "
                                    "weight_decay=0.0, seed=0, num_train=60000; 0 runs)")
    assert repr(d2l.explore(num_epochs=1)) == bundle['text/plain']


@pytest.mark.parametrize('defaults, message', [
    (dict(lr=0), 'lr must be a positive finite number'),
    (dict(batch_size=2.5), 'batch_size must be a positive integer'),
    (dict(impl='linear'), "impl must be one of concise, scratch, mlp, got 'linear'"),
    (dict(num_train=70000), 'num_train must be at most 60000, got 70000'),
    (dict(seed=-1), 'seed must be a whole number'),
])
def test_bad_defaults_fail_at_once(defaults, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        d2l.explore(**defaults)


@pytest.fixture(scope='module')
def two_runs():
    """A panel after Run at lr 0.3, then at lr 1 with the slider moved."""
    panel = d2l.explore(lr=0.3, **SMALL)
    first = panel.run()
    panel.controls['lr'].value = 1.0
    second = panel.run()
    return panel, first, second


def test_a_run_prints_the_numbers_of_sweep_and_of_the_train_command(two_runs):
    panel, first, second = two_runs
    assert sweep_rows(first) == sweep_rows(d2l.sweep(lr=0.3, **SMALL))
    assert sweep_rows(second) == sweep_rows(d2l.sweep(lr=1.0, **SMALL))
    history = d2l.run_experiment(lr=1.0, **SMALL)  # what `train --lr 1 --train-size 3000 --epochs 2` prints
    assert panel.log.value == '<pre>' + '\n'.join(
        [f'run 2: {row}' for row in history] + ['run 2 finished']) + '</pre>'


def test_every_run_is_kept_with_a_row_per_epoch_and_a_table_of_last_epochs(two_runs):
    panel, _, _ = two_runs
    runs = panel.runs
    assert runs['run'].tolist() == [1, 1, 2, 2] and runs['epoch'].tolist() == [1, 2, 1, 2]
    assert runs['lr'].tolist() == [0.3, 0.3, 1.0, 1.0]
    assert (runs[['impl', 'batch_size', 'num_epochs', 'num_train', 'seed']].drop_duplicates().values.tolist()
            == [['concise', 256, 2, 3000, 0]])
    assert not runs['diverged'].any() and not runs['stopped'].any()
    body = panel.table.value.split('<tbody>')[1]
    assert body.count('<tr>') == 2
    last = runs.groupby('run').tail(1)
    for test_acc in last['test_acc']:
        assert f'<td>{test_acc:.3f}</td>' in body
    assert panel.status.value == 'run 2 finished' and repr(panel).endswith('; 2 runs)')
    assert bytes(panel.figure.value).startswith(b'\x89PNG')


def test_curves_are_labelled_by_what_differs(two_runs):
    axes = d2l.plot_sweep(two_runs[0].runs, numbered=True)
    try:
        assert [text.get_text() for text in axes[-1].get_legend().get_texts()] == ['run 1: lr=0.3', 'run 2: lr=1']
    finally:
        plt.close(axes[0].figure)


def test_a_diverged_run_is_shown_as_diverged_not_raised():
    panel = d2l.explore(lr=1e5, impl='scratch', num_train=2048, num_epochs=2)
    rows = panel.run()
    assert rows['diverged'].tolist() == [True, True]
    assert rows[['loss', 'train_acc', 'test_acc']].isna().all().all()
    pd.testing.assert_frame_equal(rows,  # sweep's table, with its columns and NaN metrics
                                  d2l.sweep(lr=1e5, impl='scratch', num_train=2048, num_epochs=2), check_dtype=False)
    assert panel.status.value.startswith('run 1 diverged in epoch 1: its loss stopped being finite')
    assert '(diverged)' not in panel.table.value and '<td>True</td>' in panel.table.value
    assert not panel.running and not panel.run_button.disabled


def test_stop_ends_the_run_between_minibatches_and_keeps_finished_epochs(monkeypatch):
    """Run is clicked; Stop is clicked as soon as epoch 1 is finished, so epoch 2 never completes."""
    panel = d2l.explore(num_train=3000, num_epochs=3)
    seen = []
    finish_epoch = explorer_module._LiveRun.update

    def finish_epoch_then_click_stop(live, history):
        finish_epoch(live, history)
        seen.append((panel.running, panel.run_button.disabled, panel.stop_button.disabled))
        panel.stop_button.click()

    monkeypatch.setattr(explorer_module._LiveRun, 'update', finish_epoch_then_click_stop)
    panel.run_button.click()
    panel._thread.join(timeout=120)
    assert seen == [(True, True, False)]  # while training, Run is disabled and Stop enabled
    assert panel.runs['epoch'].tolist() == [1] and panel.runs['stopped'].tolist() == [True]
    assert sweep_rows(panel.runs) == sweep_rows(d2l.sweep(num_train=3000, num_epochs=1))
    assert panel.status.value == 'run 1 stopped; kept its 1 finished epoch'
    assert not panel.running and not panel.run_button.disabled and panel.stop_button.disabled


def test_run_refuses_to_start_while_a_run_trains(monkeypatch):
    panel = d2l.explore(num_train=1000, num_epochs=1)
    calls = []

    def train_and_try_again(config):
        with pytest.raises(RuntimeError, match='a run is in progress'):
            panel.run()
        calls.append(config)
        return panel.runs

    monkeypatch.setattr(panel, '_train', train_and_try_again)
    panel.run()
    assert calls == [panel.values()]
