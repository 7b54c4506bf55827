"""A table of runs as a figure and as text: one line per configuration, the mean over its seeds with a band."""
import math

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, StrMethodFormatter

from .table import KNOBS, METRICS

LABELS = {'loss': 'train loss', 'train_acc': 'train acc', 'test_acc': 'test acc'}
IDENTITY = ('source', *KNOBS)  # what tells runs apart, in label order; `source` names the parts of a merged table
# Lines differ in colour (from a palette colour-blind readers tell apart), line style and marker, all at once.
PALETTE = plt.style.library['tableau-colorblind10']['axes.prop_cycle'].by_key()['color']
LINE_STYLES = ('-', '--', '-.', ':')
MARKERS = ('o', 's', '^', 'D', 'v', 'P', 'X', '*')
BAND = 'band: min to max'


def _configurations(df, numbered, by):
    """(the values that name it, its rows) for each line of a sweep figure, in the table's order.

    A configuration is one value of each column of `by` that varies in `df`, the seed excepted; its rows
    are the runs of all its seeds. With `numbered`, each run is a line of its own, named by its
    number and every varying column: for a table whose run numbers are its own, such as the explorer's.
    """
    if df.empty:
        return
    varying = [name for name in by if name in df and df[name].nunique(dropna=False) > 1]
    if numbered:
        keys = ['source', 'run'] if 'source' in varying else ['run']
        names = ['run', *(varying or ['lr'])]
    else:
        keys = [name for name in varying if name != 'seed']
        names = keys or ['lr']  # a lone configuration is still named by its learning rate
    for _, rows in df.groupby(keys, sort=False, dropna=False) if keys else [((), df)]:
        yield {name: rows[name].iloc[0] for name in names}, rows


def _value_text(value):
    return f'{value:g}' if isinstance(value, float) else str(value)


def line_label(names):
    """'impl=mlp, lr=0.1', or for a numbered run 'run 2: lr=0.1'."""
    text = ', '.join(f'{name}={_value_text(value)}' for name, value in names.items() if name != 'run')
    return f'run {names["run"]}: {text}' if 'run' in names else text


def _seeds(rows):
    """(how many seeds the rows hold, how many of those diverged)."""
    return rows['seed'].nunique(), rows.loc[rows['diverged'].astype(bool), 'seed'].nunique()


def _divergence(seeds, diverged):
    if not diverged:
        return ''
    return ' (diverged)' if diverged == seeds else f' (diverged: {diverged} of {seeds} seeds)'


class ReadableLogLocator(LogLocator):
    """Log-scale ticks, four or more of them in view: the coarsest of these steps per decade that gives four,
    evenly spaced values where none does, whole decades over more than three decades."""

    STEPS = ((1.0, 2.0, 5.0), (1.0, 1.5, 2.0, 3.0, 5.0, 7.0), (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0))

    def tick_values(self, vmin, vmax):
        if not 0 < vmin < vmax or math.log10(vmax / vmin) > 3:
            return super().tick_values(vmin, vmax)
        decades = 10.0 ** np.arange(math.floor(math.log10(vmin)), math.ceil(math.log10(vmax)) + 1)
        for steps in self.STEPS:
            ticks = np.outer(decades, steps).ravel()
            if ((vmin <= ticks) & (ticks <= vmax)).sum() >= 4:
                return ticks
        return MaxNLocator(8, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)


def _format_panel(ax, metric):
    ax.set_xlabel('epoch')
    ax.set_title(LABELS.get(metric, metric))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))  # whole epochs, even for one epoch
    if metric == 'loss':  # runs whose losses differ by orders of magnitude all show
        ax.set_yscale('log')
        ax.yaxis.set_major_locator(ReadableLogLocator())
        ax.yaxis.set_major_formatter(StrMethodFormatter('{x:g}'))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.grid(True)


def _band(ax, epochs, low, high, color):
    """The spread over seeds: a shaded band, or a bar where there is one epoch to shade."""
    if len(epochs) > 1:
        ax.fill_between(epochs, low, high, color=color, alpha=0.2, linewidth=0)
    else:
        ax.vlines(epochs, low, high, color=color, alpha=0.4, linewidth=4)


def plot_sweep(df, metrics=METRICS, axes=None, numbered=False, beside=False, by=IDENTITY):
    """One panel per metric against epoch and one line per configuration: the mean over its seeds, with a band
    from the lowest to the highest seed's value where there are several (the legend's title says so).

    Configurations differ in any column of `by` that varies (each knob, and `source` in merged results)
    and are labelled by those; with `numbered`, each run is its own line, labelled with its number (for a
    table whose run numbers are its own, such as the explorer's). Lines differ in colour, style and marker;
    the loss panel has a log scale. `beside` puts the legend right of the last panel instead of on it.
    Returns the axes.
    """
    if axes is None:
        _, axes = plt.subplots(1, len(metrics), figsize=(3.5 * len(metrics), 2.8), squeeze=False)
        axes = axes[0]
    lines = [(names, rows, *_seeds(rows)) for names, rows in _configurations(df, numbered, by)]
    counts = {seeds for _, _, seeds, _ in lines}
    for index, (names, rows, seeds, diverged) in enumerate(lines):
        label = line_label(names) + _divergence(seeds, diverged)
        if len(counts) > 1 and max(counts) > 1:
            label += f' ({seeds} seed{"s" * (seeds > 1)})'
        stats = rows.groupby('epoch')[list(metrics)].agg(['mean', 'min', 'max'])
        style = dict(color=PALETTE[index % len(PALETTE)], linestyle=LINE_STYLES[index % len(LINE_STYLES)],
                     marker=MARKERS[index % len(MARKERS)], markersize=4, markevery=max(1, len(stats) // 10))
        for ax, metric in zip(axes, metrics):
            ax.plot(stats.index, stats[metric, 'mean'], label=label, **style)
            if seeds > 1:
                _band(ax, stats.index, stats[metric, 'min'], stats[metric, 'max'], style['color'])
    for ax, metric in zip(axes, metrics):
        _format_panel(ax, metric)
    if lines:
        title = None
        if max(counts) > 1:
            title = f'mean of {max(counts)} seeds; {BAND}' if len(counts) == 1 else f'mean over seeds; {BAND}'
        placement = dict(loc='upper left', bbox_to_anchor=(1.02, 1)) if beside else {}
        axes[-1].legend(fontsize=8, title=title, title_fontsize=8, **placement)
    return axes


def summarize_sweep(df, epoch=None, metrics=METRICS, numbered=False, by=IDENTITY):
    """What `plot_sweep(df)` draws, as a table to print: one row per configuration (per run with `numbered`)
    with the knobs that vary, its number of seeds and how many diverged, and at its last epoch (or `epoch`)
    the mean, min and max over its seeds of each metric (`loss_mean`, `loss_min`, `loss_max`, ...)."""
    summary = []
    for names, rows in _configurations(df, numbered, by):
        seeds, diverged = _seeds(rows)
        at = rows['epoch'].max() if epoch is None else epoch
        last = rows[rows['epoch'] == at]
        if last.empty:
            raise ValueError(f'{line_label(names)} has epochs 1 to {rows["epoch"].max()}, not {epoch}: '
                             'choose an epoch all configurations have, or None for each one\'s last')
        values = {f'{metric}_{stat}': getattr(last[metric], stat)() for metric in metrics
                  for stat in ('mean', 'min', 'max')}
        summary.append({**names, 'seeds': seeds, 'diverged': diverged, 'epoch': at, **values})
    return pd.DataFrame(summary)
