"""One eigen-direction at a time: the linear recurrence each first-order method follows on a quadratic.

On a quadratic loss with Hessian ``H`` the gradient at ``theta`` is ``H e`` with ``e = theta - theta*``.
Along an eigenvector ``q_i`` of ``H`` (eigenvalue ``lambda``) the error ``e_i = q_i . e`` and the
velocity ``v_i`` (the optimizer's ``momentum_buffer`` along ``q_i``) move on their own, by a 2x2
matrix, with the update conventions of the project's optimizers (``torch.optim.SGD``'s)::

    gradient descent   e' = (1 - lr*lambda) e
    heavy ball         v' = mu v + lambda e          e' = e - lr v'
                       (e', v') = [[1 - lr*lambda, -lr*mu], [lambda, mu]] (e, v)
    Nesterov           v' = mu v + lambda e          e' = e - lr (lambda e + mu v')
                       (e', v') = [[1 - lr*lambda*(1 + mu), -lr*mu^2], [lambda, mu]] (e, v)

starting from ``v = 0`` (the optimizers' first step takes ``v = g``, which is ``mu * 0 + g``).
The error shrinks per step, in the long run, by the **spectral radius** of that matrix, the larger
size of the roots of ``z^2 - T z + D`` (``T`` its trace, ``D`` its determinant)::

    gradient descent   |1 - lr*lambda|
    heavy ball         T = 1 + mu - lr*lambda,        D = mu
    Nesterov           T = (1 + mu) (1 - lr*lambda),  D = mu (1 - lr*lambda)

Pure numpy on arrays of eigenvalues; :class:`~tinygrad_lr.theory.Quadratic` applies it to data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "METHODS",
    "step_matrices",
    "spectral_radius",
    "max_stable_lr",
    "polyak",
    "nesterov_best",
    "run",
    "power",
]

METHODS = ("gd", "momentum", "nesterov")  # the names of the optimizers they describe (optim.OPTIMIZERS)
ROUND_FLAT = 1e-12  # eigenvalues this close (relative) are one: standardized data's 2 and 2.0000000000000004


def step_matrices(lams: Any, lr: float, method: str, momentum: float = 0.0) -> np.ndarray:
    """The 2x2 matrix of one step on ``(e, v)`` for each eigenvalue: shape ``(len(lams), 2, 2)``.

    Example (GD keeps no velocity: ``e' = (1 - lr*lambda) e``):
        >>> step_matrices([4.0], 0.1, "gd")[0].tolist()
        [[0.6, 0.0], [4.0, 0.0]]
    """
    lam = np.asarray(lams, dtype=np.float64).reshape(-1)
    mu = 0.0 if method == "gd" else float(momentum)
    M = np.empty((lam.size, 2, 2))
    with np.errstate(over="ignore"):  # lr * lambda past float64's range: -inf, the run overflows at once
        if method == "nesterov":
            M[:, 0, 0] = 1.0 - lr * lam * (1.0 + mu)
            M[:, 0, 1] = 0.0 - lr * mu * mu
        else:
            M[:, 0, 0] = 1.0 - lr * lam
            M[:, 0, 1] = 0.0 - lr * mu  # 0.0 - ...: no -0.0 for mu = 0
    M[:, 1, 0] = lam
    M[:, 1, 1] = mu
    return M


def spectral_radius(lams: Any, lr: Any, method: str, momentum: Any = 0.0) -> np.ndarray:
    """How much the error along each direction shrinks per step in the long run (broadcasting).

    The larger ``|z|`` of the two roots of ``z^2 - T z + D``: ``sqrt(D)`` when they are complex
    (the error spirals in), ``(|T| + sqrt(T^2 - 4D)) / 2`` when they are real. Below 1 the
    direction converges; at or above 1 it does not.

    Example (heavy ball at Polyak's setting: both roots of size sqrt(mu)):
        >>> float(spectral_radius(1.0, 4 / (1 + 2) ** 2, "momentum", 0.25))
        0.5
    """
    lam = np.asarray(lams, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # lr * lambda past float64: the rate is inf
        a = np.asarray(lr, dtype=np.float64) * lam
        if method == "gd":
            return np.abs(1.0 - a)
        mu = np.asarray(momentum, dtype=np.float64)
        if method == "nesterov":
            T, D = (1.0 + mu) * (1.0 - a), mu * (1.0 - a)
        else:
            T, D = 1.0 + mu - a, mu + 0.0 * a
        disc = T * T - 4.0 * D
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        sq = np.sqrt(np.maximum(disc, 0.0))
        # the real root of the larger size, its distance from 1 (or -1) taken from p(1) = 1 - T + D = a
        # (or p(-1) = 1 + T + D) without cancellation: 1 - z = 2 p(1) / ((2 - T) + sqrt(disc)), so a
        # rate just under 1 is not rounded to just over it
        near_one = np.where((2.0 - T) + sq > 0, 1.0 - 2.0 * a / ((2.0 - T) + sq), 0.5 * (T + sq))
        pm1 = 1.0 + T + D
        near_minus = np.where((2.0 + T) + sq > 0, 1.0 - 2.0 * pm1 / ((2.0 + T) + sq), 0.5 * (sq - T))
        real = np.where(T >= 0.0, near_one, near_minus)
        spiral = np.sqrt(np.abs(D))
    return np.where(disc >= 0.0, real, spiral)


def max_stable_lr(lam_max: float, method: str, momentum: float = 0.0) -> float:
    """The learning rate below which every direction converges (``inf`` for a zero Hessian).

    Gradient descent needs ``lr * lambda_max < 2``; the heavy ball ``< 2 (1 + mu)``; Nesterov
    ``< 2 (1 + mu) / (1 + 2 mu)`` (Jury's conditions on ``z^2 - T z + D``).

    Example:
        >>> max_stable_lr(4.0, "gd"), max_stable_lr(4.0, "momentum", 0.5), max_stable_lr(4.0, "nesterov", 0.5)
        (0.5, 0.75, 0.375)
    """
    if lam_max <= 0.0:
        return math.inf
    mu = 0.0 if method == "gd" else float(momentum)
    bound = 2.0 * (1.0 + mu)
    if method == "nesterov":
        bound /= 1.0 + 2.0 * mu
    return bound / lam_max


def polyak(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    """Polyak's best heavy ball for eigenvalues in ``[lam_min, lam_max]``: ``(lr, mu, rate)``.

    ``lr = 4 / (sqrt(lam_max) + sqrt(lam_min))^2``, ``mu = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``
    with ``kappa = lam_max / lam_min``; every direction then shrinks by ``sqrt(mu)`` per step, where
    the best gradient descent manages only ``(kappa - 1) / (kappa + 1)``: momentum replaces
    ``kappa`` by ``sqrt(kappa)``.

    Example (kappa = 9: rate 0.5 against GD's 0.8):
        >>> polyak(1.0, 9.0)
        (0.25, 0.25, 0.5)
    """
    a, b = math.sqrt(lam_min), math.sqrt(lam_max)
    rate = (b - a) / (b + a) if b - a > ROUND_FLAT * b else 0.0  # kappa = 1 to rounding: no momentum
    return 4.0 / (a + b) ** 2, rate * rate, rate


def nesterov_best(lam_min: float, lam_max: float) -> tuple[float, float, float]:
    """The best tuned Nesterov for eigenvalues in ``[lam_min, lam_max]``: ``(lr, mu, rate)``.

    ``lr = 4 / (3 lam_max + lam_min)``, ``mu = (sqrt(3 kappa + 1) - 2) / (sqrt(3 kappa + 1) + 2)``,
    rate ``1 - 2 / sqrt(3 kappa + 1)`` (Lessard, Recht and Packard 2016, whose Nesterov has this
    module's characteristic polynomial with ``alpha = lr``, ``beta = mu``). Polyak's heavy-ball
    setting is outside Nesterov's stable range once ``kappa`` is large: the look-ahead step adds
    ``lr * mu * g`` and needs ``lr * lambda_max < 2 (1 + mu) / (1 + 2 mu)``.

    Example (kappa = 9: rate 1 - 2/sqrt(28) = 0.622):
        >>> [round(v, 6) for v in nesterov_best(1.0, 9.0)]
        [0.142857, 0.451416, 0.622036]
    """
    kappa = lam_max / lam_min
    s = math.sqrt(3.0 * kappa + 1.0)
    mu = (s - 2.0) / (s + 2.0) if kappa - 1.0 > ROUND_FLAT else 0.0
    return 4.0 / (3.0 * lam_max + lam_min), mu, 1.0 - 2.0 / s if mu else 0.0


def power(M: np.ndarray, k: int) -> np.ndarray:
    """``M^k`` for a stack of 2x2 matrices (``k >= 0``), by repeated squaring."""
    return np.linalg.matrix_power(M, int(k))


def run(M: np.ndarray, e0: np.ndarray, steps: int) -> np.ndarray:
    """The errors ``e_k`` along every direction for ``k = 0, 1, ...``: shape ``(steps + 1, n)``.

    Iterates ``(e, v) <- M (e, v)`` from ``(e0, 0)``. If a number overflows float64 the rows stop
    before that step (fewer than ``steps + 1``): the run has left every scale a float can show.
    """
    out = np.empty((steps + 1, e0.size))
    e, v = e0.astype(np.float64).copy(), np.zeros(e0.size)
    out[0] = e
    still = e == 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            e, v = M[:, 0, 0] * e + M[:, 0, 1] * v, M[:, 1, 0] * e + M[:, 1, 1] * v
            e, v = np.where(still, 0.0, e), np.where(still, 0.0, v)  # no error, no velocity: nothing moves
            if not (np.all(np.isfinite(e)) and np.all(np.isfinite(v))):
                return out[:k]
            out[k] = e
    return out
