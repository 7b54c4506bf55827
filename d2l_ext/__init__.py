"""The helpers that the softmax-regression chapter of Dive into Deep Learning calls as `d2l.*`.

Use it the way the book uses its package: `import d2l_ext as d2l` (editions 0.5-0.8, `nd` or `mxnet.np`);
`from d2l_ext import mxnet as d2l` serves the later `from d2l import mxnet as d2l`.
"""
from d2l.mxnet import Accumulator, Timer, plt, set_axes  # d2l 1.0.3 has what the book calls

from . import gluon_dataset, svg_display, worker_pools
from .fashion_mnist import DataError, FashionMNIST, get_fashion_mnist_labels, read_fashion_mnist
from .loader import ArrayLoader, load_data_fashion_mnist
from .models import Model, build_model, run_experiment
from .plotting import plot_history, show_fashion_mnist, show_images, show_weights
from .svg_display import use_svg_display
from .training import (DivergenceError, EpochStats, History, accuracy, cross_entropy,
                       evaluate_accuracy, predict_ch3, sgd, softmax, train_ch3, train_epoch_ch3)
from .seeding import seed_all
from .sweep import sweep
from .sweep_plot import plot_sweep, summarize_sweep
from .explorer import Explorer, explore
from .results import load_results, save_results
from .merge import merge_results

gluon_dataset.install()  # the book's own gluon.data.vision.FashionMNIST(...) calls read the verified files
svg_display.install()  # d2l.use_svg_display() in a plain script leaves pyplot working, whatever MPLBACKEND says
worker_pools.install()  # DataLoader worker pools still alive at exit end without "Exception ignored"

__all__ = ['Accumulator', 'ArrayLoader', 'DataError', 'DivergenceError', 'EpochStats', 'FashionMNIST',
           'History', 'Timer', 'accuracy', 'cross_entropy', 'evaluate_accuracy', 'get_fashion_mnist_labels',
           'load_data_fashion_mnist', 'plot_history', 'predict_ch3', 'read_fashion_mnist', 'seed_all', 'sgd',
           'show_fashion_mnist', 'show_images', 'show_weights', 'softmax', 'train_ch3', 'train_epoch_ch3',
           'Model', 'build_model', 'run_experiment', 'sweep', 'plot_sweep', 'summarize_sweep', 'plt', 'set_axes',
           'use_svg_display', 'Explorer', 'explore', 'save_results', 'load_results', 'merge_results']
