"""Results on disk: a folder with the table of runs (results.csv), what produced them (metadata.json) and their
curves (curves.png), written all or nothing, and read back with the checks that let a teacher trust them.

`python -m d2l_ext train --out`, `sweep --out` and `d2l.save_results` all write this one format.
"""
import hashlib
import io
import json
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from matplotlib.figure import Figure

from .atomic import write_folder
from .fashion_mnist import read_fashion_mnist
from .provenance import data_record, environment, utc_now
from .sweep_plot import plot_sweep
from .table import COLUMNS, KNOBS, METRICS

FORMAT, FORMAT_VERSION = 'd2l_ext results', 1
TABLE, METADATA, FIGURE = 'results.csv', 'metadata.json', 'curves.png'
FILES = (TABLE, METADATA, FIGURE)
DTYPES = {'run': 'int64', 'impl': 'object', 'lr': 'float64', 'batch_size': 'int64', 'weight_decay': 'float64',
          'num_epochs': 'int64', 'num_train': 'int64', 'seed': 'int64', 'epoch': 'int64',
          **dict.fromkeys(METRICS, 'float64'), 'diverged': 'bool', 'stopped': 'bool'}
WRITERS = 'python -m d2l_ext train --out, python -m d2l_ext sweep --out or d2l.save_results'


class ResultsError(ValueError):
    """A file or folder that is not readable results; `path` names it and `reason` says why and what to do."""

    def __init__(self, path, reason):
        super().__init__(f'{path}: {reason}')
        self.path, self.reason = Path(path), reason


class Results(NamedTuple):
    """A results folder read back: the table of runs (`d2l.sweep`'s columns) and its metadata."""
    table: pd.DataFrame
    metadata: dict


def save_results(table, folder, overwrite=False, *, data_root=None):
    """Save a table of runs (`d2l.sweep`'s, an explorer's `.runs`) into `folder`, all files or none.

    Writes results.csv (the table), metadata.json (its configuration, the data release, the versions, the CPU,
    oneDNN's instruction set and the time) and curves.png. An existing folder of results is replaced only with
    `overwrite=True`. `data_root` names the data the runs read, if not the default, so that its release is
    recorded.
    """
    write_results(table, folder, overwrite, written_by='d2l.save_results', data=read_fashion_mnist(data_root))


def write_results(table, folder, overwrite=False, *, written_by, data, command=None, options=None,
                  flag='overwrite=True'):
    """Save `table` as a results folder; `data` is the FashionMNIST the runs read, `options` the settings that
    the table does not hold (ctx, n_jobs), `command` the command line; `flag` is how to ask to overwrite."""
    table = typed_table(table)
    csv = table.to_csv(index=False, lineterminator='\n').encode()
    png = figure_png(table)
    metadata = {'format': FORMAT, 'format_version': FORMAT_VERSION, 'time': utc_now(), 'written_by': written_by,
                'command': command, 'config': {**table_config(table), **(options or {})},
                'runs': int(table['run'].nunique()), 'data': data_record(data), 'environment': environment(),
                'files': {TABLE: checksum(csv), FIGURE: checksum(png)}}
    files = {TABLE: csv, METADATA: (json.dumps(metadata, indent=2) + '\n').encode(), FIGURE: png}
    write_folder(folder, files, overwrite, flag, replaceable=is_results_folder)


