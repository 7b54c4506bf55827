"""Hyperparameter grids of seeded experiments, as one table of runs."""
import itertools

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .checks import check_non_negative, check_positive, check_positive_int, check_seed
from .models import TRAIN_SIZE, check_impl, check_num_train, run_experiment
from .parallel import check_n_jobs, map_in_workers
from .table import history_or_divergence, run_rows

AXES = {'impl': check_impl, 'lr': check_positive, 'batch_size': check_positive_int,
        'weight_decay': check_non_negative, 'num_train': check_num_train, 'seed': check_seed}  # in grid order


def _values(name, values):
    """A grid axis as a list (a single value becomes a one-element list), each value checked."""
    values = list(values) if isinstance(values, (list, tuple, range, np.ndarray, pd.Series)) else [values]
    if not values:
        raise ValueError(f'{name} needs at least one value')
    for value in values:
        AXES[name](name, value)
    return values


def sweep(lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0, num_train=None, *,
          n_jobs=None, progress=True, **options):
    """Train one seeded model per combination of the values of impl, lr, batch_size, weight_decay, num_train
    and seed; each may be one value or a list of them.

    Returns a DataFrame with one row per run and epoch (the columns of `d2l_ext.table.COLUMNS`: the run's
    number, its knobs, epoch, loss, train_acc, test_acc, diverged, stopped). A run whose loss stops being
    finite is kept with `diverged` True: the epochs it completed as they were, NaN metrics from the epoch
    that diverged on. `n_jobs` trains that many runs at once in worker processes, as scikit-learn means it
    (-1: one per CPU); the table is the same either way. `progress` shows runs done out of all.
    `options` go to `run_experiment` (data_root, ctx).
    """
    check_positive_int('num_epochs', num_epochs)
    check_n_jobs(n_jobs)
    axes = {'impl': impl, 'lr': lr, 'batch_size': batch_size, 'weight_decay': weight_decay,
            'num_train': TRAIN_SIZE if num_train is None else num_train, 'seed': seed}
    values = [_values(name, value) for name, value in axes.items()]
    grid = [dict(zip(axes, point), num_epochs=num_epochs) for point in itertools.product(*values)]
    tables = map_in_workers(_run, [(number, knobs, options) for number, knobs in enumerate(grid, 1)], n_jobs)
    return pd.concat(list(tqdm(tables, total=len(grid), disable=not progress, unit='run', desc='runs')),
                     ignore_index=True)


def _run(number, knobs, options):
    """The table rows of run `number` of a grid."""
    history, diverged = history_or_divergence(knobs['num_epochs'], lambda: run_experiment(**knobs, **options))
    return run_rows(number, knobs, history, diverged)
