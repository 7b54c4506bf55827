"""The explorer without a browser: its run state alone (runs equal to sweeps, divergence, Stop, one run at a
time), and its panel (defaults, typed values, the table, the figure's text alternative)."""
import html
import re

import ipywidgets as widgets
import pandas as pd
import pytest
from matplotlib import pyplot as plt

import d2l_ext as d2l
from d2l_ext.run_state import RunState, outcome

# what a run's numbers depend on, and the numbers (a stopped run planned more epochs than it finished)
SWEEP_COLUMNS = ['impl', 'lr', 'batch_size', 'weight_decay', 'num_train', 'seed', 'epoch', 'loss', 'train_acc',
                 'test_acc', 'diverged']
SMALL = dict(num_train=3000, num_epochs=2)  # a few seconds per run
CONFIG = dict(lr=0.1, batch_size=256, impl='concise', weight_decay=0.0, seed=0, **SMALL)


def sweep_rows(df):
    return [tuple(row) for row in df[SWEEP_COLUMNS].itertuples(index=False)]


def sweep(**config):
    return d2l.sweep(**config, progress=False)


# The run state alone: no widgets

def test_a_run_reports_each_epoch_and_is_kept_with_the_numbers_of_sweep_and_of_train_ch3():
    reports = []
    state = RunState(on_start=lambda number, config: reports.append(('start', number, state.running)),
                     on_epoch=lambda rows, stats: reports.append(('epoch', len(rows), str(stats))),
                     on_end=lambda number, rows: reports.append(('end', number, len(rows), state.running)))
    rows = state.run(CONFIG)
    history = d2l.run_experiment(**CONFIG)  # what `train --train-size 3000 --epochs 2` prints
    assert reports == [('start', 1, True), ('epoch', 1, str(history[0])), ('epoch', 2, str(history[1])),
                       ('end', 1, 2, False)]
    assert sweep_rows(rows) == sweep_rows(state.runs) == sweep_rows(sweep(**CONFIG))
    assert outcome(1, rows) == 'run 1 finished'


def test_stop_ends_the_run_between_minibatches_and_keeps_finished_epochs():
    """Stop is requested as soon as epoch 1 is finished, so epoch 2 never completes."""
    state = RunState(on_epoch=lambda rows, stats: state.stop())
    rows = state.run(dict(CONFIG, num_epochs=3))
    assert rows['epoch'].tolist() == [1] and rows['stopped'].tolist() == [True]
    metrics = ['epoch', 'loss', 'train_acc', 'test_acc']
    assert rows[metrics].values.tolist() == sweep(**dict(CONFIG, num_epochs=1))[metrics].values.tolist()
    assert outcome(1, rows) == 'run 1 stopped; kept its 1 finished epoch'
    assert not state.running and not state.stop()


def test_a_diverged_run_is_kept_with_nan_metrics_not_raised():
    config = dict(CONFIG, lr=1e5, impl='scratch', num_train=2048)
    rows = RunState().run(config)
    assert rows['diverged'].tolist() == [True, True]
    assert rows[['loss', 'train_acc', 'test_acc']].isna().all().all()
    pd.testing.assert_frame_equal(rows, sweep(**config), check_dtype=False)
    assert outcome(1, rows).startswith('run 1 diverged in epoch 1: its loss stopped being finite')


def test_one_run_at_a_time_and_stop_before_any_epoch_keeps_nothing():
    attempts = []

    def start_another_then_stop(number, config):
        with pytest.raises(RuntimeError, match='a run is in progress: wait for it or press Stop'):
            state.run(config)
        attempts.append(number)
        state.stop()

    state = RunState(on_start=start_another_then_stop)
    rows = state.run(dict(CONFIG, num_train=1000, num_epochs=1))
    assert attempts == [1] and rows.empty and state.runs.empty
    assert outcome(1, rows) == 'run 1 stopped; kept its 0 finished epochs'


# The panel

def test_controls_start_from_the_defaults_and_are_labelled_boxes_and_lists():
    panel = d2l.explore(lr=0.5, batch_size=50, num_epochs=1, weight_decay=0.03, seed=7)
    assert panel.values() == {'lr': 0.5, 'batch_size': 50, 'num_epochs': 1, 'impl': 'concise',
                              'weight_decay': 0.03, 'seed': 7, 'num_train': 60000}
    controls = panel.controls
    assert {name: control.description for name, control in controls.items()} == {
        'lr': 'learning rate', 'batch_size': 'batch size', 'num_epochs': 'epochs', 'impl': 'model',
        'weight_decay': 'weight decay', 'seed': 'seed', 'num_train': 'train images'}
    assert {name: type(control) for name, control in controls.items()} == {  # no sliders: each reads as its value
        'lr': widgets.FloatText, 'batch_size': widgets.Dropdown, 'num_epochs': widgets.BoundedIntText,
        'impl': widgets.Dropdown, 'weight_decay': widgets.FloatText, 'seed': widgets.BoundedIntText,
        'num_train': widgets.Dropdown}
    assert [label for label, _ in controls['batch_size'].options][:4] == ['16', '32', '50', '64']  # 50 added
    assert list(controls['impl'].options) == ['concise', 'scratch', 'mlp']
    assert panel.runs.empty and set(SWEEP_COLUMNS) <= set(panel.runs.columns)
    assert not panel.running and panel.stop_button.disabled and not panel.run_button.disabled


