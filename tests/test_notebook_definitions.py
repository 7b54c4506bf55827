"""The book's functions, as notebooks 3.5 and 3.6 define them, compute what d2l_ext's versions compute.

The notebooks show the book's code in cells tagged `book-definition`, and the rest of the chapter calls
`d2l_ext` instead. These tests run the tagged cells of the stored notebooks and compare them with
`d2l_ext` on the real data, so the two cannot drift apart.
"""
import contextlib
import io
import os
import re
import sys
import types
from pathlib import Path

import mxnet as mx
import nbformat
import numpy as np
import pytest
from matplotlib import pyplot as plt
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

import d2l_ext as d2l

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / 'notebooks'
TAG = 'book-definition'
BOOK_LINE = re.compile(r'^epoch (\d+), loss (\d+\.\d{4}), train acc ([01]\.\d{3}), test acc ([01]\.\d{3})$')


def book_definitions(notebook, **names):
    """Run the notebook's tagged cells in a namespace that holds its imports plus `names`."""
    cells = [cell.source for cell in nbformat.read(NOTEBOOK_DIR / notebook, as_version=4).cells
             if TAG in cell.metadata.get('tags', [])]
    assert cells, f'{notebook} has no cell tagged {TAG!r}'
    namespace = dict(autograd=autograd, d2l=d2l, gdata=gluon.data, gluon=gluon, mx=mx, nd=nd, np=np, os=os, plt=plt,
                     sys=sys, **names)
    for source in cells:
        exec(compile(source, f'{notebook} ({TAG})', 'exec'), namespace)
    return namespace


@pytest.fixture(scope='module')
def data():
    return d2l.read_fashion_mnist()


def drawn_images():
    """(pixels, title, colormap) of every image on the current figure; closes the figure."""
    figure = plt.gcf()
    shown = [(np.asarray(ax.images[0].get_array()), ax.get_title(), ax.images[0].get_cmap().name)
             for ax in figure.axes if ax.images]
    plt.close(figure)
    return shown


def assert_same_drawing(book, ours):
    assert len(book) == len(ours) > 0
    for (book_pixels, *book_labels), (our_pixels, *our_labels) in zip(book, ours):
        np.testing.assert_array_equal(book_pixels, our_pixels)
        assert book_labels == our_labels


def test_35_labels_and_figures_match_d2l_ext(data):
    book = book_definitions('3.5-fashion-mnist.ipynb')
    labels = data.test_labels[:50]
    assert book['get_fashion_mnist_labels'](labels) == d2l.get_fashion_mnist_labels(nd.array(labels))

    titles = d2l.get_fashion_mnist_labels(labels[:9])
    batch = nd.array(data.test_images[:9]).reshape((9, 1, 28, 28)) / 255  # a minibatch as the loaders yield it
    book['show_fashion_mnist'](batch, titles)
    book_row = drawn_images()
    d2l.show_fashion_mnist(batch, titles)
    assert_same_drawing(book_row, drawn_images())


def test_35_book_loader_reads_what_d2l_ext_reads():
    book = book_definitions('3.5-fashion-mnist.ipynb')
    # The book's function reads without worker processes on Windows; workers forked in a long pytest process can
    # deadlock in MXNet.
    book['sys'] = types.SimpleNamespace(platform='win32')
    book_train, book_test = book['load_data_fashion_mnist'](1000)
    ours_train, ours_test = d2l.load_data_fashion_mnist(1000)
    for (X_book, y_book), (X_ours, y_ours) in zip(book_test, ours_test, strict=True):
        assert (X_book.dtype, y_book.dtype) == (X_ours.dtype, y_ours.dtype)
        np.testing.assert_array_equal(X_book.asnumpy(), X_ours.asnumpy())
        np.testing.assert_array_equal(y_book.asnumpy(), y_ours.asnumpy())
    X_book, y_book = next(iter(book_train))
    X_ours, y_ours = next(iter(ours_train))
    assert (X_book.shape, X_book.dtype, y_book.dtype) == (X_ours.shape, X_ours.dtype, y_ours.dtype)

    resized_book = next(iter(book['load_data_fashion_mnist'](8, resize=64)[1]))[0]
    resized_ours = next(iter(d2l.load_data_fashion_mnist(8, resize=64)[1]))[0]
    assert resized_book.shape == resized_ours.shape == (8, 1, 64, 64)


