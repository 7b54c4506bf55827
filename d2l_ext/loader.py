"""Minibatches straight from uint8 arrays in memory: a few vectorized gathers per epoch, no per-sample transform."""
import math

import mxnet as mx
import numpy as np
from mxnet import nd

from .arrays import as_active, as_legacy
from .checks import check_positive_int
from .fashion_mnist import read_fashion_mnist


class ArrayLoader:
    """Iterable of (X, y): X float32 (batch, 1, H, W) in [0, 1] as ToTensor gives, y int32 labels,
    as `mxnet.np` arrays under `npx.set_np()` and legacy NDArrays otherwise.

    Shuffling draws from `generator` (a `np.random.RandomState`), by default numpy's global one, so that
    `np.random.seed` makes the book's code repeatable.
    """
    BATCHES_PER_CHUNK = 4  # gathered, converted and handed to MXNet together: fewer calls, 3 MB each

    def __init__(self, images, labels, batch_size, shuffle=False, resize=None, ctx=None, generator=np.random):
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
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __iter__(self):
        order = self.generator.permutation(len(self.images)) if self.shuffle else None  # drawn here, as seeded
        labels = self.labels if order is None else self.labels[order]
        # In the active array API from here on: slices of it are then batches of it, with no per-batch conversion.
        labels = as_active(nd.from_numpy(np.ascontiguousarray(labels, dtype=np.int32), zero_copy=True))
        n, size = len(self.images), self.batch_size
        on_cpu = self.ctx.device_type == 'cpu'  # where from_numpy puts them: no per-batch move needed
        for chunk_start in range(0, n, size * self.BATCHES_PER_CHUNK):
            chunk_stop = min(chunk_start + size * self.BATCHES_PER_CHUNK, n)
            rows = slice(chunk_start, chunk_stop) if order is None else order[chunk_start:chunk_stop]
            chunk = self.images[rows][:, None].astype(np.float32)
            chunk /= 255  # in numpy, as ToTensor does: MXNet's uint8 cast is several times slower
            chunk = as_active(nd.from_numpy(chunk, zero_copy=True))  # one handover to MXNet per chunk
            for start in range(chunk_start, chunk_stop, size):
                stop = min(start + size, chunk_stop)
                X, y = chunk[start - chunk_start:stop - chunk_start], labels[start:stop]
                if self.resize:
                    X = as_active(nd.contrib.BilinearResize2D(as_legacy(X), height=self.resize[0],
                                                              width=self.resize[1]))
                if not on_cpu:
                    X, y = X.as_in_context(self.ctx), y.as_in_context(self.ctx)
                yield X, y


def load_data_fashion_mnist(batch_size, resize=None, root=None, ctx=None, download=True, *, num_train=None,
                            generator=np.random):
    """Fashion-MNIST as (train_iter, test_iter); train reshuffles every epoch, test keeps its order.

    `num_train` keeps only the first that many training examples (to show overfitting, say); `generator`
    draws the shuffles (default: numpy's global generator).
    """
    data = read_fashion_mnist(root, download)
    if num_train is not None:
        check_positive_int('num_train', num_train)
        if num_train > len(data.train_labels):
            raise ValueError(f'num_train must be at most {len(data.train_labels)}, got {num_train}')
    train = slice(num_train)
    return (ArrayLoader(data.train_images[train], data.train_labels[train], batch_size, True, resize, ctx,
                        generator),
            ArrayLoader(data.test_images, data.test_labels, batch_size, False, resize, ctx))
