"""The chapter's two softmax-regression models, the next chapter's MLP, and one seeded experiment that trains any of them."""
from typing import Callable, NamedTuple

import mxnet as mx
from mxnet import gluon, init, nd
from mxnet.gluon import nn

from .checks import check_non_negative, check_positive, check_positive_int, check_seed
from .loader import load_data_fashion_mnist
from .seeding import mxnet_generator, shuffle_generator
from .training import cross_entropy, sgd, softmax, train_ch3

NUM_INPUTS, NUM_OUTPUTS = 28 * 28, 10
TRAIN_SIZE = 60000  # images in Fashion-MNIST's training set


class Model(NamedTuple):
    """A fresh model: what `train_ch3` needs (net, per-example loss, updater of the batch size) and its weights."""
    net: Callable
    loss: Callable
    updater: Callable
    weight: Callable  # returns the output layer's weights, one row per class: (10, 784) for the linear models
    bias: Callable  # returns the output layer's (10,) bias itself, so it can also be set


def gluon_model(net, initializer, lr, weight_decay=0.0, ctx=None):
    """A Gluon `net` initialised with `initializer`, its stable softmax cross-entropy loss and an sgd Trainer."""
    net.initialize(initializer, ctx=ctx)
    net.collect_params('.*bias').setattr('wd_mult', 0)  # decay the weights only, as the scratch model does
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr, 'wd': weight_decay})
    return Model(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer.step, lambda: net[-1].weight.data(),
                 lambda: net[-1].bias.data())


def concise_model(lr, weight_decay=0.0, ctx=None):
    """Section 3.7: one Dense(10) layer with weights drawn from N(0, 0.01^2)."""
    net = nn.Sequential()
    net.add(nn.Dense(NUM_OUTPUTS))
    return gluon_model(net, init.Normal(sigma=0.01), lr, weight_decay, ctx)


def mlp_model(lr, weight_decay=0.0, ctx=None):
    """The next chapter's model: a ReLU MLP 784-256-128-64-10, as in a PyTorch tutorial on MNIST.

    Xavier initialisation keeps the signal's scale from layer to layer; with the chapter's N(0, 0.01^2)
    it shrinks about tenfold per layer and the net stays at chance (loss 2.30) for its first epochs.
    """
    net = nn.Sequential()
    net.add(nn.Dense(256, activation='relu'), nn.Dense(128, activation='relu'), nn.Dense(64, activation='relu'),
            nn.Dense(NUM_OUTPUTS))
    return gluon_model(net, init.Xavier(), lr, weight_decay, ctx)


def scratch_model(lr, weight_decay=0.0, ctx=None):
    """Section 3.6: W ~ N(0, 0.01^2) and b = 0 by hand, softmax(XW + b), cross-entropy and `sgd`.

    Weight decay adds the gradient of (weight_decay / 2) * ||W||^2 per example, which is what
    Gluon's `wd` does, so both models take the same step for the same hyperparameters.
    """
    W = nd.random.normal(scale=0.01, shape=(NUM_INPUTS, NUM_OUTPUTS), ctx=ctx)
    b = nd.zeros(NUM_OUTPUTS, ctx=ctx)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return softmax(nd.dot(X.reshape((-1, NUM_INPUTS)), W) + b)

    def updater(batch_size):
        if weight_decay:
            W.grad[:] += weight_decay * batch_size * W  # sgd divides the summed gradient by batch_size
        sgd([W, b], lr, batch_size)

    return Model(net, cross_entropy, updater, lambda: W.T, lambda: b)


MODELS = {'concise': concise_model, 'scratch': scratch_model, 'mlp': mlp_model}


def check_impl(name, value):
    """Reject anything but the name of one of the models."""
    if not isinstance(value, str) or value not in MODELS:
        raise ValueError(f'{name} must be one of {", ".join(MODELS)}, got {value!r}')


def check_num_train(name, value):
    """A number of training images: from 1 to all of Fashion-MNIST's."""
    check_positive_int(name, value)
    if value > TRAIN_SIZE:
        raise ValueError(f'{name} must be at most {TRAIN_SIZE}, got {value}')


def build_model(impl='concise', lr=0.1, weight_decay=0.0, ctx=None):
    """One freshly initialised model: impl 'concise' (3.7), 'scratch' (3.6) or 'mlp' (the next chapter's)."""
    check_impl('impl', impl)
    check_positive('lr', lr)
    check_non_negative('weight_decay', weight_decay)
    return MODELS[impl](lr, weight_decay, ctx)


def run_experiment(lr=0.1, batch_size=256, num_epochs=5, impl='concise', weight_decay=0.0, seed=0, *,
                   num_train=None, data_root=None, ctx=None, verbose=False, plot=False, progress=None):
    """Load the data, build a fresh model and train it with `train_ch3`, seeded; returns the History.

    The same arguments give the same numbers, also while another run trains in the same process: the
    initial weights are drawn under a lock on MXNet's seeded generator, the shuffles from the run's own.
    `progress` may wrap the training iterator to show progress. Raises `DivergenceError` when the loss
    stops being finite.
    """
    check_positive_int('num_epochs', num_epochs)
    check_seed('seed', seed)
    ctx = ctx or mx.cpu()
    train_iter, test_iter = load_data_fashion_mnist(batch_size, root=data_root, ctx=ctx, num_train=num_train,
                                                    generator=shuffle_generator(seed))
    with mxnet_generator(seed):
        model = build_model(impl, lr, weight_decay, ctx)
        model.net(nd.zeros((1, 1, 28, 28), ctx=ctx))  # Gluon's deferred initialisation draws the weights now
    return train_ch3(model.net, progress(train_iter) if progress else train_iter, test_iter, model.loss,
                     num_epochs, model.updater, ctx=ctx, plot=plot, verbose=verbose)
