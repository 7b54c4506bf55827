"""gluon's `DataLoader(num_workers=N)`, still alive when a script ends, ends quietly.

The book's dataset sections keep such loaders in globals (`train_iter = gluon.data.DataLoader(...,
num_workers=4)`). Python deletes them only while it tears its modules down, after `multiprocessing`'s
names are gone: `DataLoader.__del__` fails ('NoneType' object has no attribute 'Pool') and so does the
pool's own `Pool.__del__` (... no attribute 'dumps'), each printed as "Exception ignored". `install` notes
every loader that starts a worker pool; at exit, while every module is whole, its pool is terminated
(as `multiprocessing`'s own exit handler would) and detached, which leaves both `__del__` nothing to do.
"""
import atexit
import functools
import weakref

from mxnet.gluon.data import dataloader

_loaders_with_pools = weakref.WeakSet()


def _noting_pools(init):
    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if self._worker_pool is not None:
            _loaders_with_pools.add(self)
    return __init__


def end_worker_pools():
    """Terminate and detach the worker pool of every DataLoader still alive."""
    for loader in list(_loaders_with_pools):
        pool, loader._worker_pool = loader._worker_pool, None
        if pool is not None:
            pool.terminate()


def install():
    """Note the loaders that start worker pools, and end their pools before the interpreter's teardown."""
    dataloader.DataLoader.__init__ = _noting_pools(dataloader.DataLoader.__init__)
    atexit.register(end_worker_pools)
