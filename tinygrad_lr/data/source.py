"""Where data comes from: a file, standard input (``-``), a named pipe; and the memory budget.

The rule, one for every command and API that reads data:

* a regular file is read whole when it fits the memory budget, else refused before any of it is
  read, pointing to streaming (:class:`~tinygrad_lr.data.CSVStream`, ``fit --stream``);
* ``-`` is standard input and a named pipe (FIFO, also ``/dev/stdin`` or ``<(command)``) is read
  as it arrives, at most the budget's worth; they can be read only once, so streaming, which
  reads the data once per epoch, refuses them;
* a directory or a device (``/dev/zero``, a terminal given by name) is refused at once.

The budget is a number of bytes of file: :func:`memory_budget` (256 MB unless the environment
variable ``TINYGRAD_LR_MEMORY_BUDGET`` gives another number of MB), or ``max_bytes=`` where
a function takes it. Reading a file whole costs several times its size in Python objects.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import TextIO

from .._files import input_file
from .dataset import DataError

__all__ = ["DEFAULT_MEMORY_BUDGET", "memory_budget", "read_text", "open_rereadable", "STDIN"]

DEFAULT_MEMORY_BUDGET = 256 * 2**20  # bytes of CSV read whole: ~1-2 GB of Python objects at worst
STDIN = "-"


def memory_budget(max_bytes: int | None = None) -> int:
    """``max_bytes`` if given, else ``TINYGRAD_LR_MEMORY_BUDGET`` (MB) if set, else 256 MB."""
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise DataError(f"max_bytes must be a whole number of bytes >= 1, got {max_bytes!r}")
        return max_bytes
    env = os.environ.get("TINYGRAD_LR_MEMORY_BUDGET")
    if env is None:
        return DEFAULT_MEMORY_BUDGET
    try:
        mb = float(env)
    except ValueError:
        mb = -1.0
    if not mb > 0 or mb == float("inf"):
        raise DataError(f"TINYGRAD_LR_MEMORY_BUDGET must be a number of MB > 0, got {env!r}")
    return int(mb * 2**20)


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _kind(path: str) -> str:
    """'file', 'fifo', 'dir' or 'device' (following symlinks); DataError if it does not exist."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        try:
            input_file(path)  # the one rule: "afile/x.csv: afile is a file, not a folder"
        except OSError as exc:
            raise DataError(str(exc)) from None
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "fifo"
    if stat.S_ISREG(mode):
        return "file"
    return "device"


def _refuse(path: str, kind: str) -> None:
    if kind == "dir":
        raise DataError(f"{path}: is a directory, not a CSV file")
    if kind == "device":
        raise DataError(f"{path}: is a device, not a CSV file (give a file, or '-' for standard input)")


def read_text(path: str, max_bytes: int | None = None) -> str:
    """The whole text of ``path`` (``"-"``: standard input), refused if larger than the budget."""
    budget = memory_budget(max_bytes)
    stream = path == STDIN
    if not stream:
        kind = _kind(path)
        _refuse(path, kind)
        stream = kind == "fifo"
        if not stream:
            size = os.path.getsize(path)
            if size > budget:
                raise DataError(
                    f"{path}: {_size(size)}, more than the memory budget of {_size(budget)} for reading "
                    "a file whole; stream it in chunks (fit --stream, or CSVStream), or raise the "
                    "budget (TINYGRAD_LR_MEMORY_BUDGET, in MB)"
                )
    try:
        if path == STDIN:
            raw = sys.stdin.buffer.read(budget + 1)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(budget + 1)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(raw) > budget:
        what = "standard input" if path == STDIN else path
        raise DataError(
            f"{what}: more than the memory budget of {_size(budget)}; save it to a file and stream "
            "it (fit --stream), or raise the budget (TINYGRAD_LR_MEMORY_BUDGET, in MB)"
        )
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None


def open_rereadable(path: str) -> TextIO:
    """``path`` opened for reading text, if it is a regular file that can be read again each epoch."""
    if path == STDIN:
        raise DataError(
            "standard input can be read only once, and streaming reads the data once per epoch; "
            "save it to a file, or drop --stream to read it whole"
        )
    kind = _kind(path)
    _refuse(path, kind)
    if kind == "fifo":
        raise DataError(
            f"{path}: a named pipe can be read only once, and streaming reads the data once per epoch; "
            "save it to a file, or drop --stream to read it whole"
        )
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from None
