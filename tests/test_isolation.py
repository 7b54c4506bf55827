"""Two trainings in one process, the explorer's in the background and a sweep in the foreground, each give
the numbers they give alone: neither draws from the other's random numbers."""
import time

import numpy as np
import pandas as pd

import d2l_ext as d2l

EXPLORER_RUN = dict(impl='mlp', num_train=5000, num_epochs=2)
SWEEP = dict(lr=[0.1, 0.3], num_train=5000, num_epochs=2, progress=False)


def test_a_background_explorer_run_and_a_sweep_do_not_change_each_other():
    alone = d2l.explore(**EXPLORER_RUN)
    alone.run()
    sweep_alone = d2l.sweep(**SWEEP)

    beside = d2l.explore(**EXPLORER_RUN)
    beside.start()  # what the Run button does: train in a background thread
    while not beside.running:
        time.sleep(0.01)
    sweep_beside = d2l.sweep(**SWEEP)
    assert beside.running  # the sweep did train while the explorer's run was under way
    beside._thread.join()

    pd.testing.assert_frame_equal(sweep_beside, sweep_alone, check_exact=True)
    pd.testing.assert_frame_equal(beside.runs, alone.runs, check_exact=True)


def test_a_run_leaves_numpys_global_generator_to_the_books_code():
    """The book's code seeds numpy's global generator (its shuffles); a run in between must not move it."""
    d2l.seed_all(3)
    expected = np.random.rand(3)
    d2l.seed_all(3)
    d2l.run_experiment(num_train=1000, num_epochs=1, seed=5)
    np.testing.assert_array_equal(np.random.rand(3), expected)
