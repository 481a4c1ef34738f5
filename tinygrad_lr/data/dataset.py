"""The :class:`Dataset` and the ways to make one from arrays, with every check on the way in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, as_float_array
from .batches import as_generator

# |v| above this overflows float64 when squared (sqrt of the largest float64, ~1.34e154)
SQUARE_OVERFLOW = float(np.sqrt(np.finfo(np.float64).max))


class DataError(InputError):
    """Data that cannot be used for training; the message says where and why (a ``ValueError``)."""


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

    def __post_init__(self) -> None:
        # a hand-built Dataset is checked like one from from_arrays, except for finiteness:
        # NaN is a number (fit and the gradient checks refuse it, naming the row and column)
        X = as_float_array(self.X, "Dataset X", "an (n_samples, n_features) array of numbers")
        y = as_float_array(self.y, "Dataset y", "an (n_samples,) array of numbers")
        if X.ndim != 2:
            fix = (
                "; one feature per sample is X.reshape(-1, 1), or use from_arrays(x, y)"
                if X.ndim == 1
                else ""
            )
            raise DataError(f"Dataset X must be 2-D (n_samples, n_features), got shape {X.shape}{fix}")
        if y.ndim != 1:
            raise DataError(f"Dataset y must be 1-D (n_samples,), got shape {y.shape}")
        if X.shape[0] != y.shape[0]:
            raise DataError(f"Dataset X has {X.shape[0]} samples but y has {y.shape[0]}")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise DataError(f"Dataset X has shape {X.shape}: it needs at least one sample and one feature")
        names = tuple(self.feature_names) if self.feature_names else default_feature_names(X.shape[1])
        if len(names) != X.shape[1]:
            raise DataError(f"Dataset has {len(names)} feature names for {X.shape[1]} features")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "feature_names", names)

    def check_finite(self) -> None:
        """Raise :class:`DataError` naming the first NaN or inf (row, column name) if there is one."""
        check_finite(self.X, self.y, self.feature_names, self.target_name, self.source)

    def check_squares(self, fix: str = "rescale the data") -> None:
        """Raise :class:`DataError` if a column's squares (which every squared-error loss and its
        Hessian hold) overflow float64: ``values up to 1e+200 in column x overflow when squared``."""
        check_squares(self.X, self.y, self.feature_names, self.target_name, fix)

    def check_classes(self, classes: Sequence[float] = (0.0, 1.0), why: str = "a classifier") -> None:
        """Raise :class:`DataError` naming the first target that is not one of ``classes``
        (row, column name): ``row 3 (0-based), column y: 2.0 is not a class label (0 or 1) ...``."""
        bad = np.flatnonzero(~np.isin(self.y, np.asarray(classes, dtype=np.float64)))
        if bad.size:
            i = int(bad[0])
            where = f"{self.source}: " if self.source else ""
            labels = " or ".join(f"{c:g}" for c in classes)
            raise DataError(
                f"{where}row {i} (0-based), column {self.target_name}: {float(self.y[i])!r} is not a "
                f"class label ({labels}); {why} needs every target to be {labels}"
            )

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


def check_finite(
    X: np.ndarray, y: np.ndarray, names: Sequence[str], target: str, source: str | None, row0: int = 0
) -> None:
    """Raise a DataError naming the first NaN/inf: its row (``row0`` + index, 0-based) and column."""
    for arr, cols in ((X, names), (y[:, None], [target])):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, j = (int(v) for v in bad[0])
            where = f"{source}: " if source else ""
            raise DataError(
                f"{where}row {row0 + i} (0-based), column {cols[j]}: {float(arr[i, j])!r}; "
                "training needs finite numbers (no NaN or inf)"
            )


def check_squares(X: np.ndarray, y: np.ndarray, names: Sequence[str], target: str, fix: str) -> None:
    """Raise a DataError, ending with ``fix``, for a column whose squares overflow float64."""
    for arr, cols in ((X, names), (y[:, None], [target])):
        big = np.max(np.abs(arr), axis=0)
        for j in np.flatnonzero(big > SQUARE_OVERFLOW).tolist():
            raise DataError(
                f"values up to {float(big[j]):.3g} in column {cols[j]} overflow when squared "
                f"(float64 holds up to {np.finfo(np.float64).max:.3g}): {fix}"
            )


def default_feature_names(d: int) -> tuple[str, ...]:
    """``('x',)`` for one feature, else ``('x1', ..., 'xd')``."""
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
        X = np.array(as_float_array(x, "x", "numeric (a 1-D list or an (n, d) array of numbers)"))
        Y = np.array(as_float_array(y, "y", "numeric (one number per sample)"))
    except InputError as exc:
        raise DataError(str(exc)) from None
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
    names = tuple(feature_names) if feature_names is not None else default_feature_names(X.shape[1])
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
    w_arr = np.atleast_1d(as_float_array(w, "w", "a number or a list of numbers"))
    if w_arr.ndim != 1:
        raise ValueError(f"w must be a number or a 1-D list of numbers, got shape {w_arr.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    X = x_scale * gen.random((int(n), w_arr.size))
    y = b + X @ w_arr + noise * gen.standard_normal(int(n))
    return from_arrays(X, y)


def make_logistic_data(
    n: int = 100,
    w: float | Sequence[float] = 2.0,
    b: float = -1.0,
    low: float | Sequence[float] = 0.0,
    high: float | Sequence[float] = 1.0,
    rng: np.random.Generator | int | None = 0,
) -> Dataset:
    """Synthetic classes drawn from a logistic model: ``y ~ Bernoulli(sigmoid(b + X @ w))``.

    ``X`` is uniform in ``[low, high)`` per column (a number, or one per feature); each ``y_i``
    is 1 with probability ``sigmoid(b + x_i . w)``, else 0, drawn from a seeded Generator. Near the
    line ``b + x . w = 0`` both classes occur, so the classes overlap (a minimum exists) unless
    ``w`` is very large.

    Example:
        >>> d = make_logistic_data(200, w=[1.0, -1.0], b=0.0, low=-3, high=3, rng=1)
        >>> d.X.shape, sorted(set(d.y.tolist()))
        ((200, 2), [0.0, 1.0])
    """
    gen = as_generator(rng)
    w_arr = np.atleast_1d(as_float_array(w, "w", "a number or a list of numbers"))
    if w_arr.ndim != 1:
        raise ValueError(f"w must be a number or a 1-D list of numbers, got shape {w_arr.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    lo = np.broadcast_to(as_float_array(low, "low", "a number or one per feature"), w_arr.shape)
    hi = np.broadcast_to(as_float_array(high, "high", "a number or one per feature"), w_arr.shape)
    X = lo + (hi - lo) * gen.random((int(n), w_arr.size))
    z = b + X @ w_arr
    p = np.exp(-np.logaddexp(0.0, -z))  # sigmoid(z), without overflow
    y = (gen.random(int(n)) < p).astype(np.float64)
    return from_arrays(X, y)
