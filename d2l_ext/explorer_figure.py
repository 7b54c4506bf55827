"""What the explorer shows of its runs: their curves as an image with a text alternative, and their last epochs."""
import base64
import html
import io

from matplotlib.figure import Figure

from .sweep_plot import LABELS, line_label, plot_sweep, summarize_sweep

FORMATS = {'lr': '{:g}', 'weight_decay': '{:g}', 'loss': '{:.4g}', 'train_acc': '{:.3f}', 'test_acc': '{:.3f}'}


def describe(runs):
    """The figure in words, for its alt text: what it plots, then each run's knobs and last epoch's numbers."""
    if runs.empty:
        return 'No runs yet: empty panels of train loss (log scale), train acc and test acc against epoch.'
    summary = summarize_sweep(runs, numbered=True)
    named_by = summary.columns[:summary.columns.get_loc('seeds')]  # the run and what differs between runs
    sentences = [f'Train loss (log scale), train acc and test acc against epoch, {len(summary)} '
                 f'run{"s" * (len(summary) != 1)}.']
    for row in summary.to_dict('records'):
        numbers = ', '.join(f'{LABELS[metric]} {FORMATS[metric].format(row[f"{metric}_mean"])}'
                            for metric in ('loss', 'train_acc', 'test_acc'))
        last = 'diverged' if row['diverged'] else f'epoch {row["epoch"]}: {numbers}'
        sentences.append(f'{line_label({name: row[name] for name in named_by})}; {last}.')
    return ' '.join(sentences)


def figure_html(runs):
    """An <img> of the curves of `runs` (one line per run, labelled by what differs), with `describe` as alt text."""
    figure = Figure(figsize=(12, 2.8), layout='tight')
    plot_sweep(runs, axes=figure.subplots(1, 3), numbered=True, beside=True)
    png = io.BytesIO()
    figure.savefig(png, format='png', dpi=90)
    source = 'data:image/png;base64,' + base64.b64encode(png.getvalue()).decode('ascii')
    return f'<img src="{source}" alt="{html.escape(describe(runs))}" style="width: 100%; max-width: 1000px">'


def last_epochs_html(runs):
    """A table of each run's last epoch ('' with no runs)."""
    last = runs.groupby('run', sort=False).tail(1)
    return last.to_html(index=False, classes='d2l-explorer-runs', na_rep='NaN', formatters={
        name: fmt.format for name, fmt in FORMATS.items()}) if len(last) else ''
