"""Reading and writing the user's files by one set of rules, the one way every command and
function opens an input and saves a picture, page, table or checkpoint.

* An input (:func:`input_file`) is called what it is when it cannot be read: a missing file, a
  directory where a file belongs, a path through something that is a file.
* An output (:func:`output_path`) is created or replaced, but the folder it goes into must exist
  already: a missing folder is refused, never created, and so is a path under a file.
* Files are written whole or not at all (:func:`atomic_file`, :func:`atomic_path`), folders are
  moved into place whole (:func:`atomic_folder`); an error names the user's path, never the
  temporary file beside it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn

__all__ = [
    "input_file",
    "output_path",
    "atomic_path",
    "atomic_file",
    "atomic_folder",
    "write_new_file",
]


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a folder (``afile`` of ``afile/x``)."""
    for parent in path.parents:
        if os.path.lexists(parent):
            return None if parent.is_dir() else parent
    return None


def input_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it names a file that exists, else an ``OSError``
    saying what it is instead, with the path as the user gave it.

    Raises ``IsADirectoryError`` (``data is a directory, not a file``), ``NotADirectoryError``
    (``afile/x.csv: afile is a file, not a folder``) or ``FileNotFoundError`` (``x.csv: no such
    file``). Named pipes and devices pass: reading them is the reader's business.
    """
    given, p = str(path), Path(path)
    try:
        mode = os.stat(p).st_mode
    except (FileNotFoundError, NotADirectoryError):
        blocker = _file_in_the_way(p)
        if blocker is not None:
            raise NotADirectoryError(f"{given}: {blocker} is a file, not a folder") from None
        raise FileNotFoundError(f"{given}: no such file") from None
    except OSError as exc:
        raise type(exc)(f"{given}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{given} is a directory, not a file")
    return p


def _reraise(exc: OSError, given: str, doing: str) -> NoReturn:
    """``exc`` again, its message naming the user's path ``given`` instead of a temporary file."""
    raise type(exc)(f"cannot write {given}: {doing} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, make_folders: bool = False) -> Iterator[Path]:
    """A temporary file name beside ``path`` (same suffix) to write to; moved onto ``path`` on success.

    For writers that want a file name rather than a handle (matplotlib's animation writers pick
    their format from the suffix). A reader never sees a half-written file, and a failure (an
    exception, a full disk) leaves whatever was at ``path`` before untouched and no temporary
    file behind. The new file gets the usual permissions (``0o666`` minus the umask), not
    ``mkstemp``'s private ``0o600``. The folder must exist (:func:`output_path`'s rule: it is
    never created) unless ``make_folders`` (for an API documented to create them), ``path`` must
    not be a directory, and an error names ``path``, never the temporary file.
    """
    given = str(path)
    if make_folders and _file_in_the_way(Path(path)) is None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    path = output_path(path, kind="file")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    except OSError as exc:
        _reraise(exc, given, f"cannot create a file in the folder {path.parent}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if tmp in str(exc) or getattr(exc, "filename", None) == tmp:
            _reraise(exc, given, "writing it failed")
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, make_folders: bool = False) -> Iterator[BinaryIO]:
    """Open a file beside ``path`` for binary writing; it becomes ``path`` whole on success (see
    :func:`atomic_path`: nothing half-written, nothing of the user's lost on failure, the folder
    must exist unless ``make_folders``)."""
    with atomic_path(path, make_folders=make_folders) as tmp, open(tmp, "wb") as fh:
        yield fh


def write_new_file(path: Path, data: bytes) -> bool:
    """Write ``path`` whole, only if no file of that name exists; False if one does."""
    if os.path.lexists(path):
        return False
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        _reraise(exc, str(path), f"cannot create a file in the folder {path.parent}")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        try:
            os.link(tmp, path)  # fails if the file appeared meanwhile: never replaces one
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create-exclusive, then fill it
            with open(path, "xb") as fh:
                fh.write(data)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return True


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it; put it straight back
    os.umask(mask)
    return mask


def output_path(path: str | os.PathLike[str], what: str = "the output", *, kind: str | None = None) -> Path:
    """Check where an output is to go, by the one rule every command and function follows.

    The rule: the output itself (a file such as ``-o graph.svg``, or a folder such as ``--out``,
    ``--walkthrough``, ``--replay``) is created or replaced, but the folder it goes *into* must
    already exist; a missing parent folder is refused, never created (a typo in a path must not
    leave folders behind), and so is a path under something that is a file. ``kind="file"``
    also refuses an existing directory (and a path ending in ``/``), ``kind="folder"`` an existing
    file. Call it before any work, so a wrong path costs nothing. The error names the path as the
    user gave it and ``what`` it is (an option such as ``--out``).

    Returns ``path`` as a :class:`~pathlib.Path`. Raises ``FileNotFoundError`` (missing parent),
    ``NotADirectoryError`` (a file where a folder belongs) or ``IsADirectoryError`` (a folder
    where a file belongs).
    """
    if kind not in (None, "file", "folder"):
        raise ValueError(f"kind must be 'file', 'folder' or None, got {kind!r}")
    given = str(path)
    out = Path(path)
    parent = out.parent
    blocker = _file_in_the_way(out)
    if blocker is not None:
        raise NotADirectoryError(f"cannot write {what} {given}: {blocker} is a file, not a folder")
    if not parent.exists():
        raise FileNotFoundError(
            f"cannot write {what} {given}: the folder {parent} does not exist "
            f"(create it first: mkdir -p {parent})"
        )
    if kind == "file" and out.is_dir():
        raise IsADirectoryError(f"cannot write {what} {given}: it is a directory, not a file")
    if kind == "file" and given.endswith(("/", os.sep)):
        raise IsADirectoryError(f"cannot write {what} {given}: a path ending in / names a folder, not a file")
    if kind == "folder" and os.path.lexists(out) and not out.is_dir():
        raise NotADirectoryError(f"cannot write {what} {given}: it is a file, not a folder")
    return out


def check_output_folder(
    path: str | os.PathLike[str], ours: re.Pattern[str], what: str = "the folder"
) -> Path:
    """The rule :func:`atomic_folder` applies, checked on its own, before any work is done: the parent
    exists (:func:`output_path`), and ``path`` is new, or a folder holding only files matching
    ``ours``. Errors name ``path`` as given."""
    given = str(path)
    folder = output_path(path, what, kind="folder")
    if folder.exists():
        others = sorted(p.name for p in folder.iterdir() if not ours.match(p.name))
        if others:
            more = ", ..." if len(others) > 3 else ""
            raise FileExistsError(
                f"cannot write {what} into {given}: it holds other files "
                f"({', '.join(others[:3])}{more}); give a new or empty folder"
            )
    return folder


@contextlib.contextmanager
def atomic_folder(
    path: str | os.PathLike[str], ours: re.Pattern[str], what: str = "the folder"
) -> Iterator[Path]:
    """Build a folder in a temporary folder beside ``path``; move it onto ``path`` on success.

    A reader finds the complete folder of one run, or the previous one, never a mix; a failure
    leaves the previous one as it was and nothing temporary behind. An existing ``path`` is
    replaced only if every file in it matches ``ours`` (what an earlier run wrote): a folder
    holding anything else of the user's is refused, never emptied. The parent folder must
    exist (:func:`output_path`). Errors name ``path`` as given.
    """
    given = str(path)
    folder = check_output_folder(path, ours, what)
    try:
        build = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    except OSError as exc:
        _reraise(exc, given, f"cannot create a folder in {folder.parent}")
    try:
        yield build
        os.chmod(build, 0o777 & ~_umask())
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.rmdir(old)
            os.rename(folder, old)
            try:
                os.rename(build, folder)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.rename(old, folder)  # put the earlier one back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(build, folder)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
