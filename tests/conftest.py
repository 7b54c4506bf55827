"""Shared fixtures: the real data set, wherever the loader finds it, and copies a test may damage."""
import gzip
import shutil

import pytest

from d2l_ext import fashion_mnist


@pytest.fixture(scope='session')
def real_data_dir():
    """The folder `load_data_fashion_mnist` uses by default: root/$FASHION_MNIST_DIR, MXNet's cache,
    Debian's copy, or a download; the tests fail with the install hint only where none has the data."""
    try:
        return fashion_mnist.read_fashion_mnist().folder
    except fashion_mnist.DataError as err:
        pytest.fail(str(err))


@pytest.fixture(scope='session')
def gz_data_dir(real_data_dir, tmp_path_factory):
    """The real files as the four official `.gz` names (gzipped here once if stored uncompressed)."""
    if all((real_data_dir / f'{name}.gz').is_file() for name in fashion_mnist.FILES):
        return real_data_dir
    folder = tmp_path_factory.mktemp('fashion-mnist-gz')
    for name in fashion_mnist.FILES:
        source = real_data_dir / f'{name}.gz'
        data = source.read_bytes() if source.is_file() else gzip.compress((real_data_dir / name).read_bytes(), 1)
        (folder / f'{name}.gz').write_bytes(data)
    return folder


@pytest.fixture(scope='session')
def copy_data(gz_data_dir):
    """A function that copies the four `.gz` files (and nothing else of their folder) into a new folder."""
    def copy(folder):
        folder.mkdir(parents=True)
        for name in fashion_mnist.FILES:
            shutil.copy(gz_data_dir / f'{name}.gz', folder)
        return folder
    return copy


@pytest.fixture
def data_copy(tmp_path, copy_data):
    """A private copy of the four .gz files that a test may truncate, corrupt or delete."""
    return copy_data(tmp_path / 'fashion-mnist')


@pytest.fixture
def offline_home(tmp_path, monkeypatch):
    """An empty MXNet cache and no system copy, so only root/env/download can supply the data."""
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxnet-home'))
    monkeypatch.delenv(fashion_mnist.ROOT_ENV, raising=False)
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [])
    return fashion_mnist.cache_dir()


@pytest.fixture
def gluon_offline(offline_home, real_data_dir, monkeypatch):
    """gluon's FashionMNIST and d2l_ext both default to the empty cache, so only the real data, as the system
    copy, can supply it (gluon fixes its default root at import, from $MXNET_HOME)."""
    from mxnet.gluon.data.vision import datasets
    monkeypatch.setattr(datasets.FashionMNIST.__init__, '__defaults__', (str(offline_home), True, None))
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [real_data_dir])
    return offline_home
