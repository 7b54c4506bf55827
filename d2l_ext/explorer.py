"""`d2l.explore`: a Jupyter panel that trains seeded runs, draws their curves live and keeps them all."""
import ipywidgets as widgets
import pandas as pd

from .explorer_controls import check_values, make_controls
from .explorer_figure import figure_html, last_epochs_html
from .models import TRAIN_SIZE
from .run_state import RunState, outcome

READY = 'Choose values and press Run.'


def explore(lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0, num_train=None,
            **options):
    """A panel of controls starting from these values (named as in `d2l.sweep`); Run trains one seeded run.

    `options` go to `run_experiment` (data_root, ctx). Displaying the returned `Explorer` shows the panel.
    """
    return Explorer(lr, batch_size, num_epochs, impl, weight_decay, seed, num_train, **options)


class Explorer:
    """The panel: controls, Run and Stop, live curves of every run, and a table of their last epochs.

    `.run()` does what the Run button does (synchronously); `.runs` holds one row per run and epoch. The runs
    themselves (table, thread, Stop) are a `RunState`, `.state`; the panel shows what it reports.
    """

    def __init__(self, lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0,
                 num_train=None, **options):
        values = dict(lr=lr, batch_size=batch_size, num_epochs=num_epochs, impl=impl, weight_decay=weight_decay,
                      seed=seed, num_train=TRAIN_SIZE if num_train is None else num_train)
        check_values(values)
        self.state = RunState(on_start=self._started, on_progress=self._progressed, on_epoch=self._epoch_finished,
                              on_end=self._ended, **options)
        self.controls = make_controls(values)
        for control in self.controls.values():
            control.observe(self._show_check, 'value')
        self.run_button = widgets.Button(description='Run', button_style='success', icon='play')
        self.stop_button = widgets.Button(description='Stop', button_style='danger', icon='stop', disabled=True)
        self.run_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = widgets.FloatProgress(0, min=0, max=1, description='progress', layout={'width': '300px'})
        self.status = widgets.Label(READY)
        self.figure = widgets.HTML(figure_html(self.runs))
        self.table = widgets.HTML()
        self.log = widgets.HTML()
        self.panel = self._layout()
        self._lines = []

    def _layout(self):
        """Three rows of controls above Run, Stop and the status, then the figure, the table and the log."""
        c = self.controls
        return widgets.VBox([
            widgets.HBox([c['lr'], c['batch_size'], c['num_epochs']]),
            widgets.HBox([c['weight_decay'], c['num_train'], c['seed']]),
            widgets.HBox([c['impl']]),
            widgets.HBox([self.run_button, self.stop_button, self.progress, self.status]),
            self.figure, self.table, self.log,
        ], layout={'border': '1px solid #ddd', 'padding': '6px'})

    @property
    def runs(self):
        """One row per run and epoch: `d2l.sweep`'s table."""
        return self.state.runs

    @property
    def running(self):
        """True while a run trains."""
        return self.state.running

    @property
    def _thread(self):
        """The thread of the latest Run click: join it to wait for the run."""
        return self.state.thread

    def values(self):
        """The controls' current values, as keyword arguments of `d2l.sweep` (plus num_train)."""
        return {name: control.value for name, control in self.controls.items()}

    def run(self):
        """Train one seeded run with the current values and add it to `.runs`; returns its rows.

        A run that diverges is kept, as in `d2l.sweep`, with NaN metrics from the epoch it diverged on; one
        ended by `stop()` keeps the epochs it finished. Bad values raise a ValueError naming their control.
        """
        values = self.values()
        check_values(values, labelled=True)
        return self.state.run(values)

    def start(self):
        """What the Run button does: `run()` in a background thread, so Stop stays clickable in Jupyter.

        Bad values are shown in the panel instead of starting a run."""
        if self.running or not self._show_check():
            return
        self.run_button.disabled = True  # at once, so that a double click starts one run
        self.state.start(self.values(), on_error=self._show_error)

    def stop(self):
        """End the current run after its current minibatch, keeping its finished epochs."""
        if self.state.stop():
            self.status.value = 'Stopping after this minibatch...'

    def _show_error(self, err):
        self.status.value = f'error: {err}'

    def _show_check(self, change=None):
        """Show why the values cannot run, or READY after a change that fixed them; returns whether they can."""
        try:
            check_values(self.values(), labelled=True)
        except ValueError as err:
            self.status.value = f'{err}: enter another value'
            return False
        if change is not None and not self.running:
            self.status.value = READY
        return True

    def _started(self, number, config):
        self._set_running(True)
        self.progress.max, self.progress.value = config['num_epochs'], 0
        self.status.value = f'run {number}: training...'
        self._lines = []

    def _progressed(self, epochs):
        self.progress.value = epochs

    def _epoch_finished(self, rows, stats):
        """Redraw with this run's epochs so far and log the book's line of the epoch."""
        self._log(f'run {rows["run"].iloc[0]}: {stats}')
        self._draw(pd.concat([self.runs, rows], ignore_index=True) if len(self.runs) else rows)

    def _ended(self, number, rows):
        self._draw(self.runs)
        if rows is not None:
            self.status.value = outcome(number, rows)
            self._log(self.status.value)
        self._set_running(False)

    def _set_running(self, running):
        self.run_button.disabled = running
        self.stop_button.disabled = not running
        for control in self.controls.values():
            control.disabled = running

    def _log(self, line):
        """Add a line to the panel's log: the book's line per epoch, as `train_ch3` and the train command print."""
        self._lines.append(line)
        self.log.value = '<pre>' + '\n'.join(self._lines) + '</pre>'

    def _draw(self, runs):
        """Redraw the curves of `runs` and the table of their last epochs."""
        self.figure.value = figure_html(runs)
        self.table.value = last_epochs_html(runs)

    def __repr__(self):
        values = ', '.join(f'{name}={value!r}' for name, value in self.values().items())
        return f'Explorer({values}; {self.runs["run"].nunique()} runs)'

    def _repr_mimebundle_(self, **kwargs):
        """Jupyter shows the panel; the text form (what nbval compares) is the repr, free of widget ids."""
        bundle = self.panel._repr_mimebundle_(**kwargs)
        bundle['text/plain'] = repr(self)
        return bundle
