"""`d2l-ext train` (or `python -m d2l_ext train`): train the chapter's model from the command line."""
import argparse
import csv
import io
import json
import os
import sys
import tempfile
from functools import partial
from pathlib import Path

import mxnet as mx
from matplotlib.figure import Figure

from .fashion_mnist import DataError, read_fashion_mnist
from .checks import argparse_type, check_non_negative, check_positive, check_positive_int, check_seed
from .models import MODELS, run_experiment
from .plotting import plot_history
from .training import DivergenceError, EpochStats

OUTPUT_FILES = ('history.csv', 'history.json', 'curves.png')


class UsageError(Exception):
    """A flag value that cannot work; reported as one `error:` line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one `error:` line instead of the usage block."""

    def error(self, message):
        self.exit(2, f'error: {message} (see --help)\n')


def build_parser(prog=None):
    """The `train` command and its flags; the defaults are the book's."""
    parser = Parser(prog=prog, description='Softmax regression on Fashion-MNIST, as in Dive into Deep '
                                           'Learning sections 3.4-3.7 (MXNet Gluon).')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    train = commands.add_parser(
        'train', help="train the chapter's model and print the loss and accuracies of every epoch",
        description="Train softmax regression on Fashion-MNIST and print the book's line per epoch. "
                    'A run is seeded, so the same flags print the same numbers.')
    train.add_argument('--lr', type=argparse_type(float, check_positive), default=0.1, metavar='LR',
                       help='learning rate of minibatch SGD (default: %(default)s)')
    train.add_argument('--batch-size', type=argparse_type(int, check_positive_int), default=256, metavar='N',
                       help='examples per minibatch (default: %(default)s)')
    train.add_argument('--epochs', type=argparse_type(int, check_positive_int), default=5, metavar='N',
                       help='passes over the training set (default: %(default)s)')
    train.add_argument('--seed', type=argparse_type(int, check_seed), default=0, metavar='N',
                       help='seed of Python, numpy and MXNet randomness (default: %(default)s)')
    train.add_argument('--impl', choices=MODELS, default='concise',
                       help='concise: Gluon Dense layer and loss (3.7); scratch: hand-written W, b, softmax, '
                            'cross-entropy and sgd (3.6); mlp: ReLU MLP 784-256-128-64-10 with Xavier '
                            'initialisation (the next chapter) (default: %(default)s)')
    train.add_argument('--weight-decay', type=argparse_type(float, check_non_negative), default=0.0, metavar='WD',
                       help='L2 penalty WD / 2 * ||W||^2 per example on the weights, not the bias '
                            '(default: %(default)s)')
    train.add_argument('--train-size', type=argparse_type(int, check_positive_int), default=None, metavar='N',
                       help='train on the first N training examples only (default: all 60000)')
    train.add_argument('--ctx', choices=('cpu', 'gpu'), default='cpu',
                       help='device to train on (default: %(default)s)')
    train.add_argument('--data-root', type=Path, default=None, metavar='DIR',
                       help='folder with the four Fashion-MNIST .gz files (default: $FASHION_MNIST_DIR, '
                            'else the MXNet cache, else /usr/share/datasets/fashion-mnist)')
    train.add_argument('--out', type=Path, default=None, metavar='DIR',
                       help='write history.csv, history.json and curves.png into DIR, created if missing '
                            '(default: write no files)')
    return parser


def resolve_ctx(name):
    """The MXNet context for --ctx, or a UsageError when this MXNet build sees no GPU."""
    if name == 'cpu':
        return mx.cpu()
    try:
        gpus = mx.context.num_gpus()
    except mx.base.MXNetError:
        gpus = 0
    if not gpus:
        raise UsageError('--ctx gpu: this MXNet build sees no GPU; use --ctx cpu, or install a CUDA '
                         'build of MXNet 1.9.1 (e.g. mxnet-cu112) on a machine with an NVIDIA GPU')
    return mx.gpu()


def check_train_size(train_size, data):
    """A UsageError naming --train-size when it asks for more images than the training set has."""
    available = len(data.train_labels)
    if train_size is not None and train_size > available:
        raise UsageError(f'--train-size {train_size}: the training set has only {available} images; '
                         f'pass at most {available}')


