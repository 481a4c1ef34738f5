"""Data for training: a numeric CSV or arrays in, a :class:`Dataset` out; and mini-batches.

A :class:`Dataset` is a feature matrix ``X`` of shape ``(n_samples, n_features)`` and a target
vector ``y`` of shape ``(n_samples,)``, both float64, plus the column names. Every way of making
one checks the data and, when something is wrong, says exactly where: the file, the line
(1-based, as an editor shows it) and the column (1-based too, with its header name if any)::

    data.csv, line 4, column 2 (y): 'abc' is not a number

Mini-batches are lists of sample indices, drawn by :func:`batch_indices` from an explicit
``numpy.random.Generator`` -- never from numpy's global random state -- so a seed reproduces a run.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

__all__ = [
    "DataError",
    "Dataset",
    "load_csv",
    "from_arrays",
    "make_linear_data",
    "batch_indices",
    "as_generator",
]

Column = Union[int, str]  # noqa: UP007 (a runtime alias: `int | str` needs 3.10)


class DataError(ValueError):
    """Data that cannot be used for training; the message says where and why."""


@dataclass(frozen=True)
class Dataset:
    """Samples for supervised learning: ``X[i]`` is sample ``i``'s features, ``y[i]`` its target.

    Attributes:
        X: float64 array of shape ``(n_samples, n_features)``.
        y: float64 array of shape ``(n_samples,)``.
        feature_names: one name per column of ``X`` (from the header, or ``x``/``x1``, ``x2``...).
        target_name: the name of the target (from the header, or ``y``).
        source: where the data came from (a file name), for messages; ``None`` for arrays.

    Example:
        >>> d = from_arrays([1, 2, 3], [3, 5, 7])
        >>> d.X.shape, d.y.tolist(), d.feature_names
        ((3, 1), [3.0, 5.0, 7.0], ('x',))
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...] = field(default=())
    target_name: str = "y"
    source: str | None = None

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def __len__(self) -> int:
        return self.n_samples

    def subset(self, indices: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The samples at ``indices`` (in that order, repeats allowed): ``(X[indices], y[indices])``."""
        idx = np.asarray(indices, dtype=np.intp)
        return self.X[idx], self.y[idx]

    def __repr__(self) -> str:
        src = f", source={self.source!r}" if self.source else ""
        return (
            f"Dataset(n_samples={self.n_samples}, features={list(self.feature_names)}, "
            f"target={self.target_name!r}{src})"
        )


def _default_feature_names(d: int) -> tuple[str, ...]:
    return ("x",) if d == 1 else tuple(f"x{j + 1}" for j in range(d))


# --- arrays ----------------------------------------------------------------------------------


def from_arrays(
    x: object,
    y: object,
    feature_names: Sequence[str] | None = None,
    target_name: str = "y",
) -> Dataset:
    """Build a :class:`Dataset` from arrays, checking shapes and values.

    ``x`` is one feature per sample (a 1-D sequence of length n, or shape ``(n, 1)``) or several
    (shape ``(n, d)``); ``y`` has n targets (shape ``(n,)`` or ``(n, 1)``).

    Raises:
        DataError: no samples, mismatched lengths of x and y, wrong dimensions, NaN or inf.

    Example:
        >>> from_arrays([[1, 0], [2, 1]], [1, 2]).n_features
        2
    """
    try:
        X = np.array(x, dtype=np.float64)
        Y = np.array(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"x and y must be numeric arrays: {exc}") from None
    if X.ndim == 0 or Y.ndim == 0:
        raise DataError("x and y must be arrays of samples, not single numbers")
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise DataError(f"x must be 1-D (one feature) or 2-D (samples x features), got shape {X.shape}")
    if Y.ndim == 2 and Y.shape[1] == 1:
        Y = Y[:, 0]
    if Y.ndim != 1:
        raise DataError(f"y must be 1-D (one target per sample), got shape {Y.shape}")
    if X.shape[0] != Y.shape[0]:
        raise DataError(f"x and y have different lengths: x has {X.shape[0]} samples, y has {Y.shape[0]}")
    if X.shape[0] == 0:
        raise DataError("no samples: x and y are empty")
    if X.shape[1] == 0:
        raise DataError("x has no features (shape (n, 0))")
    for name, arr in (("x", X), ("y", Y)):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            pos = tuple(int(i) for i in bad[0])
            where = f"{name}[{pos[0]}]" if arr.ndim == 1 else f"{name}[{pos[0]}, {pos[1]}]"
            raise DataError(f"{where} is {float(arr[pos])!r}: the data must be finite (no NaN or inf)")
    names = tuple(feature_names) if feature_names is not None else _default_feature_names(X.shape[1])
    if len(names) != X.shape[1]:
        raise DataError(f"{len(names)} feature names for {X.shape[1]} features")
    return Dataset(X, Y, names, target_name)


def make_linear_data(
    n: int = 100,
    w: float | Sequence[float] = 3.0,
    b: float = 4.0,
    noise: float = 1.0,
    x_scale: float = 2.0,
    rng: np.random.Generator | int | None = 0,
) -> Dataset:
    """Synthetic data on a line plus noise: ``y = b + X @ w + noise * N(0, 1)``.

    ``X`` is uniform in ``[0, x_scale)``. The defaults are the SGD tutorial's recipe
    (``X = 2*rand(100, 1)``, ``y = 4 + 3*X + randn(100, 1)``), drawn from a seeded Generator.

    Example:
        >>> d = make_linear_data(50, rng=1)
        >>> d.X.shape, d.y.shape
        ((50, 1), (50,))
    """
    gen = as_generator(rng)
    w_arr = np.atleast_1d(np.asarray(w, dtype=np.float64))
    if w_arr.ndim != 1:
        raise ValueError(f"w must be a number or a 1-D list of numbers, got shape {w_arr.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    X = x_scale * gen.random((int(n), w_arr.size))
    y = b + X @ w_arr + noise * gen.standard_normal(int(n))
    return from_arrays(X, y)


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


# --- batching --------------------------------------------------------------------------------


def as_generator(rng: np.random.Generator | np.random.RandomState | int | None) -> Any:
    """A ``numpy.random.Generator``: ``rng`` itself, a new one seeded with an int, or an unseeded one.

    A legacy ``numpy.random.RandomState`` is returned as it is, so code seeded the old way
    (``np.random.seed(0)``; ``rand``, ``randn``, ``randint``) can be reproduced draw for draw.
    """
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, a RandomState, an int seed or None, got {type(rng).__name__}"
    )


def batch_indices(
    n: int,
    batch_size: int | None = None,
    *,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    rng: np.random.Generator | None = None,
) -> list[np.ndarray]:
    """The sample indices of each update in one epoch over ``n`` samples.

    * ``batch_size=None``: one batch of every sample, in order (full-batch gradient descent);
    * in order (default): ``[0..B-1], [B..2B-1], ...``;
    * ``shuffle=True``: a fresh permutation of ``0..n-1`` each epoch, cut into batches, so every
      sample is used exactly once per epoch (sampling *without* replacement);
    * ``replacement=True``: ``n`` indices drawn independently and uniformly (a sample can come
      twice or not at all), cut into batches -- the SGD tutorial's ``randint(n)`` per update.

    The last batch is shorter when ``B`` does not divide ``n``; ``drop_last=True`` drops it.
    Random orders come from ``rng`` (required for them), never from global state.

    Example:
        >>> [b.tolist() for b in batch_indices(5, 2)]
        [[0, 1], [2, 3], [4]]
    """
    if n < 1:
        raise ValueError(f"batch_indices: need at least one sample, got n={n}")
    if batch_size is None:
        return [np.arange(n)]
    check_batch_size(batch_size, n)
    if shuffle or replacement:
        if rng is None:
            raise ValueError(
                "batch_indices: shuffling or sampling with replacement needs an rng (a Generator)"
            )
        if replacement and isinstance(rng, np.random.RandomState):
            order = np.array([rng.randint(n) for _ in range(n)])  # the legacy `randint(n)` per update
        else:
            order = rng.integers(0, n, size=n) if replacement else rng.permutation(n)
    else:
        order = np.arange(n)
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if drop_last and len(batches[-1]) < batch_size:
        batches.pop()
    return batches


def check_batch_size(batch_size: object, n: int | None = None) -> int:
    """Return ``batch_size`` if it is an integer in ``1..n``; raise a clear ``ValueError`` if not."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch size must be a whole number, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if n is not None and batch_size > n:
        raise ValueError(f"batch size {batch_size} is larger than the data set ({n} samples)")
    return int(batch_size)


def train_test_split(
    X: Any, y: Any, test_size: float = 0.25, rng: np.random.Generator | int | None = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((X_train, y_train), (X_test, y_test))``: a seeded random split of the rows.

    ``test_size`` is the fraction held out (at least one row in each part); the rows are drawn
    by a permutation from ``rng``, so the same seed gives the same split.

    Example:
        >>> (Xtr, ytr), (Xte, yte) = train_test_split([[1], [2], [3], [4]], [3, 5, 7, 9], 0.25, rng=0)
        >>> len(ytr), len(yte)
        (3, 1)
    """
    Xa = np.asarray(getattr(X, "data", X), dtype=np.float64)
    Xa = Xa.reshape(-1, 1) if Xa.ndim == 1 else Xa
    ya = np.asarray(getattr(y, "data", y), dtype=np.float64).reshape(-1)
    n = ya.size
    if Xa.shape[0] != n:
        raise ValueError(f"X has {Xa.shape[0]} rows but y has {n} values")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction between 0 and 1, got {test_size!r}")
    n_test = int(round(test_size * n))
    if n_test < 1 or n_test > n - 1:
        raise ValueError(f"a test fraction of {test_size:g} of {n} rows leaves an empty part")
    order = as_generator(rng).permutation(n)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return (Xa[train], ya[train]), (Xa[test], ya[test])
