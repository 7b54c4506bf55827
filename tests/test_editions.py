"""Code in the style of each later edition, with only its import changed: 0.7-0.17 (`mxnet.np`) and 1.0."""
import numpy as onp
import pytest
from mxnet import gluon, init, nd, npx
from mxnet import numpy as np
from mxnet.gluon import nn

import d2l_ext
from d2l_ext import mxnet as d2l


@pytest.fixture
def np_api():
    """`npx.set_np()` as these editions call it, undone afterwards: it is global to the process."""
    npx.set_np()
    yield
    npx.reset_np()


def test_loaders_follow_the_active_array_api_with_the_same_values(gluon_offline):
    _, nd_iter = d2l.load_data_fashion_mnist(256)
    X_nd, y_nd = next(iter(nd_iter))
    npx.set_np()
    try:
        _, np_iter = d2l.load_data_fashion_mnist(256)
        X_np, y_np = next(iter(np_iter))
    finally:
        npx.reset_np()
    assert type(X_nd) is nd.NDArray and type(y_nd) is nd.NDArray
    assert type(X_np) is np.ndarray and type(y_np) is np.ndarray
    assert X_np.dtype == onp.float32 and y_np.dtype == onp.int32
    onp.testing.assert_array_equal(X_np.asnumpy(), X_nd.asnumpy())
    onp.testing.assert_array_equal(y_np.asnumpy(), y_nd.asnumpy())


def test_accuracy_is_a_count_here_and_a_fraction_in_the_05_api(np_api):
    y_hat, y = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.8, 0.1, 0.1]]), np.array([0, 2, 0])
    assert d2l.accuracy(y_hat, y) == 2.0
    assert d2l_ext.accuracy(y_hat, y) == pytest.approx(2 / 3)
    assert d2l.accuracy(y_hat.as_nd_ndarray(), y.as_nd_ndarray()) == 2.0


def concise_net(weight=None):
    """0.17's concise model; `weight` (10 x 784 numpy) replaces the random initial weight."""
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    if weight is not None:
        net(d2l.zeros((1, 784)) if npx.is_np_array() else nd.zeros((1, 784)))  # finishes the deferred init
        net[0].weight.set_data(np.array(weight) if npx.is_np_array() else nd.array(weight))
    return net


def train_concise(weight, num_train=12800):
    d2l_ext.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, num_train=num_train)
    net = concise_net(weight)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    return d2l.train_ch3(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), 2, trainer,
                         verbose=False)


def test_np_and_nd_apis_train_to_the_same_numbers(gluon_offline):
    weight = onp.random.RandomState(0).normal(0, 0.01, (10, 784)).astype(onp.float32)
    legacy = train_concise(weight)
    npx.set_np()
    try:
        numpy_api = train_concise(weight)
    finally:
        npx.reset_np()
    assert legacy == numpy_api and legacy[-1].test_acc > 0.7


def test_017_scratch_model_with_train_ch3_and_an_updater(np_api, gluon_offline, capsys):
    d2l_ext.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    W = d2l.normal(0, 0.01, (784, 10))
    b = d2l.zeros(10)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        X_exp = d2l.exp(d2l.matmul(d2l.reshape(X, (-1, 784)), W) + b)
        return X_exp / d2l.reduce_sum(X_exp, 1, keepdims=True)

    def cross_entropy(y_hat, y):
        return -d2l.log(y_hat[range(len(y_hat)), y])

    def updater(batch_size):
        return d2l.sgd([W, b], 0.1, batch_size)

    before = d2l.evaluate_accuracy(net, test_iter)
    history = d2l.train_ch3(net, train_iter, test_iter, cross_entropy, 2, updater)
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert before < 0.3 and history[-1].test_acc > 0.75 and history[-1].loss < history[0].loss
    X, y = next(iter(test_iter))
    assert d2l.accuracy(net(X), y) == pytest.approx(d2l.evaluate_accuracy(net, [(X, y)]) * d2l.size(y))


