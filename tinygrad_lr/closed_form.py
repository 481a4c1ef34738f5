"""The closed-form answer of linear least squares (and of ridge regression), to compare a fit with.

For ``f(x) = b + w . x`` the parameters ``theta = [w1..wn, b]`` and the design matrix
``A = [X, 1]`` (the bias column last) give the loss ``SSE(theta) = |A theta - y|^2`` (``MSE = SSE/n``).
Setting its gradient ``2 A^T (A theta - y)`` to zero gives the *normal equations*::

    A^T A theta = A^T y

With an L2 (ridge) term ``l2 * sum_j w_j^2`` added to the loss (the bias is not penalised),
``D = diag(1, ..., 1, 0)`` and ``c = n`` for MSE (``c = 1`` for SSE)::

    (A^T A + c * l2 * D) theta = A^T y

Both are solved here as a least-squares problem with :func:`numpy.linalg.lstsq` (the ridge term
as extra rows ``sqrt(c * l2) * D`` with targets 0), which avoids forming ``A^T A`` and so does not
square the condition number. An L1 (lasso) term has no closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["LeastSquares", "lstsq", "ridge", "design_matrix", "singular_values"]


@dataclass(frozen=True)
class LeastSquares:
    """The exact minimiser of a linear model's squared-error loss (plus an optional L2 term).

    Attributes:
        weights: ``w1..wn`` (an array of shape ``(n_features,)``).
        intercept: ``b``, or ``None`` for a model without bias.
        loss: the loss at the minimum (with the L2 term), in the loss named by ``loss_name``.
        loss_name: ``"mse"`` or ``"sse"``.
        l2: the ridge strength (0 for ordinary least squares).
        condition_number: ``cond(A)`` of the design matrix ``A = [X, 1]``; the loss's Hessian
            ``2 A^T A / n`` has condition number ``cond(A)^2``, which is what makes GD slow;
            ``inf`` when ``A`` is singular to working precision (a constant or repeated feature).
    """

    weights: np.ndarray
    intercept: float | None
    loss: float
    loss_name: str
    l2: float
    condition_number: float

    def param_vector(self) -> np.ndarray:
        """``[w1, ..., wn, b]`` (``b`` only with bias), in :meth:`LinearRegression.param_vector`'s order."""
        tail = [] if self.intercept is None else [self.intercept]
        return np.concatenate([self.weights, tail])

    def predict(self, X: Any) -> np.ndarray:
        """``b + X @ w`` for the rows of ``X``."""
        Xa = _as_matrix(X, self.weights.size)
        return Xa @ self.weights + (0.0 if self.intercept is None else self.intercept)


def _as_matrix(X: Any, d: int | None = None) -> np.ndarray:
    arr = np.asarray(getattr(X, "data", X), dtype=np.float64)  # a Tensor's array, or the array itself
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if d in (None, 1) else arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features), got shape {arr.shape}")
    return arr


def design_matrix(X: Any, bias: bool = True) -> np.ndarray:
    """``A = [X, 1]``: the features with a column of ones appended for the bias (``X`` alone without)."""
    Xa = _as_matrix(X)
    return np.hstack([Xa, np.ones((Xa.shape[0], 1))]) if bias else Xa


def singular_values(A: np.ndarray) -> np.ndarray:
    """The singular values of ``A`` (largest first), one per column, those that are zero to working
    precision set to exactly 0.

    Zero to working precision is numpy's ``matrix_rank`` and ``lstsq(rcond=None)`` tolerance,
    ``s_max * max(n, k) * eps``: the rounding of a zero singular value differs between BLAS
    kernels, the verdict must not. With fewer rows than columns the missing ones are 0 (one data
    row cannot pin down a slope and an intercept).

    Example:
        >>> singular_values(np.array([[1.0, 1.0], [2.0, 2.0]])).round(12).tolist()   # sqrt(10), 0
        [3.162277660168, 0.0]
    """
    sv = np.zeros(A.shape[1])
    found = np.linalg.svd(A, compute_uv=False)
    sv[: found.size] = found
    tiny = sv[0] * max(A.shape) * np.finfo(np.float64).eps
    sv[sv <= tiny] = 0.0
    return sv


def lstsq(X: Any, y: Any, bias: bool = True, loss: str = "mse", l2: float = 0.0) -> LeastSquares:
    """Solve the normal equations ``A^T A theta = A^T y`` (with ``l2``: ridge's) by least squares.

    Example (the step-by-step tutorial's points lie on y = 2x + 1):
        >>> s = lstsq([1, 2, 3], [3, 5, 7], loss="sse")
        >>> s.param_vector().round(12).tolist(), round(s.loss, 12)
        ([2.0, 1.0], 0.0)
    """
    key = loss.lower()
    if key not in ("mse", "sse"):
        raise ValueError(f"the closed form knows the 'mse' and 'sse' losses, got {loss!r}")
    if isinstance(l2, bool) or not isinstance(l2, (int, float, np.integer, np.floating)) or not l2 >= 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    A = design_matrix(X, bias)
    t = np.asarray(getattr(y, "data", y), dtype=np.float64).reshape(-1)
    n, k = A.shape
    if t.size != n:
        raise ValueError(f"X has {n} rows but y has {t.size} values")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(t))):
        raise ValueError("the closed form needs finite data (no NaN or inf)")
    scale = float(n) if key == "mse" else 1.0
    if l2 > 0:
        D = np.eye(k)
        if bias:
            D[-1, -1] = 0.0
        A_solve = np.vstack([A, math.sqrt(scale * l2) * D])
        t_solve = np.concatenate([t, np.zeros(k)])
    else:
        A_solve, t_solve = A, t
    theta = np.linalg.lstsq(A_solve, t_solve, rcond=None)[0]
    w = theta[: k - 1] if bias else theta
    sse = float(np.sum((A @ theta - t) ** 2))
    value = sse / n if key == "mse" else sse
    if l2 > 0:  # no w * w without a penalty: a huge w (tiny x) must not overflow into the loss
        value += float(l2) * float(np.sum(w * w))
    sv = singular_values(A)
    cond = float(sv[0] / sv[-1]) if sv[-1] > 0.0 else math.inf
    return LeastSquares(
        weights=np.array(w, dtype=np.float64),
        intercept=float(theta[-1]) if bias else None,
        loss=value,
        loss_name=key,
        l2=float(l2),
        condition_number=cond,
    )


def ridge(X: Any, y: Any, l2: float, bias: bool = True, loss: str = "mse") -> LeastSquares:
    """Ridge regression's closed form: the minimiser of ``loss + l2 * sum_j w_j^2`` (see :func:`lstsq`).

    Example:
        >>> ridge([1, 2, 3], [3, 5, 7], l2=1.0, loss="sse").param_vector().round(6).tolist()   # (4/3, 7/3)
        [1.333333, 2.333333]
    """
    return lstsq(X, y, bias=bias, loss=loss, l2=l2)
