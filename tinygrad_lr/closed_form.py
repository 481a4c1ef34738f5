"""The closed-form answer of linear least squares (and of ridge regression), to compare a fit with.

For ``f(x) = b + w . x`` the parameters ``theta = [w1..wn, b]`` and the design matrix
``A = [X, 1]`` (the bias column last) give the loss ``SSE(theta) = |A theta - y|^2`` (``MSE = SSE/n``).
Setting its gradient ``2 A^T (A theta - y)`` to zero gives the *normal equations*::

    A^T A theta = A^T y

With an L2 (ridge) term ``l2 * sum_j w_j^2`` added to the loss (the bias is not penalised),
``D = diag(1, ..., 1, 0)`` and ``c = n`` for MSE (``c = 1`` for SSE)::

    (A^T A + c * l2 * D) theta = A^T y

Both are solved here as a least-squares problem with :func:`numpy.linalg.lstsq`, which avoids
forming ``A^T A`` and so does not square the condition number. With ridge the bias, which is not
penalised, is ``b = mean(y) - mean(x) . w`` at the minimum, so ``w`` is ridge on the centred data
``Xc w ~ yc`` with the extra rows ``sqrt(c * l2) * I`` (targets 0): every weight is pinned down by
the penalty, so the answer is unique whatever the data. An L1 (lasso) term has no closed form.

What the answer says about itself is computed for the problem actually solved (with or without
the bias, with or without the ridge term): the ``rank`` (``unique`` when it is the number of
parameters: one data row cannot pin down a slope and an intercept) and the condition number.
The loss at the minimum is refused, not returned, when it overflows float64 (a
:class:`~tinygrad_lr.data.DataError` naming the size of the residuals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import DataError

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
        condition_number: ``cond(A)`` of the design matrix of the problem solved, ``A = [X, 1]``
            (``X`` without bias; with ridge, ``A`` with the rows ``sqrt(c * l2) * D`` below it):
            the loss's Hessian (``2 A^T A / n`` for the MSE) has condition number
            ``cond(A)^2``, which is what makes GD slow; ``inf`` when ``A`` is singular to
            working precision (a constant or repeated feature, fewer rows than parameters).
        rank: how many directions of the parameters the data (and the penalty) pin down: the
            number of parameters when the answer is :attr:`unique`; less, when many parameter
            vectors reach the same loss (then this one has the smallest norm).
    """

    weights: np.ndarray
    intercept: float | None
    loss: float
    loss_name: str
    l2: float
    condition_number: float
    rank: int = -1  # -1: not given (an answer built by hand); lstsq always gives it

    @property
    def unique(self) -> bool:
        """Whether this is the only minimiser (full rank): a singular ``A`` without ridge has many."""
        n_params = self.weights.size + (self.intercept is not None)
        return self.rank == n_params if self.rank >= 0 else math.isfinite(self.condition_number)

    def uniqueness_note(self, n_samples: int) -> str:
        """A sentence for an answer that is not :attr:`unique` (``""`` for one that is)."""
        if self.unique:
            return ""
        k = self.weights.size + (self.intercept is not None)
        why = "a constant or repeated feature"
        if n_samples < k:
            why = f"{n_samples} row{'s' if n_samples != 1 else ''} for {k} parameters"
        return (
            f"the data do not pin the parameters down (the Hessian is singular: {why}), so many "
            "answers reach this loss; this is the one with the smallest norm"
        )

    @property
    def hessian_condition_number(self) -> float:
        """``cond(A)^2``, the condition number of the loss's Hessian (``inf`` beyond float64)."""
        with np.errstate(over="ignore"):
            return float(np.float64(self.condition_number) ** 2)

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

    Raises a :class:`~tinygrad_lr.data.DataError` when the answer or the loss at it overflows
    float64 (it would be inf or nan).

    Example (the step-by-step tutorial's points lie on y = 2x + 1):
        >>> s = lstsq([1, 2, 3], [3, 5, 7], loss="sse")
        >>> s.param_vector().round(12).tolist(), round(s.loss, 12), s.unique
        ([2.0, 1.0], 0.0, True)
        >>> lstsq([1], [3]).unique          # one row: many lines pass through it
        False
    """
    key = loss.lower() if isinstance(loss, str) else loss
    if key not in ("mse", "sse"):
        raise ValueError(f"the closed form knows the 'mse' and 'sse' losses, got {loss!r}")
    number = isinstance(l2, (int, float, np.integer, np.floating)) and not isinstance(l2, bool)
    if not (number and math.isfinite(l2) and l2 >= 0):
        raise ValueError(f"l2 must be a finite number >= 0, got {l2!r}")
    A = design_matrix(X, bias)
    t = np.asarray(getattr(y, "data", y), dtype=np.float64).reshape(-1)
    n, k = A.shape
    if t.size != n:
        raise ValueError(f"X has {n} rows but y has {t.size} values")
    if not (np.all(np.isfinite(A)) and np.all(np.isfinite(t))):
        raise ValueError("the closed form needs finite data (no NaN or inf)")
    root = math.sqrt(float(n) if key == "mse" else 1.0) * math.sqrt(l2)  # sqrt(c * l2), never inf
    with np.errstate(over="ignore", invalid="ignore"):
        theta = _solve(A, t, bias, root)
        if not np.all(np.isfinite(theta)):
            raise DataError(
                f"the least-squares parameters overflow float64 (they come out as {theta.tolist()}); "
                "rescale the data (e.g. standardize each column: (x - mean) / std)"
            )
        w = theta[: k - 1] if bias else theta
        value = _loss_at(A, t, theta, key) + (_penalty(w, l2) if l2 else 0.0)
    if not math.isfinite(value):
        raise DataError(
            f"the {key.upper()} at the least-squares answer overflows float64 (it is beyond "
            f"{np.finfo(np.float64).max:.3g}): rescale the data (e.g. divide the target by a power of ten)"
        )
    rank, cond = _rank_and_condition(A, bias, root)
    return LeastSquares(
        weights=np.array(w, dtype=np.float64),
        intercept=float(theta[-1]) if bias else None,
        loss=value,
        loss_name=key,
        l2=float(l2),
        condition_number=cond,
        rank=rank,
    )


def _solve(A: np.ndarray, t: np.ndarray, bias: bool, root: float) -> np.ndarray:
    """``theta`` minimising ``|A theta - t|^2 + root^2 * |w|^2`` (``root = sqrt(c * l2)``)."""
    if root == 0.0:
        return np.linalg.lstsq(A, t, rcond=None)[0]
    X = A[:, :-1] if bias else A
    mx, my = (X.mean(axis=0), float(t.mean())) if bias else (np.zeros(X.shape[1]), 0.0)
    # the bias is not penalised: at the minimum b = mean(y) - mean(x) . w, and w is ridge on the
    # centred data; solving [A; root * D] whole would let lstsq's cut-off drop b when l2 is huge
    R = np.vstack([X - mx, root * np.eye(X.shape[1])])
    w = np.linalg.lstsq(R, np.concatenate([t - my, np.zeros(X.shape[1])]), rcond=None)[0]
    w = w + 0.0  # -0.0 (a weight the centred data leave at 0) reads as 0.0
    return np.concatenate([w, [my - float(mx @ w)]]) if bias else w


def _loss_at(A: np.ndarray, t: np.ndarray, theta: np.ndarray, key: str) -> float:
    """The SSE (or MSE) at ``theta``; where the sum of squares overflows but the result may fit,
    ``m * (m * sum((r / m)^2) / n)`` with ``m = max |r|`` (the MSE of residuals near 1e154)."""
    r = A @ theta - t
    sse = float(np.sum(r**2))
    if math.isfinite(sse):
        return sse / r.size if key == "mse" else sse
    m = float(np.max(np.abs(r)))
    if not math.isfinite(m):
        return math.inf
    total = float(np.sum((r / m) ** 2))  # between 1 and n
    return m * (m * (total / r.size if key == "mse" else total))


def _penalty(w: np.ndarray, l2: float) -> float:
    """``l2 * sum w_j^2``, as ``(sqrt(l2) * m)^2 * sum((w / m)^2)`` with ``m = max |w|``, so a
    huge weight times a tiny ``l2`` does not overflow on the way."""
    m = float(np.max(np.abs(w)))
    return 0.0 if m == 0.0 else (math.sqrt(l2) * m) ** 2 * float(np.sum((w / m) ** 2))


def _rank_and_condition(A: np.ndarray, bias: bool, root: float) -> tuple[int, float]:
    """The rank of the problem solved and the condition number of its design matrix."""
    if root == 0.0:
        sv = singular_values(A)
        rank = int(np.count_nonzero(sv))
    else:  # every weight is pinned down by the penalty, and the bias then by the data's mean
        D = np.eye(A.shape[1])
        if bias:
            D[-1, -1] = 0.0
        sv = singular_values(np.vstack([A, root * D]))
        rank = A.shape[1]
    return rank, (float(sv[0] / sv[-1]) if sv[-1] > 0.0 else math.inf)


def ridge(X: Any, y: Any, l2: float, bias: bool = True, loss: str = "mse") -> LeastSquares:
    """Ridge regression's closed form: the minimiser of ``loss + l2 * sum_j w_j^2`` (see :func:`lstsq`).

    Example:
        >>> ridge([1, 2, 3], [3, 5, 7], l2=1.0, loss="sse").param_vector().round(6).tolist()   # (4/3, 7/3)
        [1.333333, 2.333333]
    """
    return lstsq(X, y, bias=bias, loss=loss, l2=l2)
