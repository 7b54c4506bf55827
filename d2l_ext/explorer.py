"""`d2l.explore`: a Jupyter panel that trains seeded runs, draws their curves live and keeps them all."""
import io
import math
import threading

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .checks import check_non_negative, check_positive, check_positive_int, check_seed
from .models import MODELS, TRAIN_SIZE, check_impl, check_num_train, run_experiment
from .sweep_plot import plot_sweep
from .table import COLUMNS, history_or_divergence, run_rows

KNOBS = ('lr', 'batch_size', 'num_epochs', 'weight_decay', 'impl', 'num_train', 'seed')  # in label order
FORMATS = {'lr': '{:g}', 'weight_decay': '{:g}', 'loss': '{:.4g}', 'train_acc': '{:.3f}', 'test_acc': '{:.3f}'}

# Logarithmic grids of the sliders; a default that is off the grid is added to it.
LEARNING_RATES = [float(f'{mantissa}e{exponent}') for exponent in range(-4, 5) for mantissa in (1, 3)] + [1e5]
WEIGHT_DECAYS = [0.0] + [float(f'{mantissa}e{exponent}') for exponent in range(-5, 0) for mantissa in (1, 3)] + [1.0]
BATCH_SIZES = [2 ** power for power in range(4, 13)]
TRAIN_SIZES = [500, 1000, 2000, 5000, 10000, 20000, TRAIN_SIZE]


class RunStopped(Exception):
    """Raised between minibatches when Stop was pressed; the run keeps the epochs it finished."""


def explore(lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0, num_train=None,
            **options):
    """A panel of controls starting from these values (named as in `d2l.sweep`); Run trains one seeded run.

    `options` go to `run_experiment` (data_root, ctx). Displaying the returned `Explorer` shows the panel.
    """
    return Explorer(lr, batch_size, num_epochs, impl, weight_decay, seed, num_train, **options)


def _slider(description, grid, value):
    """A slider over `grid` (plus `value`), labelled with each value in its shortest form."""
    options = sorted({*grid, value})
    return widgets.SelectionSlider(options=[(f'{option:g}', option) for option in options], value=value,
                                   description=description, style={'description_width': '90px'})


