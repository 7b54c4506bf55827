"""The chapter's training loop with the book's API; metrics stay on the device until each epoch ends."""
import math
from typing import NamedTuple

import mxnet as mx
from mxnet import autograd, gluon, nd

from .arrays import as_legacy
from .checks import check_positive, check_positive_int
from .compiled import compile_model, count_correct
from .plotting import TrainingPlot, in_notebook, show_images
from .fashion_mnist import get_fashion_mnist_labels


class DivergenceError(ArithmeticError):
    """Training produced a non-finite loss, almost always from a learning rate that is too large.

    `history` holds the epochs completed before it, so a caller can still show them.
    """

    def __init__(self, message, history=()):
        super().__init__(message)
        self.history = list(history)


class EpochStats(NamedTuple):
    """One row of the history that `train_ch3` prints."""
    epoch: int
    loss: float
    train_acc: float
    test_acc: float

    def __str__(self):
        return (f'epoch {self.epoch}, loss {self.loss:.4f}, '
                f'train acc {self.train_acc:.3f}, test acc {self.test_acc:.3f}')


class History(list):
    """The per-epoch `EpochStats` of a run, with a one-line summary as its repr."""

    def __repr__(self):
        return f'History({len(self)} epochs; last: {self[-1]})' if self else 'History(no epochs)'


def softmax(X):
    """Row-wise softmax; subtracting the row maximum first keeps exp from overflowing."""
    X_exp = (X - X.max(axis=1, keepdims=True)).exp()
    return X_exp / X_exp.sum(axis=1, keepdims=True)


def cross_entropy(y_hat, y):
    """Per-example cross-entropy of predicted probabilities `y_hat` for the integer labels `y`."""
    return -nd.pick(y_hat, y).log()


def accuracy(y_hat, y):
    """Fraction of rows of `y_hat` whose largest entry is at the label `y`."""
    return as_legacy(count_correct(y_hat, y)).asscalar() / y.shape[0]


def _infer_ctx(net, params):
    """The context the model's parameters live on, so batches can be moved there."""
    if params:
        return params[0].context
    for param in net.collect_params().values() if hasattr(net, 'collect_params') else ():
        try:
            return param.list_ctx()[0]
        except RuntimeError:  # not initialized yet
            break
    return mx.cpu()


def evaluate_accuracy(data_iter, net, ctx=None, *, compiled=None):
    """Accuracy of `net` over `data_iter`; either argument order of the book's editions works.

    Correct predictions are counted on the device and read once at the end; `compiled` (a
    `CompiledModel` of `net`) counts them in one operator per batch.
    """
    if callable(data_iter) and not callable(net):
        data_iter, net = net, data_iter
    ctx = ctx or _infer_ctx(net, None)
    counts, n = [], 0
    for X, y in data_iter:
        X, y = X.as_in_context(ctx), y.as_in_context(ctx)
        counts.append(as_legacy(compiled.evaluate(X, y) if compiled else count_correct(net(X), y)))
        n += y.shape[0]
    if not n:
        raise ValueError('data_iter yielded no batches')
    return nd.add_n(*counts).asscalar() / n


def sgd(params, lr, batch_size):
    """Minibatch stochastic gradient descent, in place: p -= lr * grad / batch_size."""
    for param in params:
        param[:] = param - lr * param.grad / batch_size


def _as_updater(params, lr, trainer):
    """A function of the batch size that applies one update: the Trainer, a callable, or sgd."""
    if isinstance(trainer, gluon.Trainer):
        return trainer.step
    if callable(trainer):
        return trainer
    if trainer is not None:
        raise TypeError(f'trainer must be a gluon.Trainer or a callable taking the batch size, got {trainer!r}')
    if not params or lr is None:
        raise ValueError('without a trainer, pass params=[W, b] and lr=... for the from-scratch sgd update')
    check_positive('lr', lr)
    return lambda batch_size: sgd(params, lr, batch_size)


def _dividing_by(batch_size, updater):
    """The update of the book's 0.5-0.6 `train_ch3`: every step divides by the `batch_size` passed, also the
    last minibatch's, which is smaller when the batch size does not divide the number of examples."""
    return lambda _minibatch_size: updater(batch_size)