@pytest.fixture(scope='module')
def small_iters():
    """1000 training examples (three minibatches of 256 and a last one of 232) and the whole test set."""
    return d2l.load_data_fashion_mnist(256, num_train=1000)


def book_scratch_model():
    """3.6's definitions around freshly seeded parameters, as the notebook creates them."""
    d2l.seed_all(0)
    W, b = nd.random.normal(scale=0.01, shape=(784, 10)), nd.zeros(10)
    W.attach_grad()
    b.attach_grad()
    return book_definitions('3.6-softmax-regression-scratch.ipynb', num_inputs=784, W=W, b=b)


def test_36_building_blocks_match_d2l_ext(small_iters):
    book = book_scratch_model()
    _, test_iter = small_iters
    X, y = next(iter(test_iter))
    y_hat = book['net'](X)
    np.testing.assert_allclose(y_hat.asnumpy(), d2l.softmax(nd.dot(X.reshape((-1, 784)), book['W']) + book['b'])
                               .asnumpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(book['cross_entropy'](y_hat, y).asnumpy(), d2l.cross_entropy(y_hat, y).asnumpy())
    assert book['accuracy'](y_hat, y) == pytest.approx(d2l.accuracy(y_hat, y), abs=1e-7)
    assert book['evaluate_accuracy'](test_iter, book['net']) == d2l.evaluate_accuracy(test_iter, book['net'])


def book_run(train_ch3, *args):
    """Run the notebook's train_ch3 and parse the lines it prints."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        train_ch3(*args)
    lines = printed.getvalue().splitlines()
    assert all(BOOK_LINE.match(line) for line in lines), lines
    return [BOOK_LINE.match(line).groups() for line in lines]


def assert_same_epochs(book_lines, history):
    assert len(book_lines) == len(history)
    for (epoch, loss, train_acc, test_acc), row in zip(book_lines, history):
        assert int(epoch) == row.epoch
        assert float(loss) == pytest.approx(row.loss, abs=5e-5 + 1e-6)  # printed with 4 decimals
        assert (train_acc, test_acc) == (f'{row.train_acc:.3f}', f'{row.test_acc:.3f}')


def test_36_train_ch3_matches_d2l_ext_with_sgd(small_iters):
    train_iter, test_iter = small_iters
    book = book_scratch_model()
    W, b = book['W'], book['b']
    W_start = W.copy()
    d2l.seed_all(1)
    book_lines = book_run(book['train_ch3'], book['net'], train_iter, test_iter, book['cross_entropy'], 2, 256,
                          [W, b], 0.1)
    W_book, b_book = W.copy(), b.copy()

    W[:], b[:] = W_start, 0
    d2l.seed_all(1)
    history = d2l.train_ch3(book['net'], train_iter, test_iter, book['cross_entropy'], 2, 256, [W, b], 0.1,
                            plot=False, verbose=False)
    assert_same_epochs(book_lines, history)
    np.testing.assert_allclose(W.asnumpy(), W_book.asnumpy(), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(b.asnumpy(), b_book.asnumpy(), rtol=1e-6, atol=1e-8)


def gluon_model():
    """3.7's model, seeded so two calls build the same one."""
    d2l.seed_all(0)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    net(nd.zeros((1, 1, 28, 28)))  # Gluon defers drawing the weights to the first forward pass: draw them now
    return net, gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})


def test_36_train_ch3_matches_d2l_ext_with_a_trainer(small_iters):
    train_iter, test_iter = small_iters
    train_ch3 = book_scratch_model()['train_ch3']
    loss = gloss.SoftmaxCrossEntropyLoss()
    net, trainer = gluon_model()
    d2l.seed_all(1)
    book_lines = book_run(train_ch3, net, train_iter, test_iter, loss, 2, 256, None, None, trainer)
    book_weight = net[0].weight.data().copy()

    net, trainer = gluon_model()
    d2l.seed_all(1)
    history = d2l.train_ch3(net, train_iter, test_iter, loss, 2, 256, None, None, trainer, plot=False, verbose=False)
    assert_same_epochs(book_lines, history)
    np.testing.assert_allclose(net[0].weight.data().asnumpy(), book_weight.asnumpy(), rtol=1e-6, atol=1e-8)