def typed_table(table):
    """`table` with exactly the columns of COLUMNS, in order and of the types of DTYPES; ValueError otherwise."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f'expected a DataFrame of runs (d2l.sweep returns one), got {type(table).__name__}')
    missing, extra = set(COLUMNS) - set(table.columns), set(table.columns) - set(COLUMNS)
    if missing or extra:
        raise ValueError(f'the table needs the columns of d2l.sweep\'s table ({", ".join(COLUMNS)}); '
                         + '; '.join(f'{what}: {", ".join(sorted(names))}'
                                     for what, names in (('missing', missing), ('extra', extra)) if names))
    if table.empty:
        raise ValueError('the table has no rows: train a run first')
    typed = table[list(COLUMNS)].reset_index(drop=True)
    for name, dtype in DTYPES.items():
        try:
            typed[name] = typed[name].astype(dtype)
        except (ValueError, TypeError) as err:
            raise ValueError(f'the column {name} of the table must hold {dtype} values ({err})') from err
    return typed


def table_config(table):
    """Each knob of the runs: its value if all runs share it, else the list of its values in order."""
    values = {name: pd.unique(table[name]).tolist() for name in KNOBS}
    return {name: value[0] if len(value) == 1 else value for name, value in values.items()}


def plot_results(table, axes, beside=False):
    """The curves of every run on three `axes`, labelled with their numbers as in results.csv; in a merged
    table (with a `source` column), with their source and knobs instead, so that sources stay apart."""
    return plot_sweep(table, axes=axes, numbered='source' not in table, beside=beside)


def figure_png(table):
    """The PNG bytes of the curves of `table` (drawn off-screen, whatever matplotlib's backend)."""
    runs = len(table.groupby([name for name in ('source', 'run') if name in table]))
    figure = Figure(figsize=(13, max(2.8, 0.15 * runs)), layout='tight')
    plot_results(table, figure.subplots(1, len(METRICS)), beside=True)  # the legend beside the curves
    png = io.BytesIO()
    figure.savefig(png, format='png', dpi=100)
    return png.getvalue()


def checksum(data):
    """The SHA-256 of `data` in hex, as `sha256sum` prints it."""
    return hashlib.sha256(data).hexdigest()


def is_results_folder(folder):
    """True when `folder` holds a metadata.json of this format (what `overwrite` may replace)."""
    try:
        read_metadata(Path(folder) / METADATA)
    except ResultsError:
        return False
    return True


def read_metadata(path):
    """The metadata in `path`, or a ResultsError that says whether it is missing, truncated or foreign."""
    try:
        metadata = json.loads(Path(path).read_bytes())
    except FileNotFoundError:
        raise ResultsError(path, f'is missing, so the folder is not complete results (written by {WRITERS}); '
                                 'ask for the whole folder again') from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsError(path, f'is not valid JSON ({err}): it is truncated or damaged; ask for it again') from None
    except OSError as err:
        raise ResultsError(path, f'cannot be read ({err.strerror})') from None
    if not isinstance(metadata, dict) or metadata.get('format') != FORMAT \
            or not isinstance(metadata.get('files'), dict):
        raise ResultsError(path, f'is not the metadata of results (those of {WRITERS})')
    if metadata.get('format_version') != FORMAT_VERSION:
        raise ResultsError(path, f'has results format {metadata.get("format_version")!r}, this d2l_ext reads '
                                 f'format {FORMAT_VERSION}: read it with the d2l_ext that wrote it')
    return metadata


def load_results(path):
    """Read a results folder (or its results.csv or metadata.json) back as Results(table, metadata).

    Raises ResultsError, naming the file, when one is missing, truncated, edited or not results at all: the
    table must be the one whose SHA-256 the metadata recorded.
    """
    path = Path(path)
    folder = path.parent if path.name in (TABLE, METADATA) and not path.is_dir() else path
    table_path = folder / TABLE
    try:
        data = table_path.read_bytes()
    except FileNotFoundError:
        data = None
    if data is not None:
        header = data.split(b'\n', 1)[0].strip().decode('utf-8', 'replace').split(',')
        if header != list(COLUMNS):
            raise ResultsError(table_path, f'has the columns {", ".join(header)}, not those of a table of runs '
                                           f'({", ".join(COLUMNS)})')
    metadata = read_metadata(folder / METADATA)
    if data is None:
        raise ResultsError(table_path, 'is missing, so the folder is not complete results; '
                                       'ask for the whole folder again')
    if checksum(data.replace(b'\r\n', b'\n')) != metadata['files'].get(TABLE):  # git's autocrlf may add CRs
        raise ResultsError(table_path, 'is not the table that was saved (its SHA-256 differs from the one in '
                                       'metadata.json): it was truncated or edited; ask for the folder again')
    try:
        table = typed_table(pd.read_csv(io.BytesIO(data), float_precision='round_trip'))
    except ValueError as err:  # pandas' ParserError is one too
        raise ResultsError(table_path, f'cannot be read as a table of runs ({err})') from None
    return Results(table, metadata)
