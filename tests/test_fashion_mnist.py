"""Finding, verifying and downloading the Fashion-MNIST files."""
import gzip
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

from d2l_ext import fashion_mnist
from d2l_ext.fashion_mnist import DataError, read_fashion_mnist

LABELS = 't10k-labels-idx1-ubyte'


def test_real_data_sizes_labels_and_release(real_data_dir):
    data = read_fashion_mnist(root=real_data_dir)
    assert data.train_images.shape == (60000, 28, 28) and data.test_images.shape == (10000, 28, 28)
    assert data.train_images.dtype == np.uint8 and data.train_labels.dtype == np.int32
    assert np.bincount(data.train_labels).tolist() == [6000] * 10
    assert np.bincount(data.test_labels).tolist() == [1000] * 10
    assert data.train_labels[0] == 9  # the current release; the older one starts with 2
    assert data.release == fashion_mnist.CURRENT and data.folder == real_data_dir
    assert data.train_images.max() == 255 and data.train_images.min() == 0


def test_text_labels():
    assert fashion_mnist.get_fashion_mnist_labels([0, 9, 5]) == ['t-shirt', 'ankle boot', 'sandal']


def test_default_search_falls_back_to_the_system_copy(data_copy, offline_home, monkeypatch):
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [data_copy])
    assert fashion_mnist.locate(download=False) == data_copy


def test_mxnet_cache_comes_before_the_system_copy(data_copy, offline_home, monkeypatch, copy_data):
    monkeypatch.setattr(fashion_mnist, 'SYSTEM_DIRS', [data_copy])
    copy_data(offline_home)
    assert fashion_mnist.locate(download=False) == offline_home


def test_environment_variable_names_the_folder(data_copy, offline_home, monkeypatch):
    monkeypatch.setenv(fashion_mnist.ROOT_ENV, str(data_copy))
    assert read_fashion_mnist().folder == data_copy


def test_uncompressed_files_are_accepted(data_copy):
    path = data_copy / f'{LABELS}.gz'
    (data_copy / LABELS).write_bytes(gzip.decompress(path.read_bytes()))
    path.unlink()
    assert len(read_fashion_mnist(root=data_copy).test_labels) == 10000


def test_missing_file_names_it_and_says_how_to_fix(data_copy):
    (data_copy / f'{LABELS}.gz').unlink()
    with pytest.raises(DataError, match=f'lacks {LABELS}.*apt-get install dataset-fashion-mnist'):
        read_fashion_mnist(root=data_copy)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(DataError, match='data folder .*nowhere does not exist'):
        read_fashion_mnist(root=tmp_path / 'nowhere')


def test_nothing_found_and_no_download(offline_home):
    with pytest.raises(DataError, match='not found in .*apt-get install'):
        read_fashion_mnist(download=False)


def test_truncated_file_is_reported(data_copy):
    path = data_copy / 'train-images-idx3-ubyte.gz'
    path.write_bytes(path.read_bytes()[:100000])
    with pytest.raises(DataError, match='train-images-idx3-ubyte.gz is truncated or corrupt'):
        read_fashion_mnist(root=data_copy)


def test_corrupt_content_is_reported(data_copy):
    path = data_copy / f'{LABELS}.gz'
    idx = bytearray(gzip.decompress(path.read_bytes()))
    idx[100] = (idx[100] + 1) % 10  # a valid gzip stream of a wrong label
    path.write_bytes(gzip.compress(bytes(idx)))
    with pytest.raises(DataError, match=f'{LABELS}.gz is not the published {LABELS}'):
        read_fashion_mnist(root=data_copy)


def test_older_release_is_recognised_by_its_gz_sha1(data_copy, monkeypatch):
    gz_sha1 = {name: hashlib.sha1((data_copy / f'{name}.gz').read_bytes()).hexdigest()
               for name in fashion_mnist.FILES}
    monkeypatch.setattr(fashion_mnist, 'OLDER_GZ_SHA1', gz_sha1)
    monkeypatch.setattr(fashion_mnist, 'CURRENT_SHA256', dict.fromkeys(fashion_mnist.FILES, '0' * 64))
    assert read_fashion_mnist(root=data_copy).release == fashion_mnist.OLDER


def test_mixed_releases_are_refused(data_copy, monkeypatch):
    older = {LABELS: hashlib.sha1((data_copy / f'{LABELS}.gz').read_bytes()).hexdigest()}
    monkeypatch.setattr(fashion_mnist, 'CURRENT_SHA256', {**fashion_mnist.CURRENT_SHA256, LABELS: '0' * 64})
    monkeypatch.setattr(fashion_mnist, 'OLDER_GZ_SHA1', {**fashion_mnist.OLDER_GZ_SHA1, **older})
    with pytest.raises(DataError, match='mixes files'):
        read_fashion_mnist(root=data_copy)


@pytest.fixture
def mirror(tmp_path, copy_data, monkeypatch):
    """A local HTTP mirror on 127.0.0.1 serving a copy of the real files; yields its folder."""
    folder = copy_data(tmp_path / 'mirror')
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv(fashion_mnist.URL_ENV, f'http://127.0.0.1:{server.server_port}/')
    yield folder
    server.shutdown()
    server.server_close()


def test_download_lands_verified_files_in_the_cache(mirror, offline_home):
    data = read_fashion_mnist()
    assert data.folder == offline_home and data.release == fashion_mnist.CURRENT
    assert sorted(p.name for p in offline_home.iterdir()) == sorted(f'{n}.gz' for n in fashion_mnist.FILES)


def test_corrupt_download_leaves_nothing_behind(mirror, offline_home):
    path = mirror / 'train-labels-idx1-ubyte.gz'
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match='train-labels-idx1-ubyte.gz is incomplete or corrupt, so nothing was kept'):
        read_fashion_mnist()
    assert 'train-labels-idx1-ubyte.gz' not in {p.name for p in offline_home.iterdir()}
    assert not list(offline_home.glob('.*.part'))


def test_unreachable_mirror_says_how_to_get_the_data(offline_home, monkeypatch):
    monkeypatch.setenv(fashion_mnist.URL_ENV, 'http://127.0.0.1:9/')  # the discard port: refused
    with pytest.raises(DataError, match='Could not download .*apt-get install'):
        read_fashion_mnist()
    assert not list(offline_home.glob('.*.part'))
