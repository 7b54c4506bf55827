"""Training speed of the chapter's data pipelines, measured on the real Fashion-MNIST.

Trains the book's 3.7 model (Dense(10), Normal(0.01), SoftmaxCrossEntropyLoss, sgd) for the same epochs
with the same seed in several pipelines, taking turns (book, d2l_ext, floor, ..., book, d2l_ext, ...):

  book          the book's pipeline: per-sample ToTensor through gluon's DataLoader (4 workers) and the
                book's 0.5 train_ch3 loop, which reads the loss and accuracy of every batch with asscalar
  d2l_ext       d2l_ext.load_data_fashion_mnist + d2l_ext.train_ch3, called as the book's 3.7 code does
  np_api        the same under npx.set_np(), as the book from 0.7 on: mxnet.np parameters and batches
  floor         the same model on pre-made contiguous float32 batches: no shuffling, no metrics, no test
                pass, imperative
  hybrid_floor  the floor with the model and loss hybridized (static_alloc, static_shape): the nearest
                thing to this machine's limit for this model

Then, unless --no-sweep, it times d2l.sweep over the exercises' learning-rate grid with n_jobs=1 and
n_jobs=-1 (twice: the first call starts the worker processes, the second reuses them) and checks that
the three tables are equal.

Speed is training examples per second of wall time: epochs x 60000 divided by the seconds the training
call takes, including each epoch's test evaluation for book and d2l_ext (building the loaders and the
model is not timed). It also measures the memory that loading the data costs, in a fresh process, and
checks that book and d2l_ext end at the same test accuracy and loss, so that the speed is not bought
with a different computation: it exits with status 1 if they do not (2 if the data cannot be read).

    python benchmarks/bench_pipeline.py               # 5 epochs, 3 repeats
    python benchmarks/bench_pipeline.py --quick       # a smoke check in seconds

A pipeline is a function (runs, net, loss, trainer) -> last epoch's stats or None, listed in PIPELINES.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
from mxnet import autograd, gluon, init, nd, npx
from mxnet.gluon import nn

import d2l_ext as d2l
from d2l_ext.checks import argparse_type, check_positive, check_positive_int
from joblib import cpu_count as cores  # the CPUs this process may use, container quotas included

TARGETS = {'d2l_ext/book': 15, 'd2l_ext/floor': 0.6, 'd2l_ext/hybrid_floor': None, 'np_api/d2l_ext': 0.9}
SWEEP_TARGET = 1.5
MEMORY_TARGET_MB = 400
SWEEP_LRS = [1e-10, 0.01, 0.1, 1, 1e5]  # the exercises' learning-rate grid
DEFAULTS = dict(epochs=5, repeats=3, tolerance=0.02, loss_tolerance=0.01, sweep_train=None)
QUICK_DEFAULTS = dict(epochs=1, repeats=1, tolerance=0.05, loss_tolerance=0.05, sweep_train=2000)
positive_int, positive_float = argparse_type(int, check_positive_int), argparse_type(float, check_positive)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--epochs', type=positive_int, help='epochs per run (default 5; --quick: 1)')
    parser.add_argument('--repeats', type=positive_int, help='runs of each pipeline (default 3; --quick: 1)')
    parser.add_argument('--batch-size', type=positive_int, default=256, help='minibatch size (default 256)')
    parser.add_argument('--lr', type=positive_float, default=0.1, help='sgd learning rate (default 0.1)')
    parser.add_argument('--num-workers', type=int, default=4,
                        help="worker processes of the book's DataLoader (default 4, as in the book)")
    parser.add_argument('--seed', type=int, default=0, help='seed of every run (default 0)')
    parser.add_argument('--tolerance', type=positive_float,
                        help='largest allowed |test acc difference| of book and d2l_ext '
                             '(default 0.02; --quick: 0.05)')
    parser.add_argument('--loss-tolerance', type=positive_float,
                        help='largest allowed |training loss difference| of book and d2l_ext '
                             '(default 0.01; --quick: 0.05)')
    parser.add_argument('--root', default=None,
                        help='folder with the four Fashion-MNIST files (default: the usual search)')
    parser.add_argument('--quick', action='store_true',
                        help='smoke check in seconds: changes the defaults marked --quick above')
    parser.add_argument('--no-sweep', action='store_true', help='skip timing the parallel sweep')
    parser.add_argument('--sweep-train', type=positive_int,
                        help='training examples of each sweep run (default all; --quick: 2000)')
    parser.add_argument('--memory-probe', action='store_true',
                        help='only print the memory that loading the data and one epoch of d2l_ext take')
    args = parser.parse_args(argv)
    if args.num_workers < 0:
        parser.error(f'--num-workers must be 0 or more, got {args.num_workers}')
    defaults = QUICK_DEFAULTS if args.quick else DEFAULTS
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def build_model(lr):
    """The book's 3.7 model, loss and Trainer, initialized from MXNet's (seeded) generator."""
    net = nn.Sequential()
    net.add(nn.Dense(10))
    net.initialize(init.Normal(sigma=0.01))
    return net, gluon.loss.SoftmaxCrossEntropyLoss(), gluon.Trainer(net.collect_params(), 'sgd',
                                                                    {'learning_rate': lr})


def book_loaders(data, batch_size, num_workers):
    """The book's loaders: uint8 HWC images, ToTensor per sample, gluon's DataLoader with workers."""
    def dataset(images, labels):
        return gluon.data.ArrayDataset(nd.array(images[..., None], dtype=np.uint8), labels).transform_first(
            gluon.data.vision.transforms.ToTensor())
    return (gluon.data.DataLoader(dataset(data.train_images, data.train_labels), batch_size,
                                  shuffle=True, num_workers=num_workers),
            gluon.data.DataLoader(dataset(data.test_images, data.test_labels), batch_size,
                                  shuffle=False, num_workers=num_workers))


def book_evaluate_accuracy(data_iter, net):
    """The book's 0.5 evaluate_accuracy: one host sync per batch."""
    acc_sum, n = 0.0, 0
    for X, y in data_iter:
        y = y.astype('float32')
        acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
        n += y.size
    return acc_sum / n


