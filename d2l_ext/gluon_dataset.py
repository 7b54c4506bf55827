"""`gluon.data.vision.FashionMNIST`, offline: the book's direct calls read the verified files.

MXNet's FashionMNIST downloads from a retired bucket and accepts only the 2017-08-26 release. `install`
(which `import d2l_ext` runs) replaces one step of that one class, `_get_data`, which gets the files and
turns them into arrays: the images and labels now come from `read_fashion_mnist` (each file checked
against the published checksums of either release), never from the network. Everything else (`root`,
`train`, `transform`, `transform_first`, indexing, slicing) is gluon's own; MNIST and the other data sets
are untouched. `del gluon.data.vision.FashionMNIST._get_data` restores gluon's download.
"""
from pathlib import Path

from mxnet import nd, npx
from mxnet import numpy as mnp
from mxnet.gluon.data.vision import datasets

from .fashion_mnist import DataError, has_all_files, locate, read_fashion_mnist


def verified_data(root):
    """The data set from gluon's `root` if it holds the four files, else from d2l_ext's usual folders."""
    folder = Path(root).expanduser()
    if not has_all_files(folder):
        try:
            folder = locate(download=False)
        except DataError as err:
            raise DataError(f'gluon.data.vision.FashionMNIST (offline with d2l_ext) found no data in {folder}; '
                            f'{err}') from None
    return read_fashion_mnist(folder, download=False)


def _get_data(self):
    """gluon's arrays, from the verified files: images (N, 28, 28, 1) uint8 and int32 labels."""
    data = verified_data(self._root)
    images, labels = ((data.train_images, data.train_labels) if self._train
                      else (data.test_images, data.test_labels))
    if npx.is_np_array():
        self._data, self._label = mnp.array(images[..., None], dtype='uint8'), mnp.array(labels, dtype='int32')
    else:  # as gluon does: an NDArray of images, a numpy array of labels
        self._data, self._label = nd.array(images[..., None], dtype='uint8'), labels.copy()


def install():
    """Make `gluon.data.vision.FashionMNIST` read the verified files instead of downloading."""
    datasets.FashionMNIST._get_data = _get_data
