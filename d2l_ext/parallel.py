"""Independent runs in joblib's worker processes: loky's by default, or wherever `joblib.parallel_config`
sends them (a Dask cluster, say). Each worker computes with one thread, so that workers do not fight over
cores, and the results come back in order."""
import contextlib
import numbers
import os

import joblib

# What loky's workers start with. One compute thread each, for OpenMP (MXNet's operators, oneDNN) and BLAS.
# MXNet's NaiveEngine runs each operator on the calling thread: with its default engine a run keeps two
# threads busy (Python's, and the engine's that executes), so two workers on two cores would only take turns;
# the numbers are the same bit for bit either way.
WORKER_VARIABLES = {'OMP_NUM_THREADS': '1', 'OPENBLAS_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
                    'MXNET_ENGINE_TYPE': 'NaiveEngine'}


def check_n_jobs(n_jobs):
    """scikit-learn's `n_jobs`: None (one at a time, unless `joblib.parallel_config` says otherwise), a
    positive count, or -1 for every CPU the process may use, -2 for all but one, and so on."""
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0):
        raise ValueError(f'n_jobs must be None or a non-zero integer (1: one run at a time, -1: one per CPU), '
                         f'got {n_jobs!r}')


def map_in_workers(function, tasks, n_jobs):
    """Yield function(*task) for each task, in order, each computed in a joblib worker; with one worker
    (n_jobs=None or 1, and no `joblib.parallel_config` choosing otherwise) in this process instead.

    An exception in a worker is raised here. Idle loky workers end after joblib's timeout (300 s).
    """
    check_n_jobs(n_jobs)
    if joblib.effective_n_jobs(n_jobs) == 1:
        yield from (function(*task) for task in tasks)
        return
    with _inherited_by_new_processes(WORKER_VARIABLES):  # joblib starts the workers it needs in this call
        results = joblib.Parallel(n_jobs=n_jobs, return_as='generator')(
            joblib.delayed(function)(*task) for task in tasks)
    yield from results


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
