"""The training core: softmax, cross-entropy, accuracy and both forms of `train_ch3`."""
import math
import re

import numpy as np
import pytest
from mxnet import autograd, gluon, init, nd
from mxnet.gluon import loss as gloss, nn

import d2l_ext as d2l

LINE = re.compile(r'^epoch \d+, loss \d+\.\d{4}, train acc [01]\.\d{3}, test acc [01]\.\d{3}$')


def test_softmax_by_hand():
    expected = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()  # 0.0900, 0.2447, 0.6652
    np.testing.assert_allclose(d2l.softmax(nd.array([[1, 2, 3]])).asnumpy()[0], expected, rtol=1e-6)
    np.testing.assert_allclose(d2l.softmax(nd.array([[1001, 1002, 1003]])).asnumpy()[0], expected, rtol=1e-6)


def test_cross_entropy_and_accuracy_by_hand():
    y_hat, y = nd.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]), nd.array([0, 2], dtype='int32')
    np.testing.assert_allclose(d2l.cross_entropy(y_hat, y).asnumpy(), [math.log(10), math.log(2)], rtol=1e-6)
    assert d2l.accuracy(y_hat, y) == 0.5


def blobs(seed, n=600, classes=3, batch_size=50):
    """A separable toy problem: Gaussian clusters far apart, in minibatches of `batch_size`."""
    rng = np.random.RandomState(seed)
    y = rng.randint(classes, size=n)
    X = rng.normal(size=(n, 2)) * 0.5 + np.eye(classes, 2)[y] * 4
    return [(nd.array(X[i:i + batch_size]), nd.array(y[i:i + batch_size], dtype='int32'))
            for i in range(0, n, batch_size)]


def scratch_model():
    W, b = nd.random.normal(scale=0.01, shape=(2, 3)), nd.zeros(3)
    for param in (W, b):
        param.attach_grad()
    return (lambda X: d2l.softmax(nd.dot(X, W) + b)), [W, b]


def concise_model(lr=0.1):
    net = nn.Sequential()
    net.add(nn.Dense(3))
    net.initialize(init.Normal(sigma=0.01))
    return net, gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})


def test_from_scratch_path_learns_and_prints_the_books_lines(capsys):
    d2l.seed_all(0)
    net, params = scratch_model()
    history = d2l.train_ch3(net, blobs(1), blobs(2), d2l.cross_entropy, 3, 50, params, 0.5)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(LINE.match(line) for line in lines)
    assert lines[-1] == str(history[-1]) and history[-1].test_acc >= 0.95
    assert [row.epoch for row in history] == [1, 2, 3] and history[-1].loss < history[0].loss


def test_trainer_path_and_the_later_updater_form():
    d2l.seed_all(0)
    net, trainer = concise_model()
    books = d2l.train_ch3(net, blobs(1), blobs(2), gloss.SoftmaxCrossEntropyLoss(), 3, 50, None, None, trainer)
    d2l.seed_all(0)
    net, trainer = concise_model()
    later = d2l.train_ch3(net, blobs(1), blobs(2), gloss.SoftmaxCrossEntropyLoss(), 3, trainer, verbose=False)
    assert books == later and later[-1].test_acc >= 0.95


def test_each_edition_divides_the_last_smaller_minibatch_as_it_did():
    """0.5-0.6 pass batch_size and divide every step by it; later editions pass an updater, which gets each
    minibatch's own size. 600 examples in minibatches of 256 end with one of 88."""
    net, params = scratch_model()
    seen = {'0.6': [], 'later': []}
    updater = {edition: lambda size, sizes=sizes: (sizes.append(size), d2l.sgd(params, 0.5, size))
               for edition, sizes in seen.items()}
    d2l.train_ch3(net, blobs(1, batch_size=256), blobs(2), d2l.cross_entropy, 1, 256, None, None, updater['0.6'],
                  verbose=False)
    d2l.train_ch3(net, blobs(1, batch_size=256), blobs(2), d2l.cross_entropy, 1, updater['later'], verbose=False)
    assert seen == {'0.6': [256, 256, 256], 'later': [256, 256, 88]}


def test_a_callable_updater_gets_the_batch_size():
    net, params = scratch_model()
    seen = []

    def updater(batch_size):
        seen.append(batch_size)
        d2l.sgd(params, 0.5, batch_size)
    d2l.train_ch3(net, blobs(1), blobs(2), d2l.cross_entropy, 1, updater, verbose=False)
    assert seen == [50] * 12


def test_an_object_with_update_gets_the_history_after_every_epoch():
    d2l.seed_all(0)
    net, trainer = concise_model()
    seen = []

    class Recorder:
        def update(self, history):
            seen.append(list(history))

    history = d2l.train_ch3(net, blobs(1), blobs(2), gloss.SoftmaxCrossEntropyLoss(), 3, trainer, verbose=False,
                            plot=Recorder())
    assert seen == [history[:1], history[:2], history[:3]]


def test_evaluate_accuracy_takes_either_argument_order():
    net, _ = scratch_model()
    assert d2l.evaluate_accuracy(blobs(2), net) == d2l.evaluate_accuracy(net, blobs(2))


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_epochs=0), 'num_epochs must be a positive integer'),
    (dict(num_epochs=2.5), 'num_epochs must be a positive integer'),
    (dict(batch_size=0), 'batch_size must be a positive integer'),
    (dict(batch_size=-1), 'batch_size must be a positive integer'),
    (dict(lr=0), 'lr must be a positive finite number'),
    (dict(lr=-0.1), 'lr must be a positive finite number'),
    (dict(lr=float('nan')), 'lr must be a positive finite number'),
    (dict(lr=float('inf')), 'lr must be a positive finite number'),
    (dict(lr='0.1'), 'lr must be a positive finite number'),
    (dict(lr=None), 'pass params=\\[W, b\\] and lr'),
    (dict(params=None), 'pass params=\\[W, b\\] and lr'),
    (dict(trainer='sgd'), 'trainer must be a gluon.Trainer or a callable'),
])
def test_bad_hyperparameters_are_refused(kwargs, message):
    net, params = scratch_model()
    args = dict(num_epochs=1, batch_size=50, params=params, lr=0.1, **{})
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        d2l.train_ch3(net, blobs(1), blobs(2), d2l.cross_entropy, **args)


