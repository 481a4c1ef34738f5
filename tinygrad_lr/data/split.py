"""A seeded train/test split of a data set's rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from .batches import as_generator

__all__ = ["train_test_split"]


def train_test_split(
    X: Any,
    y: Any,
    test_size: float = 0.25,
    rng: np.random.Generator | int | None = 0,
    min_rows: int = 1,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``((X_train, y_train), (X_test, y_test))``: a seeded random split of the rows.

    ``test_size`` is the fraction held out (``round(test_size * n)`` rows); each part must keep
    at least ``min_rows`` rows (1; a score such as R^2 needs 2), or the split is refused naming
    both sizes. The rows are drawn by a permutation from ``rng``, so the same seed gives the same
    split (each part keeps the rows' original order).

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
    if isinstance(min_rows, bool) or not isinstance(min_rows, int) or min_rows < 1:
        raise ValueError(f"min_rows must be a whole number >= 1, got {min_rows!r}")
    n_test = int(round(test_size * n))
    if min(n_test, n - n_test) < min_rows:
        what = "an empty part" if min(n_test, n - n_test) == 0 else "too few rows"
        raise ValueError(
            f"a test fraction of {test_size:g} of {n} row{'' if n == 1 else 's'} leaves {what}: "
            f"{n - n_test} to train on and {n_test} to test, where each part needs at least {min_rows}"
        )
    order = as_generator(rng).permutation(n)
    test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
    return (Xa[train], ya[train]), (Xa[test], ya[test])
