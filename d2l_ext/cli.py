"""`d2l-ext` (or `python -m d2l_ext`): train the chapter's model, sweep a grid of runs, merge saved results."""
import argparse
import shlex
import sys
from pathlib import Path

import mxnet as mx
from tqdm import tqdm

from .atomic import check_folder, write_files
from .checks import argparse_type, check_non_negative, check_positive, check_positive_int, check_seed
from .fashion_mnist import DataError, read_fashion_mnist
from .merge import merge_results
from .models import MODELS, TRAIN_SIZE, run_experiment
from .parallel import check_n_jobs
from .results import FILES, figure_png, is_results_folder, write_results
from .sweep import sweep
from .table import KNOBS, METRICS, run_rows
from .training import DivergenceError

FORMATS = {'lr': '{:g}'.format, 'weight_decay': '{:g}'.format, 'loss': '{:.4f}'.format,
           'train_acc': '{:.3f}'.format, 'test_acc': '{:.3f}'.format}


class UsageError(Exception):
    """A flag value that cannot work; reported as one `error:` line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag as one `error:` line instead of the usage block."""

    def error(self, message):
        self.exit(2, f'error: {message} (see --help)\n')


def add_run_flags(parser, grid):
    """The flags of a run, shared by `train` and `sweep`; with `grid`, each of d2l.sweep's axes (--impl, --lr,
    --batch-size, --weight-decay, --train-size, --seed) takes one or more values."""
    def axis(flag, **spec):
        parser.add_argument(flag, nargs='+' if grid else None, **spec)

    axis('--lr', type=argparse_type(float, check_positive), default=0.1, metavar='LR',
         help='learning rate of minibatch SGD (default: %(default)s)')
    axis('--batch-size', type=argparse_type(int, check_positive_int), default=256, metavar='N',
         help='examples per minibatch (default: %(default)s)')
    parser.add_argument('--epochs', type=argparse_type(int, check_positive_int), default=5, metavar='N',
                        help='passes over the training set (default: %(default)s)')
    axis('--seed', type=argparse_type(int, check_seed), default=0, metavar='N',
         help='seed of the initial weights and the shuffles (default: %(default)s)')
    axis('--impl', choices=MODELS, default='concise',
         help='concise: Gluon Dense layer and loss (3.7); scratch: hand-written W, b, softmax, cross-entropy '
              'and sgd (3.6); mlp: ReLU MLP 784-256-128-64-10 with Xavier initialisation (the next chapter) '
              '(default: %(default)s)')
    axis('--weight-decay', type=argparse_type(float, check_non_negative), default=0.0, metavar='WD',
         help='L2 penalty WD / 2 * ||W||^2 per example on the weights, not the bias (default: %(default)s)')
    axis('--train-size', type=argparse_type(int, check_positive_int), default=None, metavar='N',
         help=f'train on the first N training examples only (default: all {TRAIN_SIZE})')
    parser.add_argument('--ctx', choices=('cpu', 'gpu'), default='cpu',
                        help='device to train on (default: %(default)s)')
    parser.add_argument('--data-root', type=Path, default=None, metavar='DIR',
                        help='folder with the four Fashion-MNIST .gz files (default: $FASHION_MNIST_DIR, '
                             'else the MXNet cache, else /usr/share/datasets/fashion-mnist)')
    parser.add_argument('--out', type=Path, default=None, metavar='DIR',
                        help=f'write {", ".join(FILES)} (the table of epochs, what produced it, the curves) into '
                             'the new folder DIR, all or none (default: write no files)')
    parser.add_argument('--overwrite', action='store_true',
                        help='let --out replace the results already in DIR (default: refuse)')


def build_parser(prog=None):
    """The commands and their flags; the defaults are the book's."""
    parser = Parser(prog=prog, description='Softmax regression on Fashion-MNIST, as in Dive into Deep '
                                           'Learning sections 3.4-3.7 (MXNet Gluon).')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    train = commands.add_parser(
        'train', help="train the chapter's model and print the loss and accuracies of every epoch",
        description="Train softmax regression on Fashion-MNIST and print the book's line per epoch. "
                    'A run is seeded, so the same flags print the same numbers.')
    add_run_flags(train, grid=False)
    grid = commands.add_parser(
        'sweep', help='train one seeded run per combination of the values given, and print their last epochs',
        description='Train one seeded run per combination of the values of --impl, --lr, --batch-size, '
                    '--weight-decay, --train-size and --seed (each takes one or more), as d2l.sweep does, and '
                    "print each run's last epoch.")
    add_run_flags(grid, grid=True)
    grid.add_argument('--n-jobs', type=argparse_type(int, lambda _, value: check_n_jobs(value)), default=None,
                      metavar='N', help='runs trained at once, in worker processes (-1: one per CPU; '
                                        'default: one after another)')
    merge = commands.add_parser(
        'merge', help='merge saved results (of train --out, sweep --out, d2l.save_results) into one table',
        description="Merge results folders, or folders holding many (one per student, say), into one table "
                    "with a `source` column naming each row's folder, and print each run's last epoch. A file "
                    'or folder that is not results is skipped with the reason, and the rest is merged.',
        epilog='Exit status: 0 when anything was merged, even if some paths were skipped; 1 when nothing '
               'could be merged; 2 for a bad flag.')
    merge.add_argument('paths', nargs='+', type=Path, metavar='PATH', help='results folders or their parents')
    merge.add_argument('--out', type=Path, default=None, metavar='FILE',
                       help='write the merged table as CSV to FILE (default: write no table)')
    merge.add_argument('--figure', type=Path, default=None, metavar='FILE',
                       help='draw the curves of every run into the PNG FILE (default: draw none)')
    merge.add_argument('--overwrite', action='store_true', help='let --out and --figure replace existing files')
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