def divergence_message(err, args):
    """The error for a run whose loss stopped being finite, naming the flag to change.

    Weight decay alone multiplies the weights by 1 - lr * WD per step, which makes them grow once
    lr * WD passes 2; below that, the learning rate is the likely culprit.
    """
    where = f'epoch {len(err.history) + 1}: the training loss stopped being finite, so training diverged'
    if args.lr * args.weight_decay > 2:
        return (f'{where}. --weight-decay {args.weight_decay:g} is too large for --lr {args.lr:g}: each step '
                f'multiplies the weights by 1 - lr * WD = {1 - args.lr * args.weight_decay:g}; '
                f'pass a --weight-decay below {2 / args.lr:g}')
    return f'{where}. --lr {args.lr:g} is most likely too large: try a smaller one (the book uses 0.1)'


def prepare_out_dir(out):
    """Create `out` (and missing parents) and check it takes files; returns the folders created."""
    if out.exists() and not out.is_dir():
        raise UsageError(f'--out {out} exists and is not a directory; pass a folder')
    created = [folder for folder in (out, *out.parents) if not folder.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        remove_folders(created)
        raise UsageError(f'--out {out} is not a writable folder ({err.strerror}); pass another') from err
    return created


def remove_folders(folders):
    """Remove folders this run created (deepest first), so a failed run leaves nothing behind."""
    for folder in folders:
        if folder.is_dir():
            folder.rmdir()


class EpochProgress:
    """Wraps the training iterator and draws `epoch 2/5 [#####     ] 47%` on `stream`, erased at epoch end."""

    def __init__(self, batches, num_epochs, stream, steps=20):
        self.batches, self.num_epochs, self.stream, self.steps = batches, num_epochs, stream, steps
        self.epoch = 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        total, shown = len(self.batches), -1
        for done, batch in enumerate(self.batches, 1):
            yield batch
            step = done * self.steps // total
            if step != shown:
                mx.nd.waitall()  # the bar shows finished work, not just queued work
                self._draw(step, done * 100 // total)
                shown = step
        self.stream.write('\r' + ' ' * (self.steps + 30) + '\r')
        self.stream.flush()

    def _draw(self, step, percent):
        bar = '#' * step + ' ' * (self.steps - step)
        self.stream.write(f'\repoch {self.epoch}/{self.num_epochs} [{bar}] {percent:3d}%')
        self.stream.flush()


def history_files(history, config):
    """The bytes of each output file: the per-epoch table as CSV and JSON, and the curves as PNG."""
    table = io.StringIO()
    writer = csv.writer(table, lineterminator='\n')
    writer.writerow(EpochStats._fields)
    writer.writerows(history)
    record = json.dumps({'config': config, 'history': [row._asdict() for row in history]}, indent=2)
    figure = Figure(figsize=(3.5, 2.5), layout='tight')
    plot_history(history, figure.add_subplot())
    png = io.BytesIO()
    figure.savefig(png, format='png', dpi=150)
    return dict(zip(OUTPUT_FILES, (table.getvalue().encode(), (record + '\n').encode(), png.getvalue())))


def write_atomically(out, files):
    """Write every file to a temporary name in `out` first, then rename them all into place."""
    umask = os.umask(0)
    os.umask(umask)
    staged = []
    try:
        for name, data in files.items():
            fd, temp = tempfile.mkstemp(prefix=f'.{name}.', suffix='.tmp', dir=out)
            staged.append((temp, out / name))
            with os.fdopen(fd, 'wb') as file:
                file.write(data)
            os.chmod(temp, 0o666 & ~umask)  # mkstemp makes files private; give them the usual mode
        for temp, final in staged:
            os.replace(temp, final)
    finally:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.remove(temp)


def main(argv=None, prog=None):
    """Parse the flags, check them, train, and save the history; returns the exit status."""
    args = build_parser(prog).parse_args(argv)
    created = []
    try:
        ctx = resolve_ctx(args.ctx)
        check_train_size(args.train_size, read_fashion_mnist(args.data_root))  # fail before touching --out
        if args.out:
            created = prepare_out_dir(args.out)
        progress = partial(EpochProgress, num_epochs=args.epochs, stream=sys.stderr) if sys.stderr.isatty() else None
        history = run_experiment(args.lr, args.batch_size, args.epochs, args.impl, args.weight_decay, args.seed,
                                 num_train=args.train_size, data_root=args.data_root, ctx=ctx, verbose=True,
                                 progress=progress)
        if args.out:
            config = {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()
                      if key != 'command'}
            write_atomically(args.out, history_files(history, config))
            print(f'wrote {", ".join(OUTPUT_FILES)} to {args.out}')
    except (UsageError, DataError, DivergenceError, ValueError, OSError) as err:
        remove_folders(created)
        print(f'error: {divergence_message(err, args) if isinstance(err, DivergenceError) else err}',
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        remove_folders(created)
        print('error: interrupted', file=sys.stderr)
        return 130
    return 0