def test_divergence_is_an_error_not_a_row_of_nan(capsys):
    d2l.seed_all(0)
    net, params = scratch_model()
    with pytest.raises(d2l.DivergenceError, match='training diverged.*learning rate'):
        d2l.train_ch3(net, blobs(1), blobs(2), d2l.cross_entropy, 2, 50, params, 1e5)
    assert 'nan' not in capsys.readouterr().out


def test_divergence_keeps_the_completed_epochs():
    net, params = scratch_model()
    updates = []

    def updater_that_breaks_in_epoch_2(batch_size):
        updates.append(batch_size)
        d2l.sgd(params, 0.5, batch_size)
        if len(updates) > 12:  # 12 minibatches per epoch
            params[0][:] = float('nan')
    with pytest.raises(d2l.DivergenceError, match='epoch 2') as err:
        d2l.train_ch3(net, blobs(1), blobs(2), d2l.cross_entropy, 3, updater_that_breaks_in_epoch_2, verbose=False)
    assert [row.epoch for row in err.value.history] == [1] and err.value.history[0].test_acc >= 0.9


def test_wrong_output_shape_is_explained():
    W = nd.zeros((2, 3))
    W.attach_grad()
    with pytest.raises(ValueError, match=r'net output has shape \(50,\) for 50 labels'):
        d2l.train_ch3(lambda X: nd.dot(X, W).sum(axis=1), blobs(1), blobs(2), d2l.cross_entropy, 1, 50, [W], 0.1)


def test_books_concise_code_reaches_080_on_fashion_mnist(real_data_dir, capsys):
    d2l.seed_all(0)
    batch_size = 256
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size, root=real_data_dir)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    num_epochs = 5
    history = d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, batch_size, None, None, trainer)
    assert len(capsys.readouterr().out.splitlines()) == num_epochs
    assert history[-1].test_acc >= 0.80 and history[-1].train_acc >= 0.80


def parameters(net):
    return {name: param for name, param in net.collect_params().items()}


@pytest.mark.parametrize('hybridized', [False, True])
def test_train_ch3_leaves_the_users_net_as_it_was(hybridized):
    d2l.seed_all(0)
    net = nn.HybridSequential() if hybridized else nn.Sequential()
    net.add(nn.Dense(3))
    net.initialize(init.Normal(sigma=0.01))
    if hybridized:
        net.hybridize()
    before = parameters(net)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    d2l.train_ch3(net, blobs(1), blobs(2), gloss.SoftmaxCrossEntropyLoss(), 2, trainer, verbose=False)
    assert type(net) is (nn.HybridSequential if hybridized else nn.Sequential) and len(net) == 1
    assert net[0]._active is hybridized and getattr(net, '_active', False) is hybridized
    after = parameters(net)
    assert after.keys() == before.keys() and all(after[name] is before[name] for name in before)
    X = blobs(3)[0][0]
    expected = nd.dot(X, net[0].weight.data().T) + net[0].bias.data()
    np.testing.assert_allclose(net(X).asnumpy(), expected.asnumpy(), rtol=1e-6)


def train_fashion_mnist(loss, num_train=2000, epochs=2):
    """The book's 3.7 code on the first `num_train` images; returns the history and the trained weight."""
    d2l.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, num_train=num_train)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    history = d2l.train_ch3(net, train_iter, test_iter, loss, epochs, 256, None, None, trainer, verbose=False)
    return history, net[0].weight.data().asnumpy()


def test_the_compiled_path_computes_what_the_imperative_one_does(real_data_dir):
    compiled, compiled_weight = train_fashion_mnist(gloss.SoftmaxCrossEntropyLoss())
    loss = gloss.SoftmaxCrossEntropyLoss()
    imperative, imperative_weight = train_fashion_mnist(lambda y_hat, y: loss(y_hat, y))  # not a Block
    assert compiled == imperative
    np.testing.assert_array_equal(compiled_weight, imperative_weight)


def test_printed_numbers_are_those_of_a_plain_loop(real_data_dir):
    history, _ = train_fashion_mnist(gloss.SoftmaxCrossEntropyLoss())
    d2l.seed_all(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, num_train=2000)
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    loss = gloss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    for row in history:
        loss_sum, correct = 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y)
            l.backward()
            trainer.step(256)  # the book's 0.6 loop: every step divided by batch_size
            loss_sum += l.sum().asscalar()
            correct += (y_hat.argmax(axis=1).asnumpy() == y.asnumpy()).sum()
        test_correct = sum((net(X).argmax(axis=1).asnumpy() == y.asnumpy()).sum() for X, y in test_iter)
        assert str(row) == str(d2l.EpochStats(row.epoch, loss_sum / 2000, correct / 2000, test_correct / 10000))


def test_a_hooked_net_runs_imperatively_so_its_hooks_see_every_batch():
    net, trainer = concise_model()
    calls = []
    net.register_forward_hook(lambda block, inputs, output: calls.append(inputs[0].shape[0]))
    d2l.train_ch3(net, blobs(1), blobs(2), gloss.SoftmaxCrossEntropyLoss(), 1, trainer, verbose=False)
    assert calls == [50] * 24  # 12 training and 12 test batches
