"""Reading a numeric CSV file into a :class:`~tinygrad_lr.data.Dataset`, with errors that name
the file, the line and the column."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from typing import Union

import numpy as np

from ..errors import InputError, describe
from .dataset import DataError, Dataset, _default_feature_names

Column = Union[int, str]  # noqa: UP007 (a runtime alias: `int | str` needs 3.10)


# --- CSV -------------------------------------------------------------------------------------


def _parse_number(text: str) -> float | None:
    """The number in ``text``, or None if it is not a number (NaN/inf are numbers here)."""
    try:
        return float(text)
    except ValueError:
        return None


def _read_rows(path: str, delimiter: str | None) -> list[tuple[int, list[str]]]:
    """(1-based line number, stripped cells) for every non-blank line of the file."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file ({exc.strerror})") from None
    lines = text.splitlines()
    rows: list[tuple[int, list[str]]] = []
    if delimiter is None:  # any run of whitespace separates cells
        for i, line in enumerate(lines, start=1):
            if line.strip():
                rows.append((i, line.split()))
        return rows
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        # csv handles quoted cells ("1.5") and a delimiter inside quotes
        cells = next(csv.reader([line], delimiter=delimiter, skipinitialspace=True))
        rows.append((i, [c.strip() for c in cells]))
    return rows


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
) -> Dataset:
    """Load a numeric CSV file as a :class:`Dataset`.

    Args:
        path: the file.
        features: the feature columns, as 0-based indices (negative counts from the end) or
            header names; default: every column except the target.
        target: the target column (index or name); default: the last column.
        header: ``True`` if the first row holds column names, ``False`` if it is data,
            ``None`` (default) to decide: it is a header when one of its cells is not a number.
        delimiter: the character between cells (default ``","``); ``None`` for any whitespace.

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
    rows = _read_rows(path, delimiter)
    if not rows:
        raise DataError(f"{path}: the file is empty (no data rows)")
    first_line, first = rows[0]
    n_cols = len(first)
    for line, cells in rows[1:]:
        if len(cells) != n_cols:
            raise DataError(
                f"{path}, line {line}: {len(cells)} cell{'s' if len(cells) != 1 else ''}, "
                f"but line {first_line} has {n_cols} "
                f"(every row needs the same number of columns)"
            )
    if header is None:
        header = any(_parse_number(c) is None for c in first)
    names: list[str] | None = None
    if header:
        names = [c if c else f"column {j + 1}" for j, c in enumerate(first)]
        rows = rows[1:]
        if not rows:
            raise DataError(f"{path}: the file has a header (line {first_line}) but no data rows")
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
            raise DataError(f"{path}: column {t} ({_col_name(t, names)}) is both a feature and the target")
        if len(set(f_idx)) != len(f_idx):
            raise DataError(f"{path}: a feature column is chosen twice")
    used = f_idx + [t]
    data = np.empty((len(rows), len(used)), dtype=np.float64)
    for r, (line, cells) in enumerate(rows):
        for k, j in enumerate(used):
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
            data[r, k] = v
    if names is not None:
        f_names = tuple(names[j] for j in f_idx)
        t_name = names[t]
    else:
        f_names = _default_feature_names(len(f_idx))
        t_name = "y"
    return Dataset(data[:, :-1].copy(), data[:, -1].copy(), f_names, t_name, path)


def _col_name(j: int, names: Sequence[str] | None) -> str:
    return repr(names[j]) if names is not None else f"index {j}"


def _col_label(j: int, names: Sequence[str] | None) -> str:
    return f" ({names[j]})" if names is not None else ""
