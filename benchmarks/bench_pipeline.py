"""Training speed of the chapter's data pipelines, measured on the real Fashion-MNIST.

Trains the book's 3.7 model (Dense(10), Normal(0.01), SoftmaxCrossEntropyLoss, sgd) for the same epochs
with the same seed four ways, alternating book, d2l_ext, np_api, floor, book, ...:

  book     the book's pipeline: per-sample ToTensor through gluon's DataLoader (4 workers) and the
           book's 0.5 train_ch3 loop, which reads the loss and accuracy of every batch with asscalar
  d2l_ext  d2l_ext.load_data_fashion_mnist + d2l_ext.train_ch3
  np_api   the same under npx.set_np(), as the book from 0.7 on: mxnet.np model and batches
  floor    the same model on pre-made contiguous float32 batches: no shuffling, no metrics, no test pass

Speed is training examples per second of wall time: epochs x 60000 divided by the seconds the training
call takes, including each epoch's test evaluation for book and d2l_ext (building the loaders and the
model is not timed). It also measures the memory that loading the data costs, in a fresh process, and
checks that book and d2l_ext end at the same test accuracy and loss, so that the speed is not bought
with a different computation: it exits with status 1 if they do not (2 if the data cannot be read).

    python benchmarks/bench_pipeline.py               # 5 epochs, 3 repeats
    python benchmarks/bench_pipeline.py --quick       # a smoke check in seconds
"""
import argparse
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

PIPELINES = ('book', 'd2l_ext', 'np_api', 'floor')
TARGETS = {'d2l_ext/book': 15, 'd2l_ext/floor': 0.6, 'np_api/d2l_ext': 0.9}
MEMORY_TARGET_MB = 400
DEFAULTS = dict(epochs=5, repeats=3, tolerance=0.02, loss_tolerance=0.01)
QUICK_DEFAULTS = dict(epochs=1, repeats=1, tolerance=0.05, loss_tolerance=0.05)
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
        args = self.args
        d2l.seed_all(args.seed)
        if pipeline == 'np_api':
            npx.set_np()  # reset below, once the run is timed
        net, loss, trainer = build_model(args.lr)
        start = time.perf_counter()
        if pipeline == 'book':
            last = book_train(net, *self.book_iters, loss, args.epochs, args.batch_size, trainer)[-1]
        elif pipeline in ('d2l_ext', 'np_api'):
            last = d2l.train_ch3(net, *self.d2l_iters, loss, args.epochs, trainer,
                                 verbose=False, plot=False)[-1]
        else:
            last = floor_train(net, self.batches, loss, args.epochs, trainer)
        speed = self.examples / (time.perf_counter() - start)
        npx.reset_np()
        return speed, last


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
    print(f'{"pipeline":<9} {"median":>9}  runs')
    for name in PIPELINES:
        print(f'{name:<9} {median[name]:>9,.0f}  ' + ', '.join(f'{s:,.0f}' for s in speeds[name]))
    for ratio, target in TARGETS.items():
        top, bottom = ratio.split('/')
        value = median[top] / median[bottom]
        print(f'ratio {ratio}: {value:.2f} (target >= {target}: {"met" if value >= target else "missed"})')
    print(f'memory of the loaded data: peak RSS {peak:.0f} MB, resident after one epoch {resident:.0f} MB, '
          f'above a fresh mxnet + d2l_ext process (VmHWM, VmRSS minus VmRSS before loading; '
          f'target < {MEMORY_TARGET_MB} MB: {"met" if peak < MEMORY_TARGET_MB else "missed"})')
    results = [agreement(book, ours, args) for book, ours in zip(lasts['book'], lasts['d2l_ext'])]
    failed = [line for ok, line in results if not ok]
    print(failed[0] if failed else results[0][1])
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
