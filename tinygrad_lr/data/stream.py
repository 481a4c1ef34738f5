"""A CSV file read in chunks, for data larger than memory: :class:`CSVStream`.

Each pass over the file (one per epoch) reads ``chunk_rows`` rows at a time, so memory stays
bounded by the chunk, not the file. Numbers are parsed by numpy's C reader a block of lines at a
time; a block it cannot read is parsed again cell by cell, so an error names the file, line and
column exactly as :func:`~tinygrad_lr.data.load_csv` does.

The order rule, which makes streaming and in-memory training give the same numbers: samples are
used in file order, cut into chunks of ``chunk_rows`` rows; shuffling (and drawing with
replacement) happens *within each chunk*, with one ``rng`` call per chunk, in file order.
In memory, ``batch_indices(..., window=chunk_rows)`` (``fit(..., shuffle_window=chunk_rows)``)
draws the same orders from the same seed. A batch may span two chunks, as it spans two windows.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence

import numpy as np

from ..errors import InputError, describe
from .csv import Column, Layout, split_cells
from .dataset import SQUARE_OVERFLOW, DataError, check_finite
from .source import open_rereadable

__all__ = ["CSVStream", "DEFAULT_CHUNK_ROWS"]

# rows per chunk: 65536 rows of a few float64 columns is a few MB, and large enough that the
# per-chunk costs (a numpy parse call, a graph per chunk for full-batch GD) are amortised
DEFAULT_CHUNK_ROWS = 65536


class CSVStream:
    """A numeric CSV file read ``chunk_rows`` rows at a time; pass it to :func:`~tinygrad_lr.fit`.

    Columns, header and delimiter are chosen as in :func:`~tinygrad_lr.data.load_csv`; they are
    decided from the first row when the stream is made (the rest is read only when iterated).
    ``n_samples`` is known after the first full pass (``count()`` makes one).

    Example::

        stream = CSVStream("big.csv", chunk_rows=100_000)
        fit(model, stream, "minibatch", lr=0.01, batch_size=64, epochs=3)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        features: Sequence[Column] | Column | None = None,
        target: Column | None = None,
        header: bool | None = None,
        delimiter: str | None = ",",
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise InputError(f"CSVStream: path must be a file name (str or Path), got {describe(path)}")
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
            raise InputError(f"CSVStream: chunk_rows must be a whole number >= 1, got {describe(chunk_rows)}")
        if delimiter is not None and len(delimiter) != 1:
            raise DataError(
                f"the delimiter must be one character (or None for whitespace), got {delimiter!r}"
            )
        self.path = os.fspath(path)
        self.delimiter = delimiter
        self.chunk_rows = int(chunk_rows)
        self.n_samples: int | None = None
        with open_rereadable(self.path) as fh:
            first = next(self._rows(fh, 1, 1), None)
        if first is None:
            raise DataError(f"{self.path}: the file is empty (no data rows)")
        self._layout = Layout.of(first[0][0], first[0][1], features, target, header, self.path)

    @property
    def source(self) -> str:
        return self.path

    @property
    def feature_names(self) -> tuple[str, ...]:
        return self._layout.feature_names

    @property
    def target_name(self) -> str:
        return self._layout.target_name

    @property
    def n_features(self) -> int:
        return len(self._layout.used) - 1

    def __repr__(self) -> str:
        n = "unknown until read" if self.n_samples is None else str(self.n_samples)
        return (
            f"CSVStream({self.path!r}, n_samples={n}, features={list(self.feature_names)}, "
            f"target={self.target_name!r}, chunk_rows={self.chunk_rows})"
        )

    def _rows(
        self, fh: object, block: int, limit: int | None = None
    ) -> Iterator[list[tuple[int, list[str]]]]:
        """Blocks of (line number, cells) of non-blank lines, ``block`` lines read at a time."""
        lines = iter(fh)  # type: ignore[call-overload]
        line_no = 0
        seen = 0
        while True:
            try:
                raw = list(itertools.islice(lines, block))
            except UnicodeDecodeError as exc:
                raise DataError(f"{self.path}: not a text file ({exc.reason})") from None
            if not raw:
                return
            rows = [(line_no + i, split_cells(t, self.delimiter)) for i, t in enumerate(raw, 1) if t.strip()]
            line_no += len(raw)
            if rows:
                yield rows
                seen += 1
                if limit is not None and seen >= limit:
                    return

    def _blocks(self) -> Iterator[np.ndarray]:
        """Arrays of parsed rows (features then target), about ``chunk_rows`` rows each."""
        layout = self._layout
        with open_rereadable(self.path) as fh:
            lines = iter(fh)
            skip = layout.first_line if layout.header else layout.first_line - 1
            for _ in range(skip):
                next(lines)
            line_no = skip
            while True:
                try:
                    raw = list(itertools.islice(lines, self.chunk_rows))
                except UnicodeDecodeError as exc:
                    raise DataError(f"{self.path}: not a text file ({exc.reason})") from None
                if not raw:
                    return
                yield self._parse(raw, line_no)
                line_no += len(raw)

    def _parse(self, raw: list[str], line_no: int) -> np.ndarray:
        layout = self._layout
        try:  # numpy's C reader; any doubt (blank lines, a bad cell, ragged rows) -> cell by cell
            arr = np.loadtxt(
                raw,
                delimiter=self.delimiter,
                comments=None,
                quotechar='"' if self.delimiter is not None else None,
                ndmin=2,
                dtype=np.float64,
            )
            if arr.shape != (len(raw), layout.n_cols) or not np.all(np.isfinite(arr[:, layout.used])):
                raise ValueError("check cell by cell")
            return arr[:, layout.used]
        except ValueError:
            rows = [(line_no + i, split_cells(t, self.delimiter)) for i, t in enumerate(raw, 1) if t.strip()]
            return layout.parse(rows)

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """One pass over the file: ``(X, y)`` chunks of exactly ``chunk_rows`` rows (the last may
        be shorter), whatever blank lines the file holds. Sets ``n_samples`` at the end."""
        k = self.chunk_rows
        pending: list[np.ndarray] = []
        have = 0
        total = 0
        for block in self._blocks():
            pending.append(block)
            have += len(block)
            while have >= k:
                joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
                chunk, rest = joined[:k], joined[k:]
                pending, have = ([rest] if len(rest) else []), len(rest)
                total += k
                yield self._checked(chunk, total - k)
        if have:
            chunk = np.concatenate(pending) if len(pending) > 1 else pending[0]
            total += len(chunk)
            yield self._checked(chunk, total - len(chunk))
        if total == 0:
            raise DataError(
                f"{self.path}: the file has a header (line {self._layout.first_line}) but no data rows"
            )
        self.n_samples = total

    def _checked(self, chunk: np.ndarray, row0: int) -> tuple[np.ndarray, np.ndarray]:
        X, y = np.ascontiguousarray(chunk[:, :-1]), np.ascontiguousarray(chunk[:, -1])
        check_finite(X, y, self.feature_names, self.target_name, self.path, row0)
        big = np.max(np.abs(chunk), axis=0)
        names = [*self.feature_names, self.target_name]
        for j in np.flatnonzero(big > SQUARE_OVERFLOW).tolist():
            raise DataError(
                f"{self.path}: values up to {float(big[j]):.3g} in column {names[j]} overflow when "
                f"squared (float64 holds up to {np.finfo(np.float64).max:.3g}): rescale the data"
            )
        return X, y

    def count(self) -> int:
        """The number of data rows (one pass over the file, if not yet known)."""
        if self.n_samples is None:
            for _ in self.chunks():
                pass
        assert self.n_samples is not None
        return self.n_samples
