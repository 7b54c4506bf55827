"""The book's direct `gluon.data.vision.FashionMNIST(...)` calls, offline on the verified files."""
import gzip
import hashlib

import numpy as onp
import pytest
from mxnet import gluon, nd, npx
from mxnet import numpy as np
from mxnet.gluon.data.vision import datasets, transforms

import d2l_ext
from d2l_ext import fashion_mnist
from d2l_ext.fashion_mnist import DataError


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """Any attempt of gluon's to download fails the test."""
    def download(url, *args, **kwargs):
        raise AssertionError(f'gluon tried to download {url}')
    monkeypatch.setattr(datasets, 'download', download)


def test_default_call_reads_the_current_release_offline(gluon_offline):
    mnist_train = gluon.data.vision.FashionMNIST(train=True)
    mnist_test = gluon.data.vision.FashionMNIST(train=False)
    assert (len(mnist_train), len(mnist_test)) == (60000, 10000)
    feature, label = mnist_train[0]
    assert feature.shape == (28, 28, 1) and feature.dtype == onp.uint8 and label == 9  # current release
    X, y = mnist_test[:18]
    raw = d2l_ext.read_fashion_mnist()
    assert type(X) is nd.NDArray and X.shape == (18, 28, 28, 1)
    onp.testing.assert_array_equal(X.asnumpy()[..., 0], raw.test_images[:18])
    onp.testing.assert_array_equal(y, raw.test_labels[:18])


def test_root_with_the_files_and_the_books_transforms(data_copy):
    dataset = gluon.data.vision.FashionMNIST(root=str(data_copy), train=False)
    X, y = dataset.transform_first(transforms.ToTensor())[3]
    assert X.shape == (1, 28, 28) and X.dtype == onp.float32
    raw = d2l_ext.read_fashion_mnist(data_copy)
    onp.testing.assert_allclose(X.asnumpy()[0], raw.test_images[3] / 255, rtol=1e-6)
    assert y == raw.test_labels[3]
    scaled = gluon.data.vision.FashionMNIST(root=str(data_copy), transform=lambda x, y: (x.astype('float32') / 255, y))
    assert next(iter(gluon.data.DataLoader(scaled, 100)))[0].shape == (100, 28, 28, 1)


def test_root_without_files_falls_back_to_the_verified_copy(tmp_path, gluon_offline):
    assert len(gluon.data.vision.FashionMNIST(root=str(tmp_path / 'empty'), train=False)) == 10000


def test_no_data_anywhere_says_how_to_install_it(tmp_path, offline_home):
    with pytest.raises(DataError, match='found no data in .*empty.*apt-get install dataset-fashion-mnist'):
        gluon.data.vision.FashionMNIST(root=str(tmp_path / 'empty'))


def test_corrupt_files_are_refused_not_used(data_copy):
    path = data_copy / 't10k-labels-idx1-ubyte.gz'
    idx = bytearray(gzip.decompress(path.read_bytes()))
    idx[100] = (idx[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(idx)))
    with pytest.raises(DataError, match='not the published t10k-labels-idx1-ubyte'):
        gluon.data.vision.FashionMNIST(root=str(data_copy), train=False)


def test_older_release_in_gluons_cache_is_accepted(data_copy, monkeypatch):
    gz_sha1 = {name: hashlib.sha1((data_copy / f'{name}.gz').read_bytes()).hexdigest()
               for name in fashion_mnist.FILES}
    monkeypatch.setattr(fashion_mnist, 'OLDER_GZ_SHA1', gz_sha1)
    monkeypatch.setattr(fashion_mnist, 'CURRENT_SHA256', dict.fromkeys(fashion_mnist.FILES, '0' * 64))
    assert len(gluon.data.vision.FashionMNIST(root=str(data_copy))) == 60000
    assert d2l_ext.read_fashion_mnist(data_copy).release == fashion_mnist.OLDER


def test_np_api_gives_np_arrays(data_copy):
    npx.set_np()
    try:
        feature, label = gluon.data.vision.FashionMNIST(root=str(data_copy))[0]
    finally:
        npx.reset_np()
    assert type(feature) is np.ndarray and feature.shape == (28, 28, 1) and type(label) is np.ndarray


def test_only_fashion_mnists_data_step_changes():
    assert datasets.FashionMNIST._get_data is d2l_ext.gluon_dataset._get_data
    assert datasets.MNIST._get_data is not d2l_ext.gluon_dataset._get_data
    assert datasets.MNIST._get_data.__module__ == datasets.__name__  # gluon's own, downloading
