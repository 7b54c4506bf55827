"""Write a folder of files, or a few single files, all or nothing, and never over earlier ones unasked."""
import errno
import os
import shutil
import tempfile
from pathlib import Path


class DestinationError(ValueError):
    """A destination that cannot be written, or that holds files this write would replace unasked."""


def _umask():
    umask = os.umask(0)
    os.umask(umask)
    return umask


def check_creatable(path):
    """Raise DestinationError unless files can be created in the nearest existing folder above `path`."""
    ancestor = next(folder for folder in Path(path).absolute().parents if folder.exists())
    if not ancestor.is_dir():
        raise DestinationError(f'{path} cannot be created: {ancestor} is not a folder; pass another path')
    try:
        os.rmdir(tempfile.mkdtemp(prefix='.probe-', dir=ancestor))
    except OSError as err:
        raise DestinationError(f'{path} cannot be created: {ancestor} is not a writable folder '
                               f'({err.strerror}); pass another path') from err


def check_folder(folder, overwrite, flag, replaceable):
    """Raise DestinationError unless `folder` is new, empty, or (with `overwrite`) `replaceable(folder)`.

    `flag` names the way to ask for overwriting in the messages (`--overwrite`, `overwrite=True`).
    """
    folder = Path(folder)
    if folder.is_dir() and any(folder.iterdir()):
        if not replaceable(folder):
            raise DestinationError(f'{folder} already exists and holds files that are not results, so nothing '
                                   'will replace them; choose another folder')
        if not overwrite:
            raise DestinationError(f'{folder} already holds results; pass {flag} to replace them, '
                                   'or choose another folder')
    elif folder.exists() or folder.is_symlink():
        if not folder.is_dir():
            raise DestinationError(f'{folder} exists and is not a folder; choose another name')
    check_creatable(folder)


def check_file(path, overwrite, flag):
    """Raise DestinationError unless the file `path` is new or (with `overwrite`) an existing file."""
    path = Path(path)
    if path.is_dir():
        raise DestinationError(f'{path} is a folder; pass a file name')
    if path.exists() and not overwrite:
        raise DestinationError(f'{path} already exists; pass {flag} to replace it, or choose another name')
    check_creatable(path)


def make_parents(path):
    """Create the missing folders above `path`; returns them, deepest first, for `remove_folders`."""
    created = [folder for folder in Path(path).parents if not folder.exists()]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return created


def remove_folders(folders):
    """Remove folders that a failed write created (deepest first), so that it leaves nothing behind."""
    for folder in folders:
        if folder.is_dir():
            folder.rmdir()


def _write_file(path, data):
    with open(path, 'wb') as file:
        file.write(data)


def write_folder(folder, files, overwrite=False, flag='overwrite=True', replaceable=lambda folder: False):
    """Make `folder` hold exactly `files` (name -> bytes), all or nothing.

    The files go into a new hidden folder beside it, which is then renamed into place: a reader sees the old
    folder or the new one, never a mix, and a failure (a full disk, Ctrl-C) leaves the old one as it was.
    An existing folder is replaced only with `overwrite` and where `replaceable(folder)` says it is results.
    """
    folder = Path(folder)
    check_folder(folder, overwrite, flag, replaceable)
    created = make_parents(folder)
    staging = Path(tempfile.mkdtemp(prefix=f'.{folder.name}.', suffix='.tmp', dir=folder.parent))
    try:
        for name, data in files.items():
            _write_file(staging / name, data)
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes the folder private; give it the usual mode
        _rename_into_place(staging, folder, overwrite, flag)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        remove_folders(created)
        raise


def _rename_into_place(staging, folder, overwrite, flag):
    """Rename `staging` to `folder`; with `overwrite`, move an existing `folder` aside first and delete it after."""
    try:
        os.rename(staging, folder)  # POSIX replaces a missing or empty folder this way, and refuses a full one
        return
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        if not overwrite:
            raise DestinationError(f'{folder} was filled while this ran; pass {flag} to replace it, '
                                   'or choose another folder') from err
    old = Path(tempfile.mkdtemp(prefix=f'.{folder.name}.', suffix='.old', dir=folder.parent))
    os.rename(folder, old)
    try:
        os.rename(staging, folder)
    except BaseException:
        os.rename(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_files(files, overwrite=False, flag='overwrite=True'):
    """Write each file (path -> bytes) beside its destination first, then rename them all into place.

    A failure while writing changes no destination; the renames themselves cannot fail for lack of space.
    """
    paths = [Path(path) for path in files]
    if len({path.resolve() for path in paths}) < len(paths):
        raise DestinationError(f'{", ".join(map(str, paths))}: two outputs name the same file; pass different names')
    for path in paths:
        check_file(path, overwrite, flag)
    created, staged = [], []
    try:
        for path, data in zip(paths, files.values()):
            created += make_parents(path)
            fd, temp = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
            os.close(fd)
            staged.append((temp, path))
            _write_file(temp, data)
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes files private; give them the usual mode
        for temp, path in staged:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in staged:
            if os.path.exists(temp):
                os.remove(temp)
        remove_folders(created)
        raise
