"""The explorer's runs without its widgets: one table of every run, one run training at a time (here or in a
background thread), and Stop, honoured between minibatches."""
import threading

import pandas as pd

from .models import run_experiment
from .table import COLUMNS, history_or_divergence, run_rows


class RunStopped(Exception):
    """Raised between minibatches when Stop was pressed; the run keeps the epochs it finished."""


def _ignore(*args):
    """A callback that does nothing: what a run reports goes nowhere unless asked for."""


class RunState:
    """Seeded runs of `run_experiment`, one at a time, kept in `runs`: a row per run and epoch (table.COLUMNS).

    A run that diverges is kept with NaN metrics from the epoch it diverged on, as in `d2l.sweep`; one ended
    by `stop()` keeps the epochs it finished. What a run reports goes to the callbacks (a panel shows it):
    `on_start(number, config)`; `on_progress(epochs)`, the epochs done, a fraction while one is under way, a
    few times per epoch; `on_epoch(rows, stats)`, the run's rows so far and the `EpochStats` just finished
    (the line it prints); `on_end(number, rows)`, the rows kept (None if it failed), once no run trains.
    `options` go to `run_experiment` (data_root, ctx).
    """

    def __init__(self, on_start=_ignore, on_progress=_ignore, on_epoch=_ignore, on_end=_ignore, **options):
        self.on_start, self.on_progress, self.on_epoch, self.on_end = on_start, on_progress, on_epoch, on_end
        self.options = options
        self.runs = pd.DataFrame(columns=COLUMNS)
        self.thread = None  # the background thread of the latest `start()`
        self._stop = threading.Event()
        self._lock = threading.Lock()  # held while a run trains

    @property
    def running(self):
        """True while a run trains."""
        return self._lock.locked()

    def run(self, config):
        """Train one run of `config` (keyword arguments of `run_experiment`), add it to `runs`; returns its rows."""
        if not self._lock.acquire(blocking=False):
            raise RuntimeError('a run is in progress: wait for it or press Stop')
        number, rows = int(self.runs['run'].max()) + 1 if len(self.runs) else 1, None
        try:
            rows = self._train(number, config)
            self.runs = pd.concat([self.runs, rows], ignore_index=True) if len(self.runs) else rows
        finally:
            self._lock.release()
            self.on_end(number, rows)
        return rows

    def start(self, config, on_error):
        """`run(config)` in a background thread, so that Stop stays clickable in Jupyter; an exception goes to
        `on_error`, since a thread has nobody to raise it to. Does nothing while a run trains."""
        if self.running:
            return
        self.thread = threading.Thread(target=self._run_reporting_errors, args=(config, on_error), daemon=True)
        self.thread.start()

    def stop(self):
        """End the current run after its current minibatch; returns whether a run was training."""
        running = self.running
        if running:
            self._stop.set()
        return running

    def _run_reporting_errors(self, config, on_error):
        try:
            self.run(config)
        except Exception as err:  # a thread has nobody to raise to: hand it to `on_error`
            on_error(err)

    def _train(self, number, config):
        self._stop.clear()
        self.on_start(number, config)
        live = _LiveRun(self, number, config)
        stopped = False
        try:
            history, diverged = history_or_divergence(config['num_epochs'], lambda: run_experiment(
                **config, progress=live.batches, plot=live, **self.options))
        except RunStopped:
            history, diverged, stopped = live.history, False, True
        return run_rows(number, config, history, diverged, stopped)


def outcome(number, rows):
    """One line on how run `number` (its `rows`) ended: finished, stopped (with its finished epochs) or diverged."""
    finished = int(rows['loss'].notna().sum())  # not the NaN rows of a diverged run
    if rows['diverged'].any():
        return (f'run {number} diverged in epoch {finished + 1}: its loss stopped being finite '
                '(try a smaller learning rate or weight decay)')
    if rows.empty or rows['stopped'].any():  # only a stopped run can have no rows
        return f'run {number} stopped; kept its {finished} finished epoch{"s" * (finished != 1)}'
    return f'run {number} finished'


class _LiveRun:
    """The hooks of one run: wraps its minibatches (progress, Stop) and gets each finished epoch."""

    def __init__(self, state, number, config):
        self.state, self.number, self.config = state, number, config
        self.history = []

    def batches(self, train_iter):
        """`run_experiment`'s progress wrapper of the training minibatches."""
        return _StoppableBatches(train_iter, self)

    def update(self, history):
        """Called by `train_ch3` after every epoch with the history so far."""
        self.history = list(history)
        self.state.on_progress(len(history))
        self.state.on_epoch(run_rows(self.number, self.config, self.history), self.history[-1])


class _StoppableBatches:
    """The training minibatches; before each one, end the run if Stop was pressed, and report progress."""

    def __init__(self, batches, live, steps=50):
        self.batches, self.live, self.steps = batches, live, steps

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        state, total, shown = self.live.state, len(self.batches), 0
        for done, batch in enumerate(self.batches):
            if state._stop.is_set():
                raise RunStopped
            step = done * self.steps // total
            if step != shown:  # a few updates per epoch, not one message per minibatch
                state.on_progress(len(self.live.history) + step / self.steps)
                shown = step
            yield batch
