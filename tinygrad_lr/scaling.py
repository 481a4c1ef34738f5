"""Feature standardization: fit on ``z = (x - mean) / std``, report coefficients in ``x``'s units.

Gradient descent on a linear model is as fast as the loss's Hessian ``H = 2 A^T A / n``
(``A = [X, 1]``) is round. Its largest eigenvalue sets the largest stable learning rate,
``2 / lambda_max``, and its smallest how slowly the flattest direction is crossed: the
number of steps grows with the condition number ``kappa = lambda_max / lambda_min``. A
feature measured in large units far from 0 (hours ~ 50) makes ``lambda_max`` huge and
``kappa`` in the thousands. Standardized features have mean 0 and variance 1, so for one
feature ``H = 2 I``: ``kappa = 1`` and every direction converges at the same pace.

A model ``f = b_z + sum_j w_z,j z_j`` on standardized features is the same line as
``f = b + sum_j w_j x_j`` with::

    w_j = w_z,j / std_j            b = b_z - sum_j w_z,j * mean_j / std_j

**Without an intercept the features are scaled, not centred**: ``z = x / rms`` with
``rms = sqrt(mean(x^2))``, the spread about 0 (``Standardizer.fit(X, center=False)``). A model
``f = w . x`` has no ``b`` to absorb ``- w_z . mean / std``, so training it on centred features
would fit another model (the line through the data's mean, not through 0). Scaled by ``rms``,
one feature gives ``H = 2 mean(z^2) = 2`` again, and ``w_j = w_z,j / rms_j`` converts back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Standardizer", "standardize"]


@dataclass(frozen=True)
class Standardizer:
    """Per-feature ``mean`` and ``std`` (population standard deviation, numpy's default ``ddof=0``);
    with ``center=False`` (a model without intercept), ``mean`` is 0 and ``std`` the root mean
    square ``sqrt(mean(x^2))``.

    Example:
        >>> s = Standardizer.fit([[1.0], [2.0], [3.0]])
        >>> s.transform([[1.0], [3.0]]).round(6).tolist()
        [[-1.224745], [1.224745]]
        >>> s.to_original([2.0], 5.0)        # w_z = 2, b_z = 5 on z is w = 2/std, b = 5 - 2*mean/std
        (array([2.44948974]), 0.10102051443364424)
        >>> Standardizer.fit([[1.0], [2.0], [3.0]], center=False).std.round(6).tolist()  # sqrt(14/3)
        [2.160247]
    """

    mean: np.ndarray
    std: np.ndarray
    center: bool = True

    @classmethod
    def fit(cls, X: Any, names: Any = None, center: bool = True) -> Standardizer:
        """Measure the mean and standard deviation of every column of ``X`` (``center=False``:
        0 and the root mean square, for a model without intercept)."""
        arr = np.asarray(getattr(X, "data", X), dtype=np.float64)
        arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"standardize needs a 2-D array of samples, got shape {arr.shape}")
        with np.errstate(over="ignore", invalid="ignore"):
            if center:
                mean, std = arr.mean(axis=0), arr.std(axis=0)
                if not np.all(np.isfinite(std)):  # squares of values near 1e200 overflow: scale them first
                    dev = arr - mean
                    spread = np.abs(dev).max(axis=0)
                    spread = np.where(spread > 0, spread, 1.0)
                    std = spread * (dev / spread).std(axis=0)
            else:  # the spread about 0, sqrt(mean(x^2)), without squaring x itself
                big = np.max(np.abs(arr), axis=0)
                safe = np.where(big > 0, big, 1.0)
                mean, std = np.zeros(arr.shape[1]), big * np.sqrt(np.mean((arr / safe) ** 2, axis=0))
        for j, s in enumerate(std):
            name = names[j] if names is not None else f"feature {j + 1}"
            if not np.isfinite(s):
                raise ValueError(f"cannot standardize {name}: its spread overflows float64; rescale it")
            if not s > 0:
                what = "std 0" if center else "all 0"
                value = float(arr[0, j])
                raise ValueError(f"cannot standardize {name}: all its values are {value!r} ({what})")
        return cls(mean, std, bool(center))

    def describe(self, names: Any) -> str:
        """Each feature's centre and scale, in words: ``x: mean 3, std 1.5`` (or ``x: scaled by 2.2``)."""
        if self.center:
            return ", ".join(f"{f}: mean {m:.6g}, std {s:.6g}" for f, m, s in zip(names, self.mean, self.std))
        return ", ".join(f"{f}: divided by {s:.6g}, its root mean square" for f, s in zip(names, self.std))

    def transform(self, X: Any) -> np.ndarray:
        """``z = (x - mean) / std`` for every row of ``X``."""
        arr = np.asarray(getattr(X, "data", X), dtype=np.float64)
        arr = arr.reshape(-1, 1) if arr.ndim == 1 and self.mean.size == 1 else arr
        return (arr - self.mean) / self.std

    def to_original(self, w_z: Any, b_z: float | None) -> tuple[np.ndarray, float | None]:
        """Coefficients on ``z`` -> the same model's coefficients on ``x``."""
        w_z = np.asarray(w_z, dtype=np.float64)
        w = w_z / self.std
        b = None if b_z is None else float(b_z - np.sum(w_z * self.mean / self.std))
        return w, b

    def to_standardized(self, w: Any, b: float | None) -> tuple[np.ndarray, float | None]:
        """Coefficients on ``x`` -> the same model's on ``z`` (the inverse of :meth:`to_original`)."""
        w = np.asarray(w, dtype=np.float64)
        b_z = None if b is None else float(b + np.sum(w * self.mean))
        return w * self.std, b_z


def standardize(X: Any, center: bool = True) -> tuple[np.ndarray, Standardizer]:
    """``(z, scaler)``: the standardized features and the :class:`Standardizer` that made them
    (``center=False``: scaled only, for a model without intercept)."""
    s = Standardizer.fit(X, center=center)
    return s.transform(X), s
