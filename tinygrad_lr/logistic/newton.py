"""Logistic regression worked out by hand: its loss, gradient and Hessian as formulas, and Newton's
method on them (iteratively reweighted least squares, IRLS) -- the answer to compare a fit with.

With the design matrix ``A = [X, 1]`` (the bias column last; ``X`` alone without bias), the
parameters ``theta = [w1..wn, b]``, the logits ``z = A theta``, ``p = sigmoid(z)`` and the ridge
strength ``l2`` (``D = diag(1, ..., 1, 0)``: the bias is not penalised)::

    J(theta)  = (1/n) sum_i -(y_i log p_i + (1 - y_i) log(1 - p_i)) + l2 |w|^2
    dJ/dtheta = A^T (p - y) / n + 2 l2 D theta
    H         = A^T S A / n + 2 l2 D,        S = diag(p_i (1 - p_i))

``H`` is positive semi-definite everywhere (``S >= 0``), so ``J`` is convex: one valley, no
other minima -- but not a quadratic bowl: ``H`` changes from point to point, which is why one
Newton step is not enough as it is for least squares. Each step ``theta <- theta - H^-1 g``
solves a weighted least-squares problem (hence the name IRLS) and they converge quadratically:
a handful of steps, where gradient descent needs hundreds.

When a line separates the classes perfectly (every ``(2 y_i - 1) z_i > 0``), ``J`` has no minimum
without ``l2``: scaling ``theta`` up always lowers it, so the weights grow without bound. Newton's
method finds such a ``theta`` and says so (:attr:`LogisticSolution.separable`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import DataError
from ..errors import as_float_array
from .model import sigmoid

__all__ = [
    "LogisticSolution",
    "irls",
    "logistic_loss",
    "logistic_gradient",
    "logistic_hessian",
    "MAX_ITERATIONS",
    "STEP_RTOL",
]

MAX_ITERATIONS = 100  # Newton converges in ~5-15 steps from 0; 100 means it is not converging
# stop when a step moves theta by at most this, relative to (1 + |theta|): quadratic convergence
# then leaves an error of ~STEP_RTOL^2, far below float64's round-off
STEP_RTOL = 1e-12
# the loss has no minimum when, along some direction, its curvature falls below this fraction
# of the most it can have: every sample there has |z| > ~20, p within 1e-9 of 0 or 1
FLAT = 1e-10
# a sample is on its class's side of a line when its margin beats round-off in z by far
SEPARATION_RTOL = 1e-9
_ROUNDOFF = 64 * float(np.finfo(np.float64).eps)  # a loss "did not go up" within this, relative


@dataclass(frozen=True)
class LogisticSolution:
    """The minimiser of logistic regression's loss found by Newton's method (IRLS).

    Attributes:
        weights: ``w1..wn`` (an array of shape ``(n_features,)``).
        intercept: ``b``, or ``None`` for a model without bias.
        loss: ``J`` at the answer (mean binary cross-entropy plus the L2 term).
        loss_name: ``"bce"``.
        l2: the ridge strength.
        condition_number: ``sqrt(cond(H))`` at the answer, ``H``'s square root's, as
            :class:`~tinygrad_lr.closed_form.LeastSquares` reports ``cond(A)`` (``cond(A)^2`` is
            that Hessian's); ``inf`` where ``H`` is singular.
        iterations: the Newton steps taken.
        converged: whether the last step was below :data:`STEP_RTOL` (a minimum was reached).
        separable: a line separates the classes (no minimum without ``l2``); ``weights`` and
            ``intercept`` are then a separating line, not a minimum.
        losses: ``J`` at the start (``theta = 0``) and after every step.
        method: how it was found, in words.
    """

    weights: np.ndarray
    intercept: float | None
    loss: float
    loss_name: str
    l2: float
    condition_number: float
    iterations: int
    converged: bool
    separable: bool
    losses: list[float] = field(default_factory=list)
    method: str = "Newton's method (IRLS)"

    def param_vector(self) -> np.ndarray:
        """``[w1, ..., wn, b]`` (``b`` only with bias), in the model's ``param_vector()`` order."""
        tail = [] if self.intercept is None else [self.intercept]
        return np.concatenate([self.weights, tail])

    def predict_proba(self, X: Any) -> np.ndarray:
        """``sigmoid(b + X @ w)`` for the rows of ``X``."""
        A = _design(X, self.intercept is not None, self.weights.size)
        return np.asarray(sigmoid(A @ self.param_vector()))


def _design(X: Any, bias: bool, d: int | None = None) -> np.ndarray:
    Xa = as_float_array(X, "X", "an (n_samples, n_features) array of numbers")
    if Xa.ndim <= 1:
        Xa = Xa.reshape(-1, 1) if d in (None, 1) else Xa.reshape(1, -1)
    if Xa.ndim != 2:
        raise DataError(f"X must be 2-D (n_samples, n_features), got shape {Xa.shape}")
    return np.hstack([Xa, np.ones((Xa.shape[0], 1))]) if bias else Xa


def _theta(w: Any, b: float | None, d: int) -> np.ndarray:
    wv = np.atleast_1d(np.asarray(w, dtype=np.float64)).reshape(-1)
    if wv.size == 1 and d > 1:
        wv = np.full(d, wv[0])
    return np.concatenate([wv, [] if b is None else [float(b)]])


def _penalty_mask(n_params: int, bias: bool) -> np.ndarray:
    mask = np.ones(n_params)  # D = diag(1, ..., 1, 0): the bias is not penalised
    if bias:
        mask[-1] = 0.0
    return mask


def _loss(A: np.ndarray, y: np.ndarray, theta: np.ndarray, l2: float, mask: np.ndarray) -> float:
    z = A @ theta
    # -(y log p + (1 - y) log(1 - p)) = log(1 + e^z) - y z, with log(1 + e^z) = logaddexp(0, z)
    bce = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return bce + l2 * float(np.sum(mask * theta * theta))


def _gradient(A: np.ndarray, y: np.ndarray, theta: np.ndarray, l2: float, mask: np.ndarray) -> np.ndarray:
    p = sigmoid(A @ theta)
    return A.T @ (p - y) / len(y) + 2.0 * l2 * mask * theta  # A^T (p - y) / n + 2 l2 D theta


def _hessian(A: np.ndarray, theta: np.ndarray, l2: float, mask: np.ndarray) -> np.ndarray:
    p = sigmoid(A @ theta)
    s = p * (1.0 - p)  # sigma'(z) = sigma(z) (1 - sigma(z))
    with np.errstate(over="ignore", invalid="ignore"):
        H = (A * s[:, None]).T @ A / A.shape[0]  # A^T S A / n
    return H + np.diag(2.0 * l2 * mask)


def logistic_loss(X: Any, y: Any, w: Any, b: float | None = None, l2: float = 0.0) -> float:
    """``J = mean BCE + l2 |w|^2`` at ``(w, b)`` (``b=None``: no bias), from the formula.

    Example (two points x = -1, 1 with classes 0, 1 at w = b = 0: log 2):
        >>> round(logistic_loss([-1, 1], [0, 1], 0.0, 0.0), 12)
        0.69314718056
    """
    A = _design(X, b is not None)
    theta = _theta(w, b, A.shape[1] - (b is not None))
    return _loss(A, np.asarray(y, dtype=np.float64), theta, l2, _penalty_mask(theta.size, b is not None))


def logistic_gradient(X: Any, y: Any, w: Any, b: float | None = None, l2: float = 0.0) -> np.ndarray:
    """``dJ/dtheta = A^T (sigmoid(A theta) - y) / n + 2 l2 D theta``, as ``[dJ/dw1..dJ/dwn, dJ/db]``.

    Example (the worked example: dJ/dw = mean((p - y) x) = (0.5*(-1) + (-0.5)*1) / 2):
        >>> logistic_gradient([-1, 1], [0, 1], 0.0, 0.0).tolist()
        [-0.5, 0.0]
    """
    A = _design(X, b is not None)
    theta = _theta(w, b, A.shape[1] - (b is not None))
    return _gradient(A, np.asarray(y, dtype=np.float64), theta, l2, _penalty_mask(theta.size, b is not None))


def logistic_hessian(X: Any, w: Any, b: float | None = None, l2: float = 0.0) -> np.ndarray:
    """``H = A^T S A / n + 2 l2 D`` with ``S = diag(p_i (1 - p_i))``, over ``[w1..wn, b]``.

    Example (at w = b = 0 every p_i = 1/2, so S = I / 4 and H = A^T A / (4 n)):
        >>> logistic_hessian([-1, 1], 0.0, 0.0).tolist()
        [[0.25, 0.0], [0.0, 0.25]]
    """
    A = _design(X, b is not None)
    theta = _theta(w, b, A.shape[1] - (b is not None))
    return _hessian(A, theta, l2, _penalty_mask(theta.size, b is not None))


def _separates(A: np.ndarray, y: np.ndarray, theta: np.ndarray) -> bool:
    """Every sample on its class's side of the line: ``(2 y_i - 1) z_i > 0`` for all ``i``, by
    more than round-off (two equal samples of both classes get logits a few ulps apart)."""
    z = A @ theta
    margin = SEPARATION_RTOL * float(np.max(np.abs(z), initial=0.0))
    return bool(np.all((2.0 * y - 1.0) * z > margin)) and margin > 0.0


def _newton_step(B: np.ndarray, y: np.ndarray, beta: np.ndarray, l2: float, mask: np.ndarray) -> np.ndarray:
    """``H^-1 g`` at ``beta`` (NaN where ``H`` is singular: a direction the loss keeps falling along)."""
    H, g = _hessian(B, beta, l2, mask), _gradient(B, y, beta, l2, mask)
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
        raise DataError(
            "logistic regression's Hessian A^T S A / n overflows float64 (largest |x| "
            f"{float(np.max(np.abs(B))):.3g}); rescale the data (e.g. standardize each column)"
        )
    try:
        return np.linalg.solve(H, g)
    except np.linalg.LinAlgError:
        return np.full_like(g, np.nan)


def _flatness(B: np.ndarray, beta: np.ndarray, chol0: np.ndarray) -> float:
    """The least curvature of the loss at ``beta`` relative to the most it can have (at 0, where
    every ``p_i (1 - p_i) = 1/4``): the smallest eigenvalue of ``H0^-1/2 H H0^-1/2``, in (0, 1].

    Where the classes are separable up to samples on the line, the weights run off along a
    direction in which every sample's ``p_i`` goes to 0 or 1, and this falls like ``exp(-|z|)``;
    at a real minimum it stays put. It does not depend on the features' units."""
    H = _hessian(B, beta, 0.0, np.zeros(B.shape[1]))
    M = np.linalg.solve(chol0, np.linalg.solve(chol0, H).T)  # L^-1 H L^-T
    return float(np.linalg.eigvalsh(0.5 * (M + M.T))[0])


def _coordinates(A: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """``(B, V)`` with ``A theta = B beta`` for ``theta = V beta``: without ``l2`` the directions
    ``A`` cannot see are left out (``V``: the right singular vectors of its non-zero singular
    values), so that the answer is the smallest one when many have the same loss (a repeated
    feature), and ``H`` is singular only where the loss has no minimum. With ``l2`` every
    direction is penalised (but the bias, which ``A`` always sees): ``B = A``, ``V = I``."""
    if l2 > 0.0:
        return A, np.eye(A.shape[1])
    U, sv, Vt = np.linalg.svd(A, full_matrices=False)
    rank = int(np.sum(sv > sv[0] * max(A.shape) * np.finfo(np.float64).eps)) if sv.size and sv[0] > 0 else 0
    return U[:, :rank] * sv[:rank], Vt[:rank].T


def irls(
    X: Any, y: Any, bias: bool = True, l2: float = 0.0, *, max_iterations: int = MAX_ITERATIONS
) -> LogisticSolution:
    """Minimise logistic regression's loss by Newton's method (IRLS), from ``theta = 0``.

    Each step is ``theta <- theta - t H^-1 g`` with the formulas of the module docstring and
    ``t = 1`` unless that would raise the loss (then halved until it does not). It stops when a
    step is below :data:`STEP_RTOL` (converged), when ``theta`` separates the classes (no minimum
    without ``l2``: ``separable``), or after ``max_iterations`` steps or where ``H`` is singular
    (not converged: the weights grow along a direction that separates the classes but for
    samples on the line itself).

    Example (x = -1, 0.5, 1, 2 with classes 0, 1, 0, 1: no line separates them):
        >>> s = irls([-1, 0.5, 1, 2], [0, 1, 0, 1])
        >>> s.converged, s.separable, s.iterations <= 10
        (True, False, True)
    """
    A = _design(X, bias)
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if yv.size != A.shape[0] or yv.size == 0:
        raise DataError(f"irls: {A.shape[0]} samples but {yv.size} targets")
    mask = _penalty_mask(A.shape[1], bias)
    B, V = _coordinates(A, l2)
    mask_b = mask if l2 > 0.0 else np.zeros(B.shape[1])
    beta = np.zeros(B.shape[1])
    chol0 = np.linalg.cholesky(_hessian(B, beta, 0.0, np.zeros(B.shape[1]))) if l2 == 0.0 else None
    losses = [_loss(B, yv, beta, l2, mask_b)]
    converged = separable = False
    k = 0
    while k < max_iterations:
        if chol0 is not None and _separates(B, yv, beta):
            separable = True
            break
        if chol0 is not None and k and _flatness(B, beta, chol0) < FLAT:
            break  # the weights run off along a direction where the loss flattens: no minimum
        step = _newton_step(B, yv, beta, l2, mask_b)
        if not np.all(np.isfinite(step)):
            break
        t, J = 1.0, losses[-1]
        new = beta - step
        while _loss(B, yv, new, l2, mask_b) > J + _ROUNDOFF * abs(J) and t > 1e-10:
            t /= 2.0  # a full step would go uphill: far from the minimum, Newton may overshoot
            new = beta - t * step
        beta, k = new, k + 1
        losses.append(_loss(B, yv, beta, l2, mask_b))
        if float(np.linalg.norm(step)) <= STEP_RTOL * (1.0 + float(np.linalg.norm(beta))):
            converged = True
            break
    theta = V @ beta
    H = _hessian(A, theta, l2, mask)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = float(np.sqrt(np.linalg.cond(H))) if np.all(np.isfinite(H)) else math.inf
    d = A.shape[1] - bias
    return LogisticSolution(
        weights=theta[:d].copy(),
        intercept=float(theta[d]) if bias else None,
        loss=losses[-1],
        loss_name="bce",
        l2=float(l2),
        condition_number=cond if math.isfinite(cond) else math.inf,
        iterations=k,
        converged=converged,
        separable=separable,
        losses=losses,
    )
