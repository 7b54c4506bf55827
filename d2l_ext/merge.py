"""Many students' results as one table: every results folder under the given paths, each row marked with the
folder it came from; what cannot be read is reported beside the table instead of stopping the merge."""
import os
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from matplotlib import pyplot as plt

from .results import DTYPES, FILES, METADATA, TABLE, WRITERS, ResultsError, load_results, plot_results
from .table import COLUMNS

NOT_RESULTS = f'is not part of a results folder (merge reads what {WRITERS} wrote)'


class Merged(NamedTuple):
    """The merged table (a `source` column, then `d2l.sweep`'s), the (path, reason) of each file or folder
    skipped, and the metadata of each source."""
    table: pd.DataFrame
    skipped: list
    metadata: dict

    def plot(self, axes=None):
        """The curves of every run of every source, as `d2l.plot_sweep` draws a sweep; returns the axes."""
        if axes is None:
            _, axes = plt.subplots(1, 3, figsize=(10.5, 2.8), squeeze=False)
            axes = axes[0]
        return plot_results(self.table, axes)


def merge_results(paths):
    """Merge the results under `paths` (results folders, their files, or folders holding many, one per student,
    say) into one table with a `source` column: each folder's path below the folder given (alice, bob/run2),
    or its name when given itself; the whole path where two such names are the same.

    A file or folder that is not results (a foreign CSV, a truncated JSON, an empty folder) is skipped and
    listed in `.skipped` with the reason; the others are merged. Returns Merged(table, skipped, metadata).
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    folders, skipped = {}, []
    for path in map(Path, paths):
        found, problems = find_results(path)
        for folder in found:
            folders.setdefault(folder.resolve(), (folder, _label(folder, path)))
        skipped += problems
    loaded = []
    for folder, label in folders.values():
        try:
            loaded.append((folder, label, load_results(folder)))
        except ResultsError as err:
            skipped.append((err.path, err.reason))
    labels = Counter(label for _, label, _ in loaded)
    sources = [label if labels[label] == 1 else str(folder) for folder, label, _ in loaded]
    tables = [results.table.assign(source=source)[['source', *COLUMNS]]
              for source, (_, _, results) in zip(sources, loaded)]
    table = pd.concat(tables, ignore_index=True) if tables else \
        pd.DataFrame(columns=['source', *COLUMNS]).astype({'source': 'object', **DTYPES})
    return Merged(table, skipped, {source: results.metadata for source, (_, _, results) in zip(sources, loaded)})


def _label(folder, path):
    """A results folder's name in the merged table: its path below the folder given, else its own name."""
    if path.is_dir() and folder != path:
        return folder.relative_to(path).as_posix()
    return folder.resolve().name


def find_results(path):
    """(results folders, skipped) under `path`: a folder holding results.csv or metadata.json is one (and is
    not searched further); any other CSV or JSON, a folder with none, a missing path, is skipped with why.
    Hidden files and folders (.ipynb_checkpoints, unfinished writes) are not searched."""
    if not path.exists():
        return [], [(path, 'does not exist')]
    if path.is_file():
        return ([path.parent], []) if path.name in FILES else ([], [(path, NOT_RESULTS)])
    if (path / TABLE).exists() or (path / METADATA).exists():
        return [path], []
    found, skipped = [], []
    try:
        children = sorted(child for child in path.iterdir() if not child.name.startswith('.'))
    except OSError as err:
        return [], [(path, f'cannot be read ({err.strerror})')]
    for child in children:
        if child.is_dir():
            more, problems = find_results(child)
            found += more
            skipped += problems
        elif child.suffix.lower() in ('.csv', '.json'):
            skipped.append((child, NOT_RESULTS))
    if not found and not skipped:
        skipped.append((path, 'holds no results (no results.csv or metadata.json in it or below it)'))
    return found, skipped