def check_train_size(train_sizes, data):
    """A UsageError naming --train-size when it asks for more images than the training set has."""
    available = len(data.train_labels)
    for train_size in train_sizes if isinstance(train_sizes, list) else [train_sizes]:
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


class EpochBars:
    """The training minibatches, with a tqdm bar per epoch on stderr, erased when the epoch ends.

    MXNet computes asynchronously, so about 20 times per epoch the bar waits for the queued work: it shows
    finished minibatches, not queued ones.
    """

    def __init__(self, batches, num_epochs, updates=20):
        self.batches, self.num_epochs, self.updates = batches, num_epochs, updates
        self.epoch = 0

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        self.epoch += 1
        total = len(self.batches)
        every = max(1, total // self.updates)
        with tqdm(total=total, desc=f'epoch {self.epoch}/{self.num_epochs}', unit='batch', leave=False,
                  file=sys.stderr) as bar:
            for done, batch in enumerate(self.batches, 1):
                yield batch
                if done % every == 0 or done == total:
                    mx.nd.waitall()
                    bar.update(done - bar.n)


def last_epochs(table):
    """Each run's last epoch as aligned text: its source and number, the knobs that differ, the metrics."""
    keys = ['source', 'run'] if 'source' in table else ['run']
    varying = [name for name in KNOBS if table[name].nunique() > 1]
    marks = [name for name in ('diverged', 'stopped') if table[name].any()]
    last = table.groupby(keys, sort=False).tail(1)
    return last[[*keys, *varying, 'epoch', *METRICS, *marks]].to_string(index=False, formatters=FORMATS)


def train(args):
    """The `train` command: one seeded run, its line per epoch, and with --out its results folder."""
    ctx = resolve_ctx(args.ctx)
    data = read_fashion_mnist(args.data_root)
    check_train_size(args.train_size, data)  # fail before training, and before touching --out
    if args.out:
        check_folder(args.out, args.overwrite, '--overwrite', is_results_folder)
    progress = (lambda batches: EpochBars(batches, args.epochs)) if sys.stderr.isatty() else None
    history = run_experiment(args.lr, args.batch_size, args.epochs, args.impl, args.weight_decay, args.seed,
                             num_train=args.train_size, data_root=args.data_root, ctx=ctx, verbose=True,
                             progress=progress)
    if args.out:
        knobs = {'impl': args.impl, 'lr': args.lr, 'batch_size': args.batch_size, 'weight_decay': args.weight_decay,
                 'num_epochs': args.epochs, 'num_train': args.train_size or TRAIN_SIZE, 'seed': args.seed}
        save(run_rows(1, knobs, history), args, data, {'ctx': args.ctx})


def sweep_grid(args):
    """The `sweep` command: a grid of seeded runs, a table of their last epochs, and with --out its folder."""
    ctx = resolve_ctx(args.ctx)
    data = read_fashion_mnist(args.data_root)
    check_train_size(args.train_size, data)
    if args.out:
        check_folder(args.out, args.overwrite, '--overwrite', is_results_folder)
    table = sweep(args.lr, args.batch_size, args.epochs, args.impl, args.weight_decay, args.seed, args.train_size,
                  n_jobs=args.n_jobs, progress=sys.stderr.isatty(), data_root=args.data_root, ctx=ctx)
    print(last_epochs(table))
    if args.out:
        save(table, args, data, {'ctx': args.ctx, 'n_jobs': args.n_jobs})


def save(table, args, data, options):
    """Write the results folder of `train` or `sweep` and say so."""
    write_results(table, args.out, args.overwrite, written_by=f'd2l_ext {args.command}', data=data,
                  command=args.command_line, options={**options, 'data_root': args.data_root and str(args.data_root)},
                  flag='--overwrite')
    print(f'wrote {", ".join(FILES)} to {args.out}')


def merge(args):
    """The `merge` command: one table of many results folders, each skipped path on stderr with its reason."""
    merged = merge_results(args.paths)
    for path, reason in merged.skipped:
        print(f'skipped {path}: {reason}', file=sys.stderr)
    if merged.table.empty:
        raise UsageError('nothing to merge: no readable results under ' + ', '.join(map(str, args.paths)))
    print(last_epochs(merged.table))
    outputs = {}
    if args.out:
        outputs[args.out] = merged.table.to_csv(index=False, lineterminator='\n').encode()
    if args.figure:
        outputs[args.figure] = figure_png(merged.table)
    write_files(outputs, args.overwrite, '--overwrite')
    runs = len(merged.table.groupby(['source', 'run']))
    print(f'merged {runs} runs from {len(merged.metadata)} folders'
          + ''.join(f'; wrote {path}' for path in outputs)
          + (f'; skipped {len(merged.skipped)} (listed above)' if merged.skipped else ''))


COMMANDS = {'train': train, 'sweep': sweep_grid, 'merge': merge}


def main(argv=None, prog=None):
    """Parse the flags, check them and run the command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    args.command_line = f'{parser.prog} {shlex.join(argv)}'  # recorded with the results
    try:
        COMMANDS[args.command](args)
    except (UsageError, DataError, DivergenceError, ValueError, OSError) as err:
        print(f'error: {divergence_message(err, args) if isinstance(err, DivergenceError) else err}',
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print('error: interrupted', file=sys.stderr)
        return 130
    return 0
