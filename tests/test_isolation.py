"""Two trainings in one process, the explorer's in the background and a sweep in the foreground, each give
the numbers they give alone: neither draws from the other's random numbers."""
import time

import numpy as np
import pandas as pd

import d2l_ext as d2l

EXPLORER_RUN = dict(impl='mlp', num_train=5000)
SWEEP = dict(lr=[0.1, 0.3], num_train=5000, num_epochs=2, progress=False)


def test_a_background_explorer_run_and_a_sweep_do_not_change_each_other():
    sweep_alone = d2l.sweep(**SWEEP)
    beside = d2l.explore(**EXPLORER_RUN, num_epochs=100)  # far longer than the sweep: stopped after it
    beside.start()  # what the Run button does: train in a background thread
    while not beside.running:
        time.sleep(0.01)
    sweep_beside = d2l.sweep(**SWEEP)
    assert beside.running  # the sweep trained while the explorer's run was under way
    while beside.progress.value < 2:  # two epochs finished, at least one of them beside the sweep
        time.sleep(0.01)
    beside.stop()
    beside._thread.join()
    finished = beside.runs['epoch'].max()

    alone = d2l.explore(**EXPLORER_RUN, num_epochs=finished)
    alone.run()
    pd.testing.assert_frame_equal(sweep_beside, sweep_alone, check_exact=True)
    numbers = ['epoch', 'loss', 'train_acc', 'test_acc', 'diverged']
    pd.testing.assert_frame_equal(beside.runs[numbers], alone.runs[numbers], check_exact=True)


def test_a_run_leaves_numpys_global_generator_to_the_books_code():
    """The book's code seeds numpy's global generator (its shuffles); a run in between must not move it."""
    d2l.seed_all(3)
    expected = np.random.rand(3)
    d2l.seed_all(3)
    d2l.run_experiment(num_train=1000, num_epochs=1, seed=5)
    np.testing.assert_array_equal(np.random.rand(3), expected)
