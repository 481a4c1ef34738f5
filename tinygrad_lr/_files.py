"""Writing files whole or not at all, the one way every picture and page of the tool is saved."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary file name beside ``path`` (same suffix) to write to; moved onto ``path`` on success.

    For writers that want a file name rather than a handle (matplotlib's animation writers pick
    their format from the suffix). A reader never sees a half-written file, and a failure (an
    exception, a full disk) leaves whatever was at ``path`` before untouched and no temporary
    file behind. The new file gets the usual permissions (``0o666`` minus the umask), not
    ``mkstemp``'s private ``0o600``. Missing folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix or ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a file beside ``path`` for binary writing; it becomes ``path`` whole on success (see
    :func:`atomic_path`: nothing half-written, nothing of the user's lost on failure)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        yield fh


def write_new_file(path: Path, data: bytes) -> bool:
    """Write ``path`` whole, only if no file of that name exists; False if one does."""
    if path.exists():
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def output_path(path: str | os.PathLike[str], what: str = "the output") -> Path:
    """Check where an output is to go, by the one rule every command and function follows.

    The rule: the output itself (a file such as ``-o graph.svg``, or a folder such as ``--out``,
    ``--walkthrough``, ``--replay``) is created or replaced, but the folder it goes *into* must
    already exist; a missing parent folder is refused, never created (a typo in a path must not
    leave folders behind). The error names the path as the user gave it.

    Returns ``path`` as a :class:`~pathlib.Path`. Raises ``FileNotFoundError`` (missing parent)
    or ``NotADirectoryError`` (the parent is a file).
    """
    given = str(path)
    out = Path(path)
    parent = out.parent
    if not parent.exists():
        raise FileNotFoundError(
            f"cannot write {what} {given}: the folder {parent} does not exist "
            f"(create it first: mkdir -p {parent})"
        )
    if not parent.is_dir():
        raise NotADirectoryError(f"cannot write {what} {given}: {parent} is a file, not a folder")
    return out


def check_output_folder(
    path: str | os.PathLike[str], ours: re.Pattern[str], what: str = "the folder"
) -> Path:
    """The rule :func:`atomic_folder` applies, checked on its own, before any work is done: the parent
    exists (:func:`output_path`), and ``path`` is new, or a folder holding only files matching
    ``ours``. Errors name ``path`` as given."""
    given = str(path)
    folder = output_path(path, what)
    if folder.exists():
        if not folder.is_dir():
            raise NotADirectoryError(f"cannot write {what} {given}: it is a file, not a folder")
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
    folder = check_output_folder(path, ours, what)
    build = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
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