def test_017_concise_model_with_train_ch3_and_a_trainer(np_api, gluon_offline):
    d2l_ext.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256)
    net = concise_net()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    train_loss, train_acc = d2l.train_epoch_ch3(net, train_iter, gluon.loss.SoftmaxCrossEntropyLoss(), trainer)
    assert train_loss < 1 and train_acc > 0.7
    history = d2l.train_ch3(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), 1, trainer,
                            verbose=False)
    assert history[-1].test_acc > 0.78


class SoftmaxRegression(d2l.Classifier):
    """1.0's concise model: a Dense layer in the class API."""

    def __init__(self, num_outputs, lr):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Dense(num_outputs)
        self.net.initialize()

    def forward(self, X):
        return self.net(X)


class SoftmaxRegressionScratch(d2l.Classifier):
    """1.0's from-scratch model: its own parameters, softmax and cross-entropy, d2l.SGD."""

    def __init__(self, num_inputs, num_outputs, lr, sigma=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.W = np.random.normal(0, sigma, (num_inputs, num_outputs))
        self.b = np.zeros(num_outputs)
        self.W.attach_grad()
        self.b.attach_grad()

    def collect_params(self):
        return [self.W, self.b]

    def forward(self, X):
        X_exp = d2l.exp(d2l.matmul(d2l.reshape(X, (-1, self.W.shape[0])), self.W) + self.b)
        return X_exp / d2l.reduce_sum(X_exp, 1, keepdims=True)

    def loss(self, y_hat, y):
        return -d2l.reduce_mean(d2l.log(y_hat[list(range(len(y_hat))), y]))


def fit(model, max_epochs):
    """1.0's training call, the progress plot off; returns the last validation accuracy it recorded."""
    model.board.display = False
    d2l.Trainer(max_epochs=max_epochs).fit(model, d2l.FashionMNIST(batch_size=256))
    return model.board.data['val_acc'][-1].y


@pytest.mark.parametrize('build', [lambda: SoftmaxRegression(num_outputs=10, lr=0.1),
                                   lambda: SoftmaxRegressionScratch(num_inputs=784, num_outputs=10, lr=0.1)],
                         ids=['concise', 'scratch'])
def test_10_trainer_fits_on_the_fashion_mnist_data_module(build, np_api, gluon_offline):
    d2l_ext.seed_all(0)
    assert fit(build(), max_epochs=2) > 0.78


def test_10_fashion_mnist_data_module(np_api, gluon_offline):
    data = d2l.FashionMNIST(resize=(32, 32))
    assert (len(data.train), len(data.val)) == (60000, 10000)
    assert data.train[0][0].shape == (1, 32, 32) and data.batch_size == 64
    X, y = next(iter(data.train_dataloader()))
    assert type(X) is np.ndarray and X.shape == (64, 1, 32, 32) and X.dtype == onp.float32
    assert y.shape == (64,) and y.dtype == onp.int32
    assert len(data.val_dataloader()) == 157 and len(data.get_dataloader(train=True)) == 938
    X, y = next(iter(data.val_dataloader()))
    assert data.text_labels(y[:3]) == ['ankle boot', 'pullover', 'trouser']  # the first test labels
    gluon_X, gluon_y = data.val[0]
    assert int(gluon_y) == int(y[0]) and float(abs(gluon_X - X[0]).max()) < 0.1  # per example vs per batch
    data.visualize((X, y))
    titles = [ax.get_title() for ax in d2l.plt.gcf().axes]
    d2l.plt.close('all')
    assert titles == data.text_labels(y[:8])


def test_10_data_module_at_the_files_own_size_reads_them_unchanged(np_api, gluon_offline):
    X, y = next(iter(d2l.FashionMNIST(batch_size=256).val_dataloader()))
    raw = d2l_ext.read_fashion_mnist()
    onp.testing.assert_array_equal(X.asnumpy()[:, 0] * 255, raw.test_images[:256])
    onp.testing.assert_array_equal(y.asnumpy(), raw.test_labels[:256])