def _check_output_shape(y_hat, y):
    if y_hat.ndim != 2 or y_hat.shape[0] != y.shape[0]:
        raise ValueError(f'net output has shape {y_hat.shape} for {y.shape[0]} labels; '
                         'expected (batch_size, num_classes)')


def train_epoch_ch3(net, train_iter, loss, updater, ctx=None, *, compiled=None):
    """One pass over `train_iter`; returns (mean loss, train accuracy) read from the device once.

    With `compiled` (a `CompiledModel` of `net` and `loss`) every batch after the first is one operator;
    the first runs imperatively, which checks the output's shape and finishes deferred initialisation.
    `updater` is a callable of the batch size or, as from 0.7 on, a gluon.Trainer.
    """
    updater = _as_updater(None, None, updater)
    ctx = ctx or _infer_ctx(net, None)
    losses, counts, n = [], [], 0
    for X, y in train_iter:
        X, y = X.as_in_context(ctx), y.as_in_context(ctx)
        batch_size = y.shape[0]
        with autograd.record():
            if compiled and n:
                l, loss_sum, correct = compiled.train(X, y)
            else:
                y_hat = net(X)
                if not n:
                    _check_output_shape(y_hat, y)
                l = loss(y_hat, y)
                loss_sum, correct = l.sum(), count_correct(y_hat.detach(), y)
        l.backward()  # the same gradients as l.sum().backward(), one recorded operator fewer
        updater(batch_size)
        losses.append(as_legacy(loss_sum))  # either array API; the sums are read once, as NDArrays
        counts.append(as_legacy(correct))
        n += batch_size
    if not n:
        raise ValueError('train_iter yielded no batches')
    return nd.add_n(*losses).asscalar() / n, nd.add_n(*counts).asscalar() / n


def train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size=None, params=None, lr=None,
              trainer=None, *, ctx=None, plot=None, verbose=True):
    """Train and evaluate for `num_epochs`, printing the book's line per epoch; returns a History.

    Takes the book's `(..., num_epochs, batch_size, params, lr, trainer)` and the later
    `(..., num_epochs, updater)`, where updater is a gluon.Trainer or a callable of the batch size, and
    updates as each edition does: the first divides every step by `batch_size`, also the last, smaller
    minibatch's; the later divides by each minibatch's own size. `plot` (default: inside Jupyter) draws live curves;
    an object with an `update(history)` method is given the growing history after every epoch instead.
    """
    check_positive_int('num_epochs', num_epochs)
    if isinstance(batch_size, gluon.Trainer) or callable(batch_size):
        batch_size, trainer = None, batch_size
    if batch_size is not None:
        check_positive_int('batch_size', batch_size)
    updater = _as_updater(params, lr, trainer)
    if batch_size is not None:
        updater = _dividing_by(batch_size, updater)
    ctx = ctx or _infer_ctx(net, params)
    compiled = compile_model(net, loss)
    figure = plot if hasattr(plot, 'update') else TrainingPlot(num_epochs) if (
        in_notebook() if plot is None else plot) else None
    history = History()
    for epoch in range(1, num_epochs + 1):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater, ctx, compiled=compiled)
        if not math.isfinite(train_loss):
            raise DivergenceError(f'epoch {epoch}: the training loss is {train_loss}, so training diverged. '
                                  'The learning rate is most likely too large: try a smaller one (the book uses 0.1).',
                                  history)
        test_acc = evaluate_accuracy(test_iter, net, ctx, compiled=compiled)
        history.append(EpochStats(epoch, train_loss, train_acc, test_acc))
        if verbose:
            print(history[-1])
        if figure:
            figure.update(history)
    return history


def predict_ch3(net, test_iter, n=6, ctx=None):
    """Show the first `n` test images titled with their true and predicted labels."""
    X, y = next(iter(test_iter))
    ctx = ctx or _infer_ctx(net, None)
    predicted = net(X.as_in_context(ctx)).argmax(axis=1)
    titles = [f'{true}\n{pred}' for true, pred in
              zip(get_fashion_mnist_labels(y[:n]), get_fashion_mnist_labels(predicted[:n]))]
    show_images(X[:n, 0], 1, n, titles=titles)
