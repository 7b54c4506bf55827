"""The one table of runs that `d2l.sweep`, the explorer and saved results share: a row per run and epoch, with
every knob of the run, so that tables from anywhere can be concatenated and still told apart."""
import math

import pandas as pd

from .training import DivergenceError, EpochStats

KNOBS = ('impl', 'lr', 'batch_size', 'weight_decay', 'num_epochs', 'num_train', 'seed')
METRICS = EpochStats._fields[1:]
COLUMNS = ('run', *KNOBS, *EpochStats._fields, 'diverged', 'stopped')


def run_rows(number, knobs, history, diverged=False, stopped=False):
    """The rows of run `number`: `knobs` maps each name of KNOBS to its value, `history` is its EpochStats."""
    values = [number, *(knobs[name] for name in KNOBS)]
    return pd.DataFrame([(*values, *row, diverged, stopped) for row in history], columns=COLUMNS)


def history_or_divergence(num_epochs, train):
    """(history, diverged) of `train()`; a run that diverges keeps the epochs it completed, then NaN rows."""
    try:
        return train(), False
    except DivergenceError as err:
        return err.history + [EpochStats(epoch, math.nan, math.nan, math.nan)
                              for epoch in range(len(err.history) + 1, num_epochs + 1)], True
