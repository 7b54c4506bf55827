"""Minibatches straight from uint8 arrays in memory: one gather per epoch, no per-sample transform."""
import math

import mxnet as mx
import numpy as np
from mxnet import nd

from .arrays import as_active
from .checks import check_positive_int
from .fashion_mnist import read_fashion_mnist


class ArrayLoader:
    """Iterable of (X, y): X float32 (batch, 1, H, W) in [0, 1] as ToTensor gives, y int32 labels,
    as `mxnet.np` arrays under `npx.set_np()` and legacy NDArrays otherwise.

    Shuffling draws from numpy's global random state, so `np.random.seed` makes it repeatable.
    """

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None, ctx=None):
        check_positive_int('batch_size', batch_size)
        if len(images) != len(labels):
            raise ValueError(f'{len(images)} images but {len(labels)} labels')
        if resize is not None:
            resize = (resize, resize) if isinstance(resize, int) else tuple(resize)
            for size in resize:
                check_positive_int('resize', size)
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.resize = batch_size, shuffle, resize
        self.ctx = ctx or mx.cpu()

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        images, labels = self.images, self.labels
        if self.shuffle:
            order = np.random.permutation(len(images))
            images, labels = np.take(images, order, axis=0), labels[order]
        labels = nd.from_numpy(np.ascontiguousarray(labels, dtype=np.int32), zero_copy=True)
        for start in range(0, len(images), self.batch_size):
            stop = start + self.batch_size
            X = images[start:stop, None].astype(np.float32)
            X /= 255  # in numpy, as ToTensor does: MXNet's uint8 cast is several times slower
            X = nd.from_numpy(X, zero_copy=True)
            if self.resize:
                X = nd.contrib.BilinearResize2D(X, height=self.resize[0], width=self.resize[1])
            yield as_active(X.as_in_context(self.ctx)), as_active(labels[start:stop].as_in_context(self.ctx))


def load_data_fashion_mnist(batch_size, resize=None, root=None, ctx=None, download=True, *, num_train=None):
    """Fashion-MNIST as (train_iter, test_iter); train reshuffles every epoch, test keeps its order.

    `num_train` keeps only the first that many training examples (to show overfitting, say).
    """
    data = read_fashion_mnist(root, download)
    if num_train is not None:
        check_positive_int('num_train', num_train)
        if num_train > len(data.train_labels):
            raise ValueError(f'num_train must be at most {len(data.train_labels)}, got {num_train}')
    train = slice(num_train)
    return (ArrayLoader(data.train_images[train], data.train_labels[train], batch_size, True, resize, ctx),
            ArrayLoader(data.test_images, data.test_labels, batch_size, False, resize, ctx))