class Explorer:
    """The panel: controls, Run and Stop, live curves of every run, and a table of their last epochs.

    `.run()` does what the Run button does (synchronously); `.runs` holds one row per run and epoch.
    """

    def __init__(self, lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0,
                 num_train=None, **options):
        check_positive('lr', lr)
        check_positive_int('batch_size', batch_size)
        check_positive_int('num_epochs', num_epochs)
        check_non_negative('weight_decay', weight_decay)
        check_seed('seed', seed)
        check_impl('impl', impl)
        num_train = TRAIN_SIZE if num_train is None else num_train
        check_num_train('num_train', num_train)
        self.options = options
        self.runs = pd.DataFrame(columns=COLUMNS)
        self._stop = threading.Event()
        self._lock = threading.Lock()  # held while a run trains
        self._thread = None
        self._build(lr, batch_size, num_epochs, impl, weight_decay, seed, num_train)

    def _build(self, lr, batch_size, num_epochs, impl, weight_decay, seed, num_train):
        """Create the widgets, laid out in three rows of controls above the figure, the table and the log."""
        self.controls = {  # in the order of `d2l.sweep`'s arguments
            'lr': _slider('learning rate', LEARNING_RATES, lr),
            'batch_size': _slider('batch size', BATCH_SIZES, batch_size),
            'num_epochs': widgets.IntSlider(num_epochs, 1, max(20, num_epochs), description='epochs',
                                            style={'description_width': '90px'}),
            'impl': widgets.ToggleButtons(options=list(MODELS), value=impl, description='model',
                                          style={'description_width': '90px', 'button_width': '80px'}),
            'weight_decay': _slider('weight decay', WEIGHT_DECAYS, weight_decay),
            'seed': widgets.BoundedIntText(seed, min=0, max=2 ** 32 - 1, description='seed',
                                           layout={'width': '180px'}, style={'description_width': '40px'}),
            'num_train': _slider('train images', TRAIN_SIZES, num_train),
        }
        self.run_button = widgets.Button(description='Run', button_style='success', icon='play')
        self.stop_button = widgets.Button(description='Stop', button_style='danger', icon='stop', disabled=True)
        self.run_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = widgets.FloatProgress(0, min=0, max=1, description='epochs', layout={'width': '300px'})
        self.status = widgets.Label('Choose values and press Run.')
        self.figure = widgets.Image(format='png', layout={'width': '100%', 'max_width': '1000px'})
        self.table = widgets.HTML()
        self.log = widgets.HTML()
        c = self.controls
        self.panel = widgets.VBox([
            widgets.HBox([c['lr'], c['batch_size'], c['num_epochs']]),
            widgets.HBox([c['weight_decay'], c['num_train'], c['seed']]),
            widgets.HBox([c['impl']]),
            widgets.HBox([self.run_button, self.stop_button, self.progress, self.status]),
            self.figure, self.table, self.log,
        ], layout={'border': '1px solid #ddd', 'padding': '6px'})
        self._draw(self.runs)

    def values(self):
        """The controls' current values, as keyword arguments of `d2l.sweep` (plus num_train)."""
        return {name: control.value for name, control in self.controls.items()}

    @property
    def running(self):
        """True while a run trains."""
        return self._lock.locked()

    def run(self):
        """Train one seeded run with the current values and add it to `.runs`; returns its rows.

        A run that diverges is kept, as in `d2l.sweep`, with NaN metrics from the epoch it diverged on;
        one ended by `stop()` keeps the epochs it finished.
        """
        if not self._lock.acquire(blocking=False):
            raise RuntimeError('a run is in progress: wait for it or press Stop')
        try:
            return self._train(self.values())
        finally:
            self._lock.release()
            self._set_running(False)

    def start(self):
        """What the Run button does: `run()` in a background thread, so Stop stays clickable in Jupyter."""
        if self.running:
            return
        self.run_button.disabled = True  # at once, so that a double click starts one run
        self._thread = threading.Thread(target=self._run_reporting_errors, daemon=True)
        self._thread.start()

    def stop(self):
        """End the current run after its current minibatch, keeping its finished epochs."""
        if self.running:
            self._stop.set()
            self.status.value = 'Stopping after this minibatch...'

    def _run_reporting_errors(self):
        try:
            self.run()
        except Exception as err:  # a thread has nobody to raise to: show it in the panel
            self.status.value = f'error: {err}'

    def _set_running(self, running):
        self.run_button.disabled = running
        self.stop_button.disabled = not running
        for control in self.controls.values():
            control.disabled = running

    def _train(self, config):
        number = int(self.runs['run'].max()) + 1 if len(self.runs) else 1
        self._stop.clear()
        self._set_running(True)
        self.progress.max, self.progress.value = config['num_epochs'], 0
        self.status.value = f'run {number}: training...'
        live = _LiveRun(self, number, config)
        stopped = False
        try:
            history, diverged = history_or_divergence(config['num_epochs'], lambda: run_experiment(
                **config, progress=live.batches, plot=live, **self.options))
        except RunStopped:
            history, diverged, stopped = live.history, False, True
        rows = run_rows(number, config, history, diverged, stopped)
        self.runs = pd.concat([self.runs, rows], ignore_index=True) if len(self.runs) else rows
        self._draw(self.runs)
        self.status.value = self._outcome(number, history, diverged, stopped)
        live.log(self.status.value)
        return rows

    @staticmethod
    def _outcome(number, history, diverged, stopped):
        finished = sum(not math.isnan(row.loss) for row in history)  # not the NaN rows of a diverged run
        if diverged:
            return (f'run {number} diverged in epoch {finished + 1}: its loss stopped being finite '
                    '(try a smaller learning rate or weight decay)')
        if stopped:
            return f'run {number} stopped; kept its {finished} finished epoch{"s" * (finished != 1)}'
        return f'run {number} finished'

    def _draw(self, runs):
        """Redraw the curves of `runs` and the table of their last epochs."""
        figure = Figure(figsize=(12, 2.8), layout='tight')
        axes = plot_sweep(runs, axes=figure.subplots(1, 3), numbered=True)
        for ax in axes:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(runs):
            axes[-1].legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.02, 1))  # beside the curves
        png = io.BytesIO()
        figure.savefig(png, format='png', dpi=90)
        self.figure.value = png.getvalue()
        last = runs.groupby('run', sort=False).tail(1)
        self.table.value = last.to_html(index=False, classes='d2l-explorer-runs', na_rep='NaN', formatters={
            name: fmt.format for name, fmt in FORMATS.items()}) if len(last) else ''

    def __repr__(self):
        values = ', '.join(f'{name}={value!r}' for name, value in self.values().items())
        return f'Explorer({values}; {self.runs["run"].nunique()} runs)'

    def _repr_mimebundle_(self, **kwargs):
        """Jupyter shows the panel; the text form (what nbval compares) is the repr, free of widget ids."""
        bundle = self.panel._repr_mimebundle_(**kwargs)
        bundle['text/plain'] = repr(self)
        return bundle


class _LiveRun:
    """The hooks of one run: wraps its minibatches (progress, Stop) and gets each finished epoch (curves, log)."""

    def __init__(self, explorer, number, config):
        self.explorer, self.number, self.config = explorer, number, config
        self.history = []
        self.lines = []

    def batches(self, train_iter):
        """`run_experiment`'s progress wrapper of the training minibatches."""
        return _StoppableBatches(train_iter, self)

    def update(self, history):
        """Called by `train_ch3` after every epoch with the history so far: redraw with this run's epochs."""
        self.history = list(history)
        self.explorer.progress.value = len(history)
        self.log(f'run {self.number}: {history[-1]}')
        rows = run_rows(self.number, self.config, self.history)
        runs = self.explorer.runs
        self.explorer._draw(pd.concat([runs, rows], ignore_index=True) if len(runs) else rows)

    def log(self, line):
        """Add a line to the panel's log: the book's line per epoch, as `train_ch3` and the train command print."""
        self.lines.append(line)
        self.explorer.log.value = '<pre>' + '\n'.join(self.lines) + '</pre>'


class _StoppableBatches:
    """The training minibatches; before each one, end the run if Stop was pressed, and move the progress bar."""

    def __init__(self, batches, live, steps=50):
        self.batches, self.live, self.steps = batches, live, steps

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        explorer, total, shown = self.live.explorer, len(self.batches), 0
        for done, batch in enumerate(self.batches):
            if explorer._stop.is_set():
                raise RunStopped
            step = done * self.steps // total
            if step != shown:  # a few updates per epoch, not one message per minibatch
                explorer.progress.value = len(self.live.history) + step / self.steps
                shown = step
            yield batch
