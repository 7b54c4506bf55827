"""Hyperparameter grids of seeded experiments, as a tidy table, and a figure of them."""
import functools
import itertools
import math

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt

from . import parallel
from .checks import check_non_negative, check_positive, check_positive_int, check_seed
from .models import run_experiment
from .training import DivergenceError, EpochStats

GRID = ('lr', 'batch_size', 'weight_decay')
METRICS = EpochStats._fields[1:]
COLUMNS = (*GRID, *EpochStats._fields, 'diverged')
LABELS = {'loss': 'train loss', 'train_acc': 'train acc', 'test_acc': 'test acc'}


def _values(name, values, check):
    """A grid axis as a list (a single value becomes a one-element list), each value checked."""
    values = list(values) if isinstance(values, (list, tuple, range, np.ndarray, pd.Series)) else [values]
    if not values:
        raise ValueError(f'{name} needs at least one value')
    for value in values:
        check(name, value)
    return values


def sweep(lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0, *, n_jobs=1,
          **options):
    """Train one model per combination of `lr` x `batch_size` x `weight_decay`, each seeded with `seed`.

    Returns a DataFrame with one row per run and epoch: lr, batch_size, weight_decay, epoch, loss,
    train_acc, test_acc, diverged. A run whose loss stops being finite is kept with `diverged` True:
    the epochs it completed as they were, NaN metrics from the epoch that diverged on. `n_jobs` runs
    that many runs at once in worker processes (-1: one per core; 1, the default: one after another);
    the table is the same either way. `options` go to `run_experiment` (num_train, data_root, ctx, ...).
    """
    check_positive_int('num_epochs', num_epochs)
    check_seed('seed', seed)
    grid = list(itertools.product(_values('lr', lr, check_positive),
                                  _values('batch_size', batch_size, check_positive_int),
                                  _values('weight_decay', weight_decay, check_non_negative)))
    workers = parallel.workers(n_jobs, len(grid))
    run = functools.partial(_run_rows, num_epochs=num_epochs, impl=impl, seed=seed, **options)
    runs = parallel.map_in_processes(run, grid, workers) if workers > 1 else map(run, grid)
    return pd.DataFrame([row for rows in runs for row in rows], columns=COLUMNS)


def _run_rows(point, num_epochs, impl, seed, **options):
    """The table rows of one run of the grid: `point` is (lr, batch_size, weight_decay)."""
    history, diverged = history_or_divergence(
        num_epochs, lambda: run_experiment(*point[:2], num_epochs, impl, point[2], seed, **options))
    return [(*point, *row, diverged) for row in history]


def history_or_divergence(num_epochs, train):
    """(history, diverged) of `train()`; a run that diverges keeps the epochs it completed, then NaN rows."""
    try:
        return train(), False
    except DivergenceError as err:
        return err.history + [EpochStats(epoch, math.nan, math.nan, math.nan)
                              for epoch in range(len(err.history) + 1, num_epochs + 1)], True


def _label_value(value):
    return f'{value:g}' if isinstance(value, float) else str(value)


def plot_sweep(df, metrics=METRICS, axes=None, by=GRID):
    """One panel per metric against epoch, one line per run, labelled by the `by` columns whose values vary.

    Rows with the same `run` number form a run, or without that column, rows with the same `by` values.
    The loss panel has a log scale so that runs whose losses differ by orders of magnitude all show.
    Returns the axes.
    """
    varying = [name for name in by if df[name].nunique() > 1] or list(by[:1])
    if axes is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(3.5 * len(metrics), 2.8), squeeze=False)
        axes = axes[0]
    numbered = 'run' in df
    for key, run in df.groupby('run' if numbered else varying, sort=False):
        label = ', '.join(f'{name}={_label_value(run[name].iloc[0])}' for name in varying)
        if numbered:
            label = f'run {key}: {label}'
        if run['diverged'].any():
            label += ' (diverged)'
        for ax, metric in zip(axes, metrics):
            ax.plot(run['epoch'], run[metric], label=label)
    for ax, metric in zip(axes, metrics):
        ax.set_xlabel('epoch')
        ax.set_title(LABELS.get(metric, metric))
        if metric == 'loss':
            ax.set_yscale('log')
        ax.grid(True)
    if len(df):
        axes[-1].legend(fontsize=8)
    return axes
