"""Reading a numeric CSV file into a :class:`~tinygrad_lr.data.Dataset`, with errors that name
the file, the line and the column."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Union

import numpy as np

from ..errors import InputError, describe
from .dataset import DataError, Dataset, default_feature_names
from .source import read_text

Column = Union[int, str]  # noqa: UP007 (a runtime alias: `int | str` needs 3.10)


# --- CSV -------------------------------------------------------------------------------------


def _parse_number(text: str) -> float | None:
    """The number in ``text``, or None if it is not a number (NaN/inf are numbers here)."""
    try:
        return float(text)
    except ValueError:
        return None


def split_cells(line: str, delimiter: str | None) -> list[str]:
    """The stripped cells of one line."""
    if delimiter is None:  # any run of whitespace separates cells
        return line.split()
    # csv handles quoted cells ("1.5") and a delimiter inside quotes
    cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
    return [c.strip() for c in cells]


def _read_rows(path: str, delimiter: str | None, max_bytes: int | None) -> list[tuple[int, list[str]]]:
    """(1-based line number, stripped cells) for every non-blank line of the file."""
    text = read_text(path, max_bytes)
    lines = enumerate(text.splitlines(), start=1)
    return [(i, split_cells(line, delimiter)) for i, line in lines if line.strip()]


def _resolve_column(col: Column, names: Sequence[str] | None, n_cols: int, path: str, what: str) -> int:
    if isinstance(col, str) and not col.lstrip("-").isdigit():
        if names is None:
            raise DataError(
                f"{path}: {what} column {col!r} is a name, but the file has no header; "
                f"use a 0-based column index (0..{n_cols - 1})"
            )
        if col not in names:
            raise DataError(f"{path}: no column named {col!r}; the header has {', '.join(map(repr, names))}")
        return list(names).index(col)
    if isinstance(col, bool):
        raise DataError(f"{path}: {what} column must be an index or a name, got {col!r}")
    j = int(col)
    if not -n_cols <= j < n_cols:
        raise DataError(
            f"{path}: {what} column index {j} is out of range: the file has {n_cols} columns "
            f"(indices 0..{n_cols - 1}, or negative from the end)"
        )
    return j % n_cols


def load_csv(
    path: str | os.PathLike[str],
    features: Sequence[Column] | Column | None = None,
    target: Column | None = None,
    header: bool | None = None,
    delimiter: str | None = ",",
    max_bytes: int | None = None,
    classes: Sequence[float] | None = None,
) -> Dataset:
    """Load a numeric CSV file as a :class:`Dataset`, whole, into memory.

    Args:
        path: the file.
        features: the feature columns, as 0-based indices (negative counts from the end) or
            header names; default: every column except the target.
        target: the target column (index or name); default: the last column.
        header: ``True`` if the first row holds column names, ``False`` if it is data,
            ``None`` (default) to decide: it is a header when one of its cells is not a number.
        delimiter: the character between cells (default ``","``); ``None`` for any whitespace.
        max_bytes: the memory budget: a file larger than this is refused (before it is read)
            with a message pointing to :class:`~tinygrad_lr.data.CSVStream` (``fit --stream``),
            which reads it in chunks. Default: :func:`memory_budget` (256 MB, or the environment
            variable ``TINYGRAD_LR_MEMORY_BUDGET`` in MB).
        classes: the values the target may take, for a classifier (``(0, 1)`` for logistic
            regression); a target cell with another value is refused, naming its line.

    ``path`` may be ``"-"`` for standard input; a named pipe is read as it comes; a directory
    or a device is refused.

    Blank lines are skipped. Only the chosen columns must be numeric.

    Raises:
        DataError: naming the file, the 1-based line and column and the reason: missing file,
            empty file, a row with a different number of cells (ragged), a cell that is not a
            number, NaN or inf, a single column, an unknown column.

    Example (the step-by-step tutorial's points, no header)::

        # data.csv:  1,3 / 2,5 / 3,7
        d = load_csv("data.csv")          # X = [[1], [2], [3]], y = [3, 5, 7]
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InputError(f"load_csv: path must be a file name (str or Path), got {describe(path)}")
    path = os.fspath(path)
    if delimiter is not None and len(delimiter) != 1:
        raise DataError(f"the delimiter must be one character (or None for whitespace), got {delimiter!r}")
    rows = _read_rows(path, delimiter, max_bytes)
    if not rows:
        raise DataError(f"{path}: the file is empty (no data rows)")
    layout = Layout.of(rows[0][0], rows[0][1], features, target, header, path, classes)
    if layout.header:
        rows = rows[1:]
        if not rows:
            raise DataError(f"{path}: the file has a header (line {layout.first_line}) but no data rows")
    data = layout.parse(rows)
    return Dataset(data[:, :-1].copy(), data[:, -1].copy(), layout.feature_names, layout.target_name, path)


@dataclass(frozen=True)
class Layout:
    """Which columns of a file are used, and their names: decided from its first row."""

    path: str
    first_line: int  # the 1-based line of the first row (the header, if any)
    n_cols: int
    header: bool
    names: list[str] | None  # the header's names, or None
    used: list[int]  # the feature columns, then the target column (0-based)
    classes: tuple[float, ...] | None = None  # the values the target may take (a classifier's labels)

    @staticmethod
    def of(
        first_line: int,
        first: list[str],
        features: Sequence[Column] | Column | None,
        target: Column | None,
        header: bool | None,
        path: str,
        classes: Sequence[float] | None = None,
    ) -> Layout:
        n_cols = len(first)
        if header is None:
            header = any(_parse_number(c) is None for c in first)
        names = [c if c else f"column {j + 1}" for j, c in enumerate(first)] if header else None
        if n_cols < 2:
            raise DataError(
                f"{path}: only one column; training needs at least two (one or more features and a target)"
            )
        t = _resolve_column(target if target is not None else -1, names, n_cols, path, "target")
        if features is None:
            f_idx = [j for j in range(n_cols) if j != t]
        else:
            cols = [features] if isinstance(features, (int, str)) else list(features)
            if not cols:
                raise DataError(f"{path}: no feature columns chosen")
            f_idx = [_resolve_column(c, names, n_cols, path, "feature") for c in cols]
            if t in f_idx:
                name = _col_name(t, names)
                raise DataError(f"{path}: column {t} ({name}) is both a feature and the target")
            if len(set(f_idx)) != len(f_idx):
                raise DataError(f"{path}: a feature column is chosen twice")
        labels = None if classes is None else tuple(float(c) for c in classes)
        return Layout(path, first_line, n_cols, bool(header), names, [*f_idx, t], labels)

    @property
    def feature_names(self) -> tuple[str, ...]:
        if self.names is None:
            return default_feature_names(len(self.used) - 1)
        return tuple(self.names[j] for j in self.used[:-1])

    @property
    def target_name(self) -> str:
        return "y" if self.names is None else self.names[self.used[-1]]

    def parse(self, rows: Sequence[tuple[int, list[str]]]) -> np.ndarray:
        """The used columns of ``rows`` (line number, cells) as floats, features then target;
        a DataError names the line and column of the first bad cell."""
        path, names, n_cols = self.path, self.names, self.n_cols
        data = np.empty((len(rows), len(self.used)), dtype=np.float64)
        for r, (line, cells) in enumerate(rows):
            if len(cells) != n_cols:
                raise DataError(
                    f"{path}, line {line}: {len(cells)} cell{'s' if len(cells) != 1 else ''}, "
                    f"but line {self.first_line} has {n_cols} "
                    f"(every row needs the same number of columns)"
                )
            for k, j in enumerate(self.used):
                cell = cells[j]
                where = f"{path}, line {line}, column {j + 1}{_col_label(j, names)}"
                if cell == "":
                    raise DataError(f"{where}: empty cell (a number is needed)")
                v = _parse_number(cell)
                if v is None:
                    raise DataError(f"{where}: {cell!r} is not a number")
                if not math.isfinite(v):
                    raise DataError(
                        f"{where}: {cell!r} is not a finite number (NaN and inf cannot be trained on)"
                    )
                if self.classes is not None and j == self.used[-1] and v not in self.classes:
                    labels = " or ".join(f"{c:g}" for c in self.classes)
                    raise DataError(f"{where}: {cell!r} is not a class label; the target must be {labels}")
                data[r, k] = v
        return data


def _col_name(j: int, names: Sequence[str] | None) -> str:
    return repr(names[j]) if names is not None else f"index {j}"


def _col_label(j: int, names: Sequence[str] | None) -> str:
    return f" ({names[j]})" if names is not None else ""