def book_train(net, train_iter, test_iter, loss, num_epochs, batch_size, trainer):
    """The book's 0.5 train_ch3 loop with a Trainer (it steps by the nominal batch size, as the book does)."""
    history = []
    for epoch in range(1, num_epochs + 1):
        train_l_sum, train_acc_sum, n = 0.0, 0.0, 0
        for X, y in train_iter:
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y).sum()
            l.backward()
            trainer.step(batch_size)
            y = y.astype('float32')
            train_l_sum += l.asscalar()
            train_acc_sum += (y_hat.argmax(axis=1) == y).sum().asscalar()
            n += y.size
        history.append(d2l.EpochStats(epoch, train_l_sum / n, train_acc_sum / n,
                                      book_evaluate_accuracy(test_iter, net)))
    return history


def floor_batches(data, batch_size):
    """The training set as contiguous float32 NDArray batches in file order, made once."""
    images = data.train_images[:, None].astype(np.float32) / 255
    return [(nd.array(images[i:i + batch_size]), nd.array(data.train_labels[i:i + batch_size], dtype='int32'))
            for i in range(0, len(images), batch_size)]


def floor_train(net, batches, loss, num_epochs, trainer):
    """Forward, backward and update only: what any pipeline must at least spend on this model."""
    for _ in range(num_epochs):
        for X, y in batches:
            with autograd.record():
                l = loss(net(X), y)
            l.backward()
            trainer.step(X.shape[0])
    nd.waitall()


def run_book(runs, net, loss, trainer):
    return book_train(net, *runs.book_iters, loss, runs.args.epochs, runs.args.batch_size, trainer)[-1]


def run_d2l_ext(runs, net, loss, trainer):
    args = runs.args
    return d2l.train_ch3(net, *runs.d2l_iters, loss, args.epochs, args.batch_size, None, None, trainer,
                         verbose=False, plot=False)[-1]


