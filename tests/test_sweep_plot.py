"""Sweeps drawn so that every run can be told apart without colour, one line per configuration, whole epochs,
readable log ticks, the mean over seeds with a stated band, and `summarize_sweep`'s numbers."""
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib import pyplot as plt

import d2l_ext as d2l

TINY = dict(num_train=1000, progress=False)  # a second or so per run


@pytest.fixture(scope='module')
def one_epoch():
    return d2l.sweep(lr=[0.1, 0.3], num_epochs=1, **TINY)


@pytest.fixture(scope='module')
def concise_and_mlp():
    """Two sweeps, each with its own run 1, merged as a user would."""
    return [d2l.sweep(impl=impl, num_epochs=2, **TINY) for impl in ('concise', 'mlp')]


@pytest.fixture(scope='module')
def seeds():
    return d2l.sweep(lr=[0.1, 0.3], seed=[0, 1, 2], num_epochs=2, **TINY)


@pytest.fixture
def draw():
    """plot_sweep, drawn (so that ticks are final); the figures are closed afterwards."""
    drawn = []

    def plot(df, **kwargs):
        axes = d2l.plot_sweep(df, **kwargs)
        axes[0].figure.canvas.draw()
        drawn.append(axes[0].figure)
        return axes
    yield plot
    for figure in drawn:
        plt.close(figure)


def legend(axes):
    return [text.get_text() for text in axes[-1].get_legend().get_texts()]


def styles(ax):
    return [(line.get_color(), line.get_linestyle(), line.get_marker()) for line in ax.get_lines()]


def ticks_in_view(axis, view):
    low, high = view
    return [tick.get_loc() for tick in axis.get_major_ticks()
            if low <= tick.get_loc() <= high and tick.label1.get_text()]


def test_one_epoch_runs_show_as_marked_points_on_whole_epochs(one_epoch, draw):
    axes = draw(one_epoch)
    for ax in axes:
        assert [line.get_xdata().tolist() for line in ax.get_lines()] == [[1], [1]]
        assert all(line.get_marker() not in ('None', '', None) and line.get_markersize() >= 3
                   for line in ax.get_lines())
        assert ticks_in_view(ax.xaxis, ax.get_xlim()) == [1]
    assert legend(axes) == ['lr=0.1', 'lr=0.3']


def test_lines_differ_in_colour_style_and_marker_from_a_colour_blind_palette(seeds, one_epoch, draw):
    palette = plt.style.library['tableau-colorblind10']['axes.prop_cycle'].by_key()['color']
    many = pd.concat([one_epoch.assign(source=f'part {part}') for part in range(3)], ignore_index=True)
    ax = draw(many)[0]
    lines = styles(ax)
    assert len(lines) == 6
    assert [colour for colour, _, _ in lines] == palette[:6]
    for position in range(3):  # no two lines share a colour, a style or a marker
        assert len({line[position] for line in lines[:4]}) == 4


def test_a_merged_table_has_a_line_per_configuration_even_with_the_same_run_numbers(concise_and_mlp, draw):
    concise, mlp = concise_and_mlp
    merged = pd.concat([concise, mlp], ignore_index=True)
    assert set(concise['run']) == set(mlp['run']) == {1}
    axes = draw(merged)
    assert legend(axes) == ['impl=concise', 'impl=mlp']
    for ax, metric in zip(axes, ['loss', 'train_acc', 'test_acc']):
        assert [line.get_ydata().tolist() for line in ax.get_lines()] == [concise[metric].tolist(),
                                                                         mlp[metric].tolist()]
        assert [line.get_xdata().tolist() for line in ax.get_lines()] == [[1, 2], [1, 2]]
        assert ticks_in_view(ax.xaxis, ax.get_xlim()) == [1, 2]
    same_knobs = pd.concat([concise.assign(source='monday'), concise.assign(source='tuesday')], ignore_index=True)
    assert legend(draw(same_knobs)) == ['source=monday', 'source=tuesday']


def test_several_seeds_draw_their_mean_with_a_min_to_max_band_and_say_so(seeds, draw):
    axes = draw(seeds)
    assert axes[-1].get_legend().get_title().get_text() == 'mean of 3 seeds; band: min to max'
    assert legend(axes) == ['lr=0.1', 'lr=0.3']
    for ax, metric in zip(axes, ['loss', 'train_acc', 'test_acc']):
        for line, band, (lr, runs) in zip(ax.get_lines(), ax.collections, seeds.groupby('lr')):
            per_epoch = runs.groupby('epoch')[metric]
            np.testing.assert_allclose(line.get_ydata(), per_epoch.mean())
            edge = band.get_paths()[0].vertices
            for epoch, low, high in zip([1, 2], per_epoch.min(), per_epoch.max()):
                at_epoch = edge[edge[:, 0] == epoch, 1]
                np.testing.assert_allclose([at_epoch.min(), at_epoch.max()], [low, high])
    one_seed = draw(seeds[seeds['seed'] == 0])
    assert not one_seed[0].collections and one_seed[-1].get_legend().get_title().get_text() == ''


def test_configurations_with_different_numbers_of_seeds_or_divergences_say_which(seeds, draw):
    mixed = seeds[(seeds['lr'] == 0.1) | (seeds['seed'] == 0)].copy()
    one_diverged = (mixed['lr'] == 0.1) & (mixed['seed'] == 2)
    mixed.loc[one_diverged, 'diverged'] = True
    mixed.loc[one_diverged, ['loss', 'train_acc', 'test_acc']] = np.nan
    axes = draw(mixed)
    assert axes[-1].get_legend().get_title().get_text() == 'mean over seeds; band: min to max'
    assert legend(axes) == ['lr=0.1 (diverged: 1 of 3 seeds) (3 seeds)', 'lr=0.3 (1 seed)']


def test_the_log_loss_axis_labels_at_least_four_ticks(concise_and_mlp, seeds, draw):
    for table in [concise_and_mlp[0], pd.concat(concise_and_mlp), seeds]:
        ax = draw(table)[0]
        assert ax.get_yscale() == 'log' and len(ticks_in_view(ax.yaxis, ax.get_ylim())) >= 4


def test_summarize_sweep_gives_the_numbers_of_the_figure(seeds):
    summary = d2l.summarize_sweep(seeds)
    assert summary.columns.tolist() == [
        'lr', 'seeds', 'diverged', 'epoch', 'loss_mean', 'loss_min', 'loss_max', 'train_acc_mean',
        'train_acc_min', 'train_acc_max', 'test_acc_mean', 'test_acc_min', 'test_acc_max']
    for epoch, table in [(2, summary), (1, d2l.summarize_sweep(seeds, epoch=1))]:
        at_epoch = seeds[seeds['epoch'] == epoch]
        direct = at_epoch.groupby('lr')[['loss', 'train_acc', 'test_acc']].agg(['mean', 'min', 'max'])
        direct.columns = [f'{metric}_{stat}' for metric, stat in direct.columns]
        assert table['lr'].tolist() == [0.1, 0.3] and table['epoch'].tolist() == [epoch, epoch]
        assert table['seeds'].tolist() == [3, 3] and table['diverged'].tolist() == [0, 0]
        np.testing.assert_allclose(table[direct.columns].to_numpy(), direct.to_numpy())
    with pytest.raises(ValueError, match=re.escape('lr=0.1 has epochs 1 to 2, not 3: choose an epoch')):
        d2l.summarize_sweep(seeds, epoch=3)
