"""Independent runs in worker processes, one per core, each with one compute thread so that they do
not fight over cores. `spawn` workers start a fresh interpreter: safe with MXNet's threads and usable
from Jupyter, since the work is a function of an importable module."""
import contextlib
import multiprocessing
import numbers
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

# compute threads of each worker: OpenMP (MXNet's operators, oneDNN) and OpenBLAS
THREAD_VARIABLES = ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS')
# MXNet's NaiveEngine runs each operator on the calling thread. With its default engine, a run keeps two
# threads busy (Python's, and the engine's that executes), so two workers on two cores would only take
# turns; the results are the same bit for bit either way.
ENGINE_VARIABLES = {'MXNET_ENGINE_TYPE': 'NaiveEngine'}
MAIN_GUARD_HINT = ('a worker process of n_jobs stopped before it finished. Workers start a fresh Python that '
                   'imports the calling script again: in a script, put the code that calls sweep(..., n_jobs=...) '
                   "under `if __name__ == '__main__':`")


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
    try:
        return list(_executor(num_workers).map(function, items))
    except BrokenProcessPool as err:  # a worker died: when starting, most likely an unguarded script
        _stop_workers()
        raise RuntimeError(MAIN_GUARD_HINT) from err
    except BaseException:
        _stop_workers()
        raise


_executors = {}  # at most one: {number of workers: ProcessPoolExecutor}


def _executor(num_workers):
    """The running executor of `num_workers` spawned workers; another size replaces it."""
    if num_workers not in _executors:
        _stop_workers()
        _executors[num_workers] = _start_workers(num_workers)
    return _executors[num_workers]


def _stop_workers():
    """End the workers now, running work included (an interrupted sweep's runs are not wanted)."""
    for executor in _executors.values():
        for process in list(executor._processes.values()):  # the executor offers no public kill
            process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)
    _executors.clear()


def _start_workers(num_workers):
    """Spawn the workers with one share of the cores' compute threads each, set before MXNet loads."""
    threads = str(max(1, cores() // num_workers))
    settings = {**{name: threads for name in THREAD_VARIABLES}, **ENGINE_VARIABLES}
    with _inherited_by_new_processes(settings):
        executor = ProcessPoolExecutor(num_workers, multiprocessing.get_context('spawn'),
                                       initializer=_ignore_interrupts)
        started = [executor.submit(os.getpid) for _ in range(num_workers)]  # each submit starts one
    try:
        for future in started:
            future.result()
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    return executor


@contextlib.contextmanager
def _inherited_by_new_processes(variables):
    """Processes started inside get these environment variables and a silent stderr: in Jupyter, MXNet's
    line naming its engine and warnings of several workers interleaved would land in the cell's output.
    Their errors still reach the caller, as exceptions."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    stderr = os.dup(2)
    try:
        with open(os.devnull, 'w') as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def _ignore_interrupts():
    """Ctrl-C (or Jupyter's interrupt, sent to the kernel's whole process group) is for the caller,
    which then stops the workers; idle workers would otherwise die with a traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
