"""The in-memory minibatch iterators that `load_data_fashion_mnist` returns."""
import numpy as np
import pytest

import d2l_ext as d2l


@pytest.fixture(scope='module')
def iters(real_data_dir):
    return d2l.load_data_fashion_mnist(256, root=real_data_dir)


def labels_of_one_epoch(data_iter):
    return np.concatenate([y.asnumpy() for _, y in data_iter])


def test_batches_have_the_books_layout(iters):
    train_iter, test_iter = iters
    X, y = next(iter(train_iter))
    assert X.shape == (256, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (256,) and y.dtype == np.int32
    assert 0 <= X.min().asscalar() and X.max().asscalar() <= 1
    assert len(train_iter) == 235 and len(test_iter) == 40
    assert sum(y.shape[0] for _, y in test_iter) == 10000


def test_test_batches_are_the_files_in_order(iters):
    data = d2l.read_fashion_mnist()
    _, test_iter = iters
    X, y = next(iter(test_iter))
    np.testing.assert_array_equal(X.asnumpy()[:, 0], data.test_images[:256].astype(np.float32) / 255)
    np.testing.assert_array_equal(labels_of_one_epoch(test_iter), data.test_labels)


def test_training_order_changes_each_epoch_and_repeats_with_a_seed(iters):
    train_iter, _ = iters
    np.random.seed(0)
    first, second = labels_of_one_epoch(train_iter), labels_of_one_epoch(train_iter)
    assert not np.array_equal(first, second)
    assert np.bincount(first).tolist() == [6000] * 10
    np.random.seed(0)
    np.testing.assert_array_equal(labels_of_one_epoch(train_iter), first)


def test_images_stay_paired_with_their_labels(iters):
    data = d2l.read_fashion_mnist()
    train_iter, _ = iters
    X, y = next(iter(train_iter))
    pixels = (X.asnumpy()[:, 0] * 255).round().astype(np.uint8)
    lookup = {image.tobytes(): label for image, label in zip(data.train_images, data.train_labels)}
    assert [lookup[image.tobytes()] for image in pixels] == y.asnumpy().tolist()


def test_resize(real_data_dir):
    _, test_iter = d2l.load_data_fashion_mnist(32, resize=64, root=real_data_dir)
    X, _ = next(iter(test_iter))
    assert X.shape == (32, 1, 64, 64)
    _, test_iter = d2l.load_data_fashion_mnist(32, resize=(20, 30), root=real_data_dir)
    assert next(iter(test_iter))[0].shape == (32, 1, 20, 30)


@pytest.mark.parametrize('batch_size', [0, -5, 2.5, True, '256'])
def test_bad_batch_size_is_refused(batch_size, real_data_dir):
    with pytest.raises(ValueError, match='batch_size must be a positive integer'):
        d2l.load_data_fashion_mnist(batch_size, root=real_data_dir)


def test_bad_resize_is_refused(real_data_dir):
    with pytest.raises(ValueError, match='resize must be a positive integer'):
        d2l.load_data_fashion_mnist(8, resize=0, root=real_data_dir)


def test_num_train_keeps_the_first_training_examples(real_data_dir):
    data = d2l.read_fashion_mnist()
    train_iter, test_iter = d2l.load_data_fashion_mnist(256, root=real_data_dir, num_train=500)
    assert len(train_iter) == 2 and len(test_iter) == 40
    assert sorted(labels_of_one_epoch(train_iter)) == sorted(data.train_labels[:500])
    with pytest.raises(ValueError, match='num_train must be at most 60000, got 60001'):
        d2l.load_data_fashion_mnist(256, root=real_data_dir, num_train=60001)

