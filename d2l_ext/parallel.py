"""Independent runs in worker processes, one per core, each with one compute thread so that they do
not fight over cores. `spawn` workers start a fresh interpreter: safe with MXNet's threads and usable
from Jupyter, since the work is a function of an importable module."""
import multiprocessing
import numbers
import os
import signal

# compute threads of each worker: OpenMP (MXNet's operators, oneDNN) and OpenBLAS
THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')


def cores():
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()


def workers(n_jobs, num_tasks):
    """Worker processes for `num_tasks` tasks, from scikit-learn's `n_jobs`: a positive count, or
    -1 for every core, -2 for all but one, and so on."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f'n_jobs must be a non-zero integer (1: one run at a time, -1: one per core), '
                         f'got {n_jobs!r}')
    count = n_jobs if n_jobs > 0 else cores() + 1 + n_jobs
    if count < 1:
        raise ValueError(f'n_jobs={n_jobs} leaves no worker on {cores()} cores; use -1 for all cores')
    return min(count, num_tasks)


def map_in_processes(function, items, num_workers):
    """[function(item) for item in items], computed by `num_workers` worker processes, in order.

    `function` and the items must pickle. An exception in a worker is raised here. The workers stay
    up for the next call with as many workers (starting one costs seconds: MXNet and the data set load);
    an interrupt or error stops them, so that no leftover work delays the next call.
    """
    pool = _pool(num_workers)
    try:
        return pool.map(function, items, chunksize=1)
    except BaseException:
        pool.terminate()
        _pools.clear()
        raise


_pools = {}  # at most one: {number of workers: Pool}


def _pool(num_workers):
    """The running pool of `num_workers` spawned workers; another size replaces it."""
    if num_workers not in _pools:
        for pool in _pools.values():
            pool.terminate()
        _pools.clear()
        _pools[num_workers] = _start_pool(num_workers)
    return _pools[num_workers]


def _start_pool(num_workers):
    """Spawn the workers with one share of the cores' compute threads each, set before MXNet loads."""
    threads = str(max(1, cores() // num_workers))
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: threads for name in THREAD_VARIABLES})  # the workers inherit it at start
    try:
        return multiprocessing.get_context('spawn').Pool(num_workers, initializer=_ignore_interrupts)
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _ignore_interrupts():
    """Ctrl-C (or Jupyter's interrupt, sent to the kernel's whole process group) is for the caller,
    which then stops the workers; idle workers would otherwise die with a traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