def run_floor(runs, net, loss, trainer):
    floor_train(net, runs.batches, loss, runs.args.epochs, trainer)


def run_hybrid_floor(runs, net, loss, trainer):
    hybrid = nn.HybridSequential()
    hybrid.add(net[0])  # the same Dense layer and parameters, in a container that can be hybridized
    for block in (hybrid, loss):
        block.hybridize(static_alloc=True, static_shape=True)
    floor_train(hybrid, runs.batches, loss, runs.args.epochs, trainer)


PIPELINES = {'book': run_book, 'd2l_ext': run_d2l_ext, 'np_api': run_d2l_ext, 'floor': run_floor,
             'hybrid_floor': run_hybrid_floor}


class Runs:
    """Builds each pipeline's inputs once and times one seeded training run of it on demand."""

    def __init__(self, args):
        self.args = args
        self.data = d2l.read_fashion_mnist(args.root)
        self.examples = args.epochs * len(self.data.train_labels)
        self.book_iters = book_loaders(self.data, args.batch_size, args.num_workers)
        self.d2l_iters = d2l.load_data_fashion_mnist(args.batch_size, root=args.root)
        self.batches = floor_batches(self.data, args.batch_size)

    def run(self, pipeline):
        """(examples per second, last epoch's stats or None) of one run of `pipeline`."""
        d2l.seed_all(self.args.seed)
        if pipeline == 'np_api':
            npx.set_np()  # before the model is built, so that its parameters are mxnet.np arrays
        try:
            net, loss, trainer = build_model(self.args.lr)
            start = time.perf_counter()
            last = PIPELINES[pipeline](self, net, loss, trainer)
            return self.examples / (time.perf_counter() - start), last
        finally:
            npx.reset_np()


def time_sweeps(args):
    """Seconds of d2l.sweep over the exercises' lr grid with n_jobs 1, then -1 twice; whether all equal."""
    options = dict(lr=SWEEP_LRS, num_epochs=args.epochs, seed=args.seed, data_root=args.root,
                   num_train=args.sweep_train)
    seconds, tables = [], []
    for n_jobs in (1, -1, -1):
        start = time.perf_counter()
        tables.append(d2l.sweep(**options, n_jobs=n_jobs, progress=False))
        seconds.append(time.perf_counter() - start)
    return seconds, all(table.equals(tables[0]) for table in tables[1:])


def _memory_mb():
    """(resident, peak resident) MB of this process from /proc/self/status (VmRSS, VmHWM).

    Not ru_maxrss: Linux carries it over from the parent across fork and exec, so a child that a large
    process starts inherits the parent's peak.
    """
    fields = dict(line.split(':', 1) for line in open('/proc/self/status'))
    return tuple(int(fields[key].split()[0]) / 1024 for key in ('VmRSS', 'VmHWM'))


def memory_probe(args):
    """In this (fresh) process: RSS growth from loading the data and one epoch of d2l_ext's loaders."""
    nd.zeros(1).wait_to_read()  # MXNet's engine and allocator up: part of the baseline
    baseline, _ = _memory_mb()
    for data_iter in d2l.load_data_fashion_mnist(args.batch_size, root=args.root):
        for X, _ in data_iter:
            X.wait_to_read()
    resident, peak = _memory_mb()
    print(f'memory: peak {peak - baseline:.0f} MB, resident {resident - baseline:.0f} MB')


def measure_memory(args):
    """Run `memory_probe` in a fresh interpreter, so that nothing loaded here counts; (peak, resident) MB."""
    if not sys.platform.startswith('linux'):
        raise RuntimeError('the memory probe reads /proc/self/status, which only Linux has')
    command = [sys.executable, __file__, '--memory-probe', '--batch-size', str(args.batch_size)]
    if args.root:
        command += ['--root', args.root]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f'the memory probe failed:\n{result.stderr}')
    found = re.search(r'memory: peak (-?\d+) MB, resident (-?\d+) MB', result.stdout)
    return float(found[1]), float(found[2])


