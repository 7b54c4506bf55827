"""Find, verify, download and decode the four Fashion-MNIST IDX files, offline first."""
import gzip
import hashlib
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT_ENV = 'FASHION_MNIST_DIR'
URL_ENV = 'FASHION_MNIST_URL'
OFFICIAL_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
SYSTEM_DIRS = [Path('/usr/share/datasets/fashion-mnist')]  # Debian's dataset-fashion-mnist

FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
# SHA-256 of the decompressed IDX bytes of the current release (2017-08-31): any gzip wrapper passes.
CURRENT_SHA256 = dict(zip(FILES, (
    'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34')))
# SHA-1 of the .gz files of the older release (2017-08-26) that gluon's FashionMNIST caches.
OLDER_GZ_SHA1 = dict(zip(FILES, (
    '0cf37b0d40ed5169c6b3aba31069a9770ac9043d', '236021d52f1e40852b06a4c3008d8de8aef1e40b',
    '626ed6a7c06dd17c0eec72fa3be1740f146a2863', '17f9ab60e7257a1620f4ad76bbbaf857c3920701')))
CURRENT, OLDER = '2017-08-31', '2017-08-26'

TEXT_LABELS = ('t-shirt', 'trouser', 'pullover', 'dress', 'coat',
               'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot')
INSTALL_HINT = ("Install the data with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the "
                f"four .gz files from {OFFICIAL_URL} in a folder and name it with root=... (--data-root for "
                f"the train command) or {ROOT_ENV}.")


class DataError(RuntimeError):
    """The Fashion-MNIST files are missing, incomplete or not the published ones."""


class FashionMNIST(NamedTuple):
    """The decoded data set: uint8 images (N, 28, 28) and int32 labels, and where they came from."""
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    folder: Path
    release: str


def get_fashion_mnist_labels(labels):
    """Map numeric labels (ints, an array or an NDArray) to the ten text labels."""
    return [TEXT_LABELS[int(i)] for i in (labels.asnumpy() if hasattr(labels, 'asnumpy') else labels)]


def cache_dir():
    """MXNet's data cache for this data set, `$MXNET_HOME/datasets/fashion-mnist`."""
    return Path(os.environ.get('MXNET_HOME', Path.home() / '.mxnet')).expanduser() / 'datasets' / 'fashion-mnist'


def _file_in(folder, name):
    """The file for `name` in `folder`, gzipped or not, or None."""
    for candidate in (folder / f'{name}.gz', folder / name):
        if candidate.is_file():
            return candidate
    return None


def has_all_files(folder):
    """True when `folder` holds all four files, gzipped or not."""
    return all(_file_in(folder, name) for name in FILES)


def _read_idx_bytes(path):
    """The decompressed IDX bytes of `path`; a damaged gzip stream becomes a DataError."""
    raw = path.read_bytes()
    if raw[:2] != b'\x1f\x8b':
        return raw, raw
    try:
        return raw, gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise DataError(f'{path} is truncated or corrupt ({err}). Delete it and get it again. '
                        + INSTALL_HINT) from err


def _verify(path, name):
    """Decompressed IDX bytes of a file that is one of the two published releases, and which one."""
    raw, data = _read_idx_bytes(path)
    if hashlib.sha256(data).hexdigest() == CURRENT_SHA256[name]:
        return data, CURRENT
    if hashlib.sha1(raw).hexdigest() == OLDER_GZ_SHA1[name]:
        return data, OLDER
    raise DataError(f'{path} is not the published {name} ({len(data)} bytes decompressed, checksum '
                    'mismatch): it is truncated, corrupt or another data set. Delete it and get it again. '
                    + INSTALL_HINT)


def _decode(data, name):
    """The array in a verified IDX file: images as (N, 28, 28) uint8, labels as (N,) int32."""
    if 'images' in name:
        return np.frombuffer(data, np.uint8, offset=16).reshape(-1, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int32)


def _candidate_folders(root):
    """Folders to search in order: explicit root or $FASHION_MNIST_DIR alone, else cache then Debian's."""
    explicit = root or os.environ.get(ROOT_ENV)
    if explicit:
        return [Path(explicit).expanduser()], False
    return [cache_dir(), *SYSTEM_DIRS], True


def _download(folder, names, base_url):
    """Fetch `names` into `folder`, each via a temporary file renamed only once it verifies."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        url = f'{base_url.rstrip("/")}/{name}.gz'
        fd, tmp = tempfile.mkstemp(prefix=f'.{name}.', suffix='.part', dir=folder)
        try:
            with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
            _verify(Path(tmp), name)
            os.replace(tmp, folder / f'{name}.gz')
        except DataError as err:
            raise DataError(f'The download of {url} is incomplete or corrupt, so nothing was kept. '
                            + INSTALL_HINT) from err
        except OSError as err:
            raise DataError(f'Could not download {url} ({err}). ' + INSTALL_HINT) from err
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)


def locate(root=None, download=True):
    """The folder holding all four files: root/$FASHION_MNIST_DIR, else the cache, Debian's, a download."""
    folders, may_download = _candidate_folders(root)
    for folder in folders:
        if has_all_files(folder):
            return folder
    if not may_download:
        if not folders[0].is_dir():
            raise DataError(f'The data folder {folders[0]} does not exist. ' + INSTALL_HINT)
        missing = [name for name in FILES if not _file_in(folders[0], name)]
        raise DataError(f'{folders[0]} lacks {", ".join(missing)}. ' + INSTALL_HINT)
    if not download:
        raise DataError(f'Fashion-MNIST not found in {", ".join(map(str, folders))}. ' + INSTALL_HINT)
    cache = cache_dir()
    _download(cache, [name for name in FILES if not _file_in(cache, name)],
              os.environ.get(URL_ENV, OFFICIAL_URL))
    return cache


_loaded = {}


def read_fashion_mnist(root=None, download=True):
    """Find, verify and decode the data set once per process; later calls reuse the arrays."""
    folder = locate(root, download)
    paths = [_file_in(folder, name) for name in FILES]
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    if key not in _loaded:
        verified = [_verify(path, name) for path, name in zip(paths, FILES)]
        releases = {release for _, release in verified}
        if len(releases) > 1:
            raise DataError(f'{folder} mixes files of the {CURRENT} and {OLDER} releases. Delete them '
                            'and get all four again. ' + INSTALL_HINT)
        arrays = [_decode(data, name) for (data, _), name in zip(verified, FILES)]
        _loaded[key] = FashionMNIST(*arrays, folder=folder, release=releases.pop())
    return _loaded[key]
