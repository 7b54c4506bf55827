"""A figure of a table of runs: one panel per metric against epoch, one line per run."""
from matplotlib import pyplot as plt

from .table import KNOBS, METRICS

LABELS = {'loss': 'train loss', 'train_acc': 'train acc', 'test_acc': 'test acc'}


def _label_value(value):
    return f'{value:g}' if isinstance(value, float) else str(value)


def plot_sweep(df, metrics=METRICS, axes=None, by=KNOBS, numbered=False):
    """One panel per metric against epoch, one line per run, labelled by the `by` columns whose values vary.

    Rows with the same `by` values form a run; with `numbered`, rows with the same `run` number, labelled
    with it. The loss panel has a log scale so that runs whose losses differ by orders of magnitude all show.
    Returns the axes.
    """
    varying = [name for name in by if df[name].nunique() > 1] or list(by[:1])
    if axes is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(3.5 * len(metrics), 2.8), squeeze=False)
        axes = axes[0]
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
