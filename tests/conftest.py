"""Shared fixtures: the real data set's folder and copies of it that a test may damage."""
import shutil
from pathlib import Path

import pytest

from d2l_ext import fashion_mnist

DEBIAN_DIR = Path('/usr/share/datasets/fashion-mnist')


@pytest.fixture(scope='session')
def real_data_dir():
    """Debian's copy of the current release, which CI installs."""
    if not all((DEBIAN_DIR / f'{name}.gz').is_file() for name in fashion_mnist.FILES):
        pytest.fail(f'Fashion-MNIST is missing in {DEBIAN_DIR}: apt-get install dataset-fashion-mnist')
    return DEBIAN_DIR


@pytest.fixture
def data_copy(tmp_path, real_data_dir):
    """A private copy of the four .gz files that a test may truncate, corrupt or delete."""
    folder = tmp_path / 'fashion-mnist'
    shutil.copytree(real_data_dir, folder)
    return folder


@pytest.fixture
def offline_home(tmp_path, monkeypatch):
    """An empty MXNet cache and no system copy, so only root/env/download can supply the data."""
    monkeypatch.setenv('MXNET_HOME', str(tmp_path / 'mxnet-home'))
    monkeypatch.delenv(fashion_mnist.ROOT_ENV, raising=False)
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [])
    return fashion_mnist.cache_dir()


@pytest.fixture
def gluon_offline(offline_home, real_data_dir, monkeypatch):
    """gluon's FashionMNIST and d2l_ext both default to the empty cache, so only Debian's verified copy
    can supply the data (gluon fixes its default root at import, from $MXNET_HOME)."""
    from mxnet.gluon.data.vision import datasets
    monkeypatch.setattr(datasets.FashionMNIST.__init__, '__defaults__', (str(offline_home), True, None))
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [real_data_dir])
    return offline_home
