"""Seeds: the book's global seeding, and runs that keep to their own random numbers, so that two runs in one
kernel (the explorer's in the background and a sweep in a cell, say) never change each other's numbers."""
import contextlib
import random
import threading

import mxnet as mx
import numpy as np

_MXNET_GENERATOR = threading.Lock()  # MXNet has one global generator per device and no way to read its state


def seed_all(seed):
    """Seed Python's, numpy's and MXNet's global random generators so that the book's code repeats exactly."""
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


@contextlib.contextmanager
def mxnet_generator(seed):
    """Hold MXNet's global generator, seeded with `seed`, while a run draws its initial weights from it.

    A run's only other random numbers, its shuffles, come from its own numpy generator (`shuffle_generator`).
    """
    with _MXNET_GENERATOR:
        mx.random.seed(seed)
        yield


def shuffle_generator(seed):
    """A run's own generator of shuffles: the same permutations `np.random.seed(seed)` gives the global one."""
    return np.random.RandomState(seed)