def test_the_learning_rate_takes_any_positive_value_and_explains_a_bad_one():
    panel = d2l.explore(num_train=1000, num_epochs=1)
    panel.controls['lr'].value = 0.2  # off any grid
    assert panel.values()['lr'] == 0.2 and panel.status.value == 'Choose values and press Run.'
    for bad in (0.0, -1.0):
        panel.controls['lr'].value = bad
        message = f'learning rate must be a positive finite number, got {bad}'
        assert panel.status.value == f'{message}: enter another value'
        with pytest.raises(ValueError, match=re.escape(message)):
            panel.run()
        panel.run_button.click()  # shows the message, starts nothing
        assert panel.state.thread is None and panel.runs.empty and not panel.run_button.disabled
    panel.controls['weight_decay'].value = -0.1
    assert panel.status.value.startswith('learning rate must be')  # the first bad value is named
    panel.controls['lr'].value = 0.2
    assert panel.status.value == 'weight decay must be a non-negative finite number, got -0.1: enter another value'
    panel.controls['weight_decay'].value = 0.0
    assert panel.status.value == 'Choose values and press Run.'
    assert sweep_rows(panel.run()) == sweep_rows(sweep(lr=0.2, num_train=1000, num_epochs=1))


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
    """A panel after Run at lr 0.3, then at lr 1 typed into its box."""
    panel = d2l.explore(lr=0.3, **SMALL)
    first = panel.run()
    panel.controls['lr'].value = 1.0
    second = panel.run()
    return panel, first, second


def test_a_run_prints_the_numbers_of_sweep_and_of_the_train_command(two_runs):
    panel, first, second = two_runs
    assert sweep_rows(first) == sweep_rows(sweep(lr=0.3, **SMALL))
    assert sweep_rows(second) == sweep_rows(sweep(lr=1.0, **SMALL))
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
    for test_acc in runs.groupby('run').tail(1)['test_acc']:
        assert f'<td>{test_acc:.3f}</td>' in body
    assert panel.status.value == 'run 2 finished' and repr(panel).endswith('; 2 runs)')


def test_the_figure_has_alt_text_of_its_runs_and_their_last_epochs(two_runs):
    panel, first, second = two_runs
    assert panel.figure.value.startswith('<img src="data:image/png;base64,iVBORw0KGgo')  # a PNG
    sentences = [f'run {number}: lr={lr}; epoch 2: train loss {rows["loss"].iloc[-1]:.4g}, '
                 f'train acc {rows["train_acc"].iloc[-1]:.3f}, test acc {rows["test_acc"].iloc[-1]:.3f}.'
                 for number, lr, rows in [(1, '0.3', first), (2, '1', second)]]
    alt = html.unescape(re.search(r'alt="([^"]*)"', panel.figure.value).group(1))
    assert alt == ' '.join(['Train loss (log scale), train acc and test acc against epoch, 2 runs.', *sentences])
    assert 'alt="No runs yet: empty panels of train loss' in d2l.explore().figure.value


def test_curves_are_labelled_by_run_and_what_differs(two_runs):
    axes = d2l.plot_sweep(two_runs[0].runs, numbered=True)
    try:
        assert [text.get_text() for text in axes[-1].get_legend().get_texts()] == ['run 1: lr=0.3', 'run 2: lr=1']
    finally:
        plt.close(axes[0].figure)


def test_a_diverged_run_shows_in_the_status_and_table_and_the_panel_stays_usable():
    panel = d2l.explore(lr=1e5, impl='scratch', num_train=2048, num_epochs=2)
    panel.run()
    assert panel.status.value.startswith('run 1 diverged in epoch 1: its loss stopped being finite')
    assert '<td>True</td>' in panel.table.value and 'run 1: lr=100000; diverged.' in html.unescape(panel.figure.value)
    assert not panel.running and not panel.run_button.disabled and panel.stop_button.disabled


def test_run_and_stop_buttons_train_in_the_background(monkeypatch):
    """Run is clicked; Stop is clicked as soon as epoch 1 is finished, so epoch 2 never completes."""
    panel = d2l.explore(num_train=3000, num_epochs=3)
    seen = []
    show_epoch = panel.state.on_epoch

    def show_epoch_then_click_stop(rows, stats):
        show_epoch(rows, stats)
        seen.append((panel.running, panel.run_button.disabled, panel.stop_button.disabled,
                     panel.controls['lr'].disabled, panel.progress.value))
        panel.stop_button.click()

    monkeypatch.setattr(panel.state, 'on_epoch', show_epoch_then_click_stop)
    panel.run_button.click()
    panel.state.thread.join(timeout=120)
    assert seen == [(True, True, False, True, 1)]  # while training, Run and the controls are disabled
    assert panel.runs['epoch'].tolist() == [1] and panel.runs['stopped'].tolist() == [True]
    assert panel.status.value == 'run 1 stopped; kept its 1 finished epoch'
    assert not panel.running and not panel.run_button.disabled and panel.stop_button.disabled
    assert not panel.controls['lr'].disabled
