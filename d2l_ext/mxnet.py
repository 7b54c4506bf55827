"""`from d2l_ext import mxnet as d2l` runs code written `from d2l import mxnet as d2l` (the book's 0.14-0.17 and 1.0).

It is the installed d2l 1.0.3's `d2l.mxnet`, everything of it, with the data on the verified offline files
(`FashionMNIST`, `load_data_fashion_mnist`) and the 0.x training helpers that 1.0 dropped (`train_ch3`,
`train_epoch_ch3`, `predict_ch3`). Under `npx.set_np()` the loaders hand out `mxnet.np` arrays.
"""
from d2l.mxnet import *  # noqa: F401,F403  (Module, Trainer, Classifier, Animator, sgd, the tensor aliases, ...)
from d2l.mxnet import accuracy as _d2l_accuracy

from .arrays import as_np as _as_np
from .data_module import FashionMNIST  # noqa: F401
from .fashion_mnist import DataError, get_fashion_mnist_labels  # noqa: F401
from .loader import load_data_fashion_mnist  # noqa: F401
from .svg_display import use_svg_display  # noqa: F401
from .training import DivergenceError, evaluate_accuracy, predict_ch3, train_ch3, train_epoch_ch3  # noqa: F401


def accuracy(y_hat, y):
    """The NUMBER of correct predictions, as 0.7 onwards define it (0.5's `d2l_ext.accuracy` is the fraction)."""
    return _d2l_accuracy(_as_np(y_hat), _as_np(y))