def agreement(book, ours, args):
    """Lines comparing the last epoch of book and d2l_ext, and whether they agree within the tolerances."""
    acc_diff, loss_diff = abs(book.test_acc - ours.test_acc), abs(book.loss - ours.loss)
    ok = acc_diff <= args.tolerance and loss_diff <= args.loss_tolerance
    return ok, (f'after {args.epochs} epochs: book test acc {book.test_acc:.3f} loss {book.loss:.4f}, '
                f'd2l_ext test acc {ours.test_acc:.3f} loss {ours.loss:.4f}; |diff| {acc_diff:.3f} '
                f'(<= {args.tolerance}) and {loss_diff:.4f} (<= {args.loss_tolerance}): '
                + ('agree' if ok else 'DISAGREE'))


def main(argv=None):
    args = parse_args(argv)
    try:
        if args.memory_probe:
            memory_probe(args)
            return 0
        runs = Runs(args)
    except d2l.DataError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    speeds, lasts = {name: [] for name in PIPELINES}, {name: [] for name in PIPELINES}
    for _ in range(args.repeats):
        for name in PIPELINES:
            speed, last = runs.run(name)
            speeds[name].append(speed)
            lasts[name].append(last)
    median = {name: statistics.median(values) for name, values in speeds.items()}
    peak, resident = measure_memory(args)

    print(f'Fashion-MNIST {runs.data.release}: {args.epochs} epochs x {len(runs.data.train_labels)} examples, '
          f'batch {args.batch_size}, lr {args.lr}, {args.repeats} repeats')
    print('examples/s = training examples per second of wall time (book, d2l_ext: with the test pass)')
    width = max(map(len, PIPELINES))
    print(f'{"pipeline":<{width}} {"median":>9}  runs')
    for name in PIPELINES:
        print(f'{name:<{width}} {median[name]:>9,.0f}  ' + ', '.join(f'{s:,.0f}' for s in speeds[name]))
    print('ratio = median over the repeats of the ratio within a repeat, whose runs follow each other')
    for ratio, target in TARGETS.items():
        top, bottom = ratio.split('/')
        paired = [a / b for a, b in zip(speeds[top], speeds[bottom])]
        value = statistics.median(paired)
        verdict = f' (target >= {target}: {"met" if value >= target else "missed"})' if target else ''
        print(f'ratio {ratio}: {value:.2f}{verdict}  runs: ' + ', '.join(f'{r:.2f}' for r in paired))
    print(f'memory of the loaded data: peak RSS {peak:.0f} MB, resident after one epoch {resident:.0f} MB, '
          f'above a fresh mxnet + d2l_ext process (VmHWM, VmRSS minus VmRSS before loading; '
          f'target < {MEMORY_TARGET_MB} MB: {"met" if peak < MEMORY_TARGET_MB else "missed"})')
    sweeps_equal = True
    if not args.no_sweep:
        (serial, cold, warm), sweeps_equal = time_sweeps(args)
        print(f'sweep lr={SWEEP_LRS}, {args.epochs} epochs, {args.sweep_train or "all"} examples, '
              f'{cores()} cores: n_jobs=1 {serial:.1f} s, n_jobs=-1 {cold:.1f} s '
              f'(starting the workers), {warm:.1f} s (reusing them)')
        print(f'ratio sweep serial/parallel: {serial / cold:.2f} with start, {serial / warm:.2f} reusing '
              f'(target >= {SWEEP_TARGET}: {"met" if serial / cold >= SWEEP_TARGET else "missed"}); tables '
              + ('equal' if sweeps_equal else 'DIFFER'))
    print(f'load average (1 min) on {cores()} cores: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after '
          '(the book pipeline\'s 4 worker processes count too; a load above that before means a shared machine)')
    results = [agreement(book, ours, args) for book, ours in zip(lasts['book'], lasts['d2l_ext'])]
    failed = [line for ok, line in results if not ok]
    print(failed[0] if failed else results[0][1])
    return 1 if failed or not sweeps_equal else 0


if __name__ == '__main__':
    sys.exit(main())
