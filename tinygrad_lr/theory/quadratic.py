"""Linear regression's loss is a quadratic bowl: its Hessian, eigen-directions, minimum, and GD on it.

With ``A = [X, 1]`` (``X`` alone without an intercept) and ``theta = [w1..wd, b]`` the MSE is
``|A theta - y|^2 / n``, a quadratic with the same Hessian ``H = 2 A^T A / n`` everywhere (SSE:
``2 A^T A``). Writing ``e = theta - theta*`` for the distance to the minimum::

    L(theta) = L* + 1/2 e^T H e           gradient = H e          GD: e_{k+1} = (I - lr H) e_k

so along each eigenvector ``q_i`` of ``H`` (eigenvalue ``lambda_i``) gradient descent multiplies
the error by exactly ``1 - lr*lambda_i`` per step, and momentum follows a 2x2 recurrence
(:mod:`.recurrence`). :func:`quadratic` builds a :class:`Quadratic` from data; its methods
predict any step of GD, heavy-ball momentum and Nesterov exactly, without running them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..closed_form import design_matrix, lstsq, singular_values
from ..data import DataError, Dataset, from_arrays
from ..models import loss_hessian
from ..optim.base import check_lr, check_range
from ..scaling import Standardizer
from ..scaling import standardize as standardized
from . import recurrence
from .prediction import Prediction, first_below, loss_gaps

__all__ = ["Quadratic", "quadratic", "DEFAULT_MOMENTUM", "MAX_STEPS"]

DEFAULT_MOMENTUM = 0.9  # the project's Momentum and Nesterov default (torch.optim.SGD users' usual)
MAX_STEPS = 10_000_000  # steps_to() scans this far for a method whose loss may rise again on the way
_BLOCK = 1024  # steps_to()'s scan: the states of this many steps at once, from the 2x2 matrices' powers


@dataclass(frozen=True)
class Quadratic:
    """The quadratic loss of a linear model on one data set, taken apart along its eigen-directions.

    Attributes:
        X, y: the data the model is trained on (``X`` standardized when ``standardizer`` is set).
        bias: whether the model has an intercept ``b`` (the column of ones in ``A``).
        loss_name: ``"mse"`` (``H = 2 A^T A / n``) or ``"sse"`` (``H = 2 A^T A``).
        param_names: ``['w', 'b']``, ``['w1', 'w2', 'b']``, ... (the order of every vector here).
        hessian: ``H``.
        eigenvalues: ``lambda_1 <= ... <= lambda_P`` (those zero to working precision exactly 0).
        eigenvectors: ``q_i`` as columns, in the eigenvalues' order.
        theta_star: the least-squares parameters (the smallest such vector when there are many).
        loss_star: the loss at the minimum, ``L*``.
        standardizer: the means and stds the features were standardized with, or ``None``.
        feature_names, target_name: for labels.
    """

    X: np.ndarray
    y: np.ndarray
    bias: bool
    loss_name: str
    param_names: list[str]
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    theta_star: np.ndarray
    loss_star: float
    standardizer: Standardizer | None = None
    feature_names: tuple[str, ...] = field(default=())
    target_name: str = "y"

    # --- the bowl ------------------------------------------------------------------------------

    @property
    def n_params(self) -> int:
        return int(self.eigenvalues.size)

    @property
    def unique(self) -> bool:
        """Whether the data pin the parameters down (``H`` has no zero eigenvalue)."""
        return bool(self.eigenvalues[0] > 0.0)

    @property
    def lambda_max(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def lambda_min(self) -> float:
        """The smallest eigenvalue that is not zero: the flattest direction the data determine."""
        positive = self.eigenvalues[self.eigenvalues > 0.0]
        return float(positive[0]) if positive.size else 0.0

    @property
    def condition_number(self) -> float:
        """``kappa = lambda_max / lambda_min``; ``inf`` when ``H`` is singular (not unique)."""
        return self.lambda_max / float(self.eigenvalues[0]) if self.unique else math.inf

    def loss(self, theta: Any) -> Any:
        """The loss at ``theta`` from the data (a float), or at every row of a matrix (an array)."""
        t = np.asarray(theta, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run's loss is inf: that is its value
            r = design_matrix(self.X, self.bias) @ t.T - (self.y if t.ndim == 1 else self.y[:, None])
            out = (r * r).sum(axis=0) / (self.y.size if self.loss_name == "mse" else 1)
        return float(out) if t.ndim == 1 else out

    def start_vector(self, start: Any = None) -> np.ndarray:
        """``start`` checked (``P`` finite numbers), or the default ``w = b = 0``."""
        if start is None:
            return np.zeros(self.n_params)
        arr = np.asarray(start, dtype=np.float64).reshape(-1)
        if arr.size != self.n_params or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"the start needs {self.n_params} finite numbers ({', '.join(self.param_names)}), "
                f"got {np.asarray(start).tolist()}"
            )
        if not math.isfinite(self.loss(arr)):
            at = ", ".join(f"{n} = {v:g}" for n, v in zip(self.param_names, arr))
            raise ValueError(f"the loss at the start ({at}) overflows float64; start nearer the data's scale")
        return arr

    def minimizer(self, start: Any = None) -> np.ndarray:
        """The minimum gradient descent runs to from ``start``: ``theta*``, or, when many parameter
        vectors reach the least loss, the one nearest ``start`` (GD never moves along a flat direction)."""
        flat = self.eigenvectors[:, self.eigenvalues == 0.0]
        if not flat.size:
            return self.theta_star.copy()
        return self.theta_star + flat @ (flat.T @ (self.start_vector(start) - self.theta_star))

    # --- learning rates --------------------------------------------------------------------------

    def max_lr(self, method: str = "gd", momentum: float | None = None) -> float:
        """The learning rate below which ``method`` converges on this data (see :mod:`.recurrence`)."""
        method, mu = _method(method, momentum, check_nesterov=False)
        return recurrence.max_stable_lr(self.lambda_max, method, mu)

    def best_lr(self) -> float:
        """The fixed GD learning rate that shrinks the slowest direction fastest: ``2 / (lambda_min +
        lambda_max)``, where the flattest and the steepest direction shrink by the same
        ``(kappa - 1) / (kappa + 1)`` per step, one from above, the other from below zero."""
        return 2.0 / (self.lambda_min + self.lambda_max)

    def polyak(self) -> tuple[float, float]:
        """Polyak's best heavy ball ``(lr, momentum)``: every direction shrinks by ``(sqrt(kappa) - 1) /
        (sqrt(kappa) + 1)`` per step (see :func:`.recurrence.polyak`)."""
        lr, mu, _ = recurrence.polyak(self.lambda_min, self.lambda_max)
        return lr, mu

    def nesterov_best(self) -> tuple[float, float]:
        """The best tuned Nesterov ``(lr, momentum)``: every direction shrinks by ``1 - 2 /
        sqrt(3 kappa + 1)`` per step (see :func:`.recurrence.nesterov_best`)."""
        lr, mu, _ = recurrence.nesterov_best(self.lambda_min, self.lambda_max)
        return lr, mu

    # --- rates -------------------------------------------------------------------------------

    def radii(self, lr: float, method: str = "gd", momentum: float | None = None) -> np.ndarray:
        """Each eigen-direction's factor per step in the long run (the 2x2 matrix's spectral radius;
        for GD ``|1 - lr*lambda_i|``). A flat direction (``lambda = 0``) has 1: nothing moves there."""
        method, mu = _method(method, momentum, check_nesterov=False)
        return recurrence.spectral_radius(self.eigenvalues, check_lr(lr), method, mu)

    def factors(self, lr: float) -> np.ndarray:
        """GD's factor along each eigen-direction, sign included: ``1 - lr*lambda_i``."""
        with np.errstate(over="ignore"):  # lr * lambda past float64's range: the factor is -inf
            return 1.0 - check_lr(lr) * self.eigenvalues

    def rate(self, lr: float, method: str = "gd", momentum: float | None = None) -> float:
        """The convergence rate: the largest factor over the directions the data determine. Below 1 the
        loss converges to its minimum; at or above 1 it does not."""
        return float(self.radii(lr, method, momentum)[self.eigenvalues > 0.0].max(initial=0.0))

    def phase(self, lrs: Any, momenta: Any, method: str = "momentum") -> np.ndarray:
        """The rate for every pair of a grid: shape ``(len(momenta), len(lrs))`` (rows: momentum)."""
        lam = self.eigenvalues[self.eigenvalues > 0.0]
        L, M = np.meshgrid(np.asarray(lrs, dtype=np.float64), np.asarray(momenta, dtype=np.float64))
        radii = recurrence.spectral_radius(lam[:, None, None], L[None], method, M[None])
        return radii.max(axis=0) if lam.size else np.zeros_like(L)

    # --- predictions -------------------------------------------------------------------------

    def predict(
        self,
        method: str = "gd",
        lr: float | None = None,
        steps: int = 100,
        *,
        momentum: float | None = None,
        start: Any = None,
    ) -> Prediction:
        """The exact run of ``method`` (``"gd"``, ``"momentum"``, ``"nesterov"``) for ``steps`` steps.

        ``lr`` defaults to :meth:`best_lr` (GD), Polyak's (heavy ball) or :meth:`nesterov_best`'s;
        ``momentum`` defaults to 0.9. The start is ``start`` or ``w = b = 0``; the velocity starts
        at 0, as the optimizers' does. GD's errors are ``e0_i (1 - lr*lambda_i)^k``, the momentum methods' the
        2x2 recurrence of each direction. Nothing is trained.

        Example (the worked example x = 1, 2, 3, y = 3, 5, 7, SSE; GD's first step is w 0 -> 0.68):
            >>> q = quadratic(([1, 2, 3], [3, 5, 7]), loss="sse")
            >>> q.predict("gd", lr=0.01, steps=1).iterates[1].round(12).tolist()
            [0.68, 0.3]
        """
        method, mu = _method(method, momentum)
        lr = self._default_lr(method, lr)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
        theta0 = self.start_vector(start)
        target = self.minimizer(theta0)
        e0 = self.eigenvectors.T @ (theta0 - target)
        if method == "gd":
            errors = _gd_errors(e0, self.factors(lr), int(steps))
        else:
            M = recurrence.step_matrices(self.eigenvalues, lr, method, mu)
            errors = recurrence.run(M, e0, int(steps))
        with np.errstate(over="ignore", invalid="ignore"):
            gaps = loss_gaps(errors, self.eigenvalues)
            iterates = target + errors @ self.eigenvectors.T
        iterates[0] = theta0  # the start is given, not predicted: exactly it, not it rounded through Q
        rows = _finite_rows(errors, iterates, gaps[:, None])  # a diverging run ends where floats do
        errors, iterates, gaps = errors[:rows], iterates[:rows], gaps[:rows]
        return Prediction(
            method=method,
            lr=lr,
            momentum=mu,
            loss_name=self.loss_name,
            param_names=list(self.param_names),
            start=theta0,
            minimizer=target,
            eigenvalues=self.eigenvalues.copy(),
            eigenvectors=self.eigenvectors.copy(),
            radii=self.radii(lr, method, mu),
            rate=self.rate(lr, method, mu),
            errors=errors,
            iterates=iterates,
            gaps=gaps,
            losses=self.loss_star + gaps,
            steps_requested=int(steps),
        )

    def at(
        self,
        k: int,
        method: str = "gd",
        lr: float | None = None,
        *,
        momentum: float | None = None,
        start: Any = None,
    ) -> np.ndarray:
        """The parameters after step ``k`` (any ``k``, without the steps before it: ``M^k`` by squaring)."""
        method, mu = _method(method, momentum)
        lr = self._default_lr(method, lr)
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"k must be a whole number >= 0, got {k!r}")
        theta0 = self.start_vector(start)
        if k == 0:
            return theta0
        target = self.minimizer(theta0)
        e0 = self.eigenvectors.T @ (theta0 - target)
        with np.errstate(over="ignore", invalid="ignore"):
            Mk = recurrence.power(recurrence.step_matrices(self.eigenvalues, lr, method, mu), int(k))
            return target + self.eigenvectors @ (Mk[:, 0, 0] * e0)

    def overflow_step(self, prediction: Prediction) -> int | None:
        """The first step at which the loss, summed over the samples in float64 as the engines sum it
        (``sum (f_i - y_i)^2``, divided by ``n`` after, for the MSE), overflows; ``None`` if it does
        not within the prediction. That is where a diverging run ends in ``fit``."""
        terms = self.y.size if self.loss_name == "mse" else 1
        with np.errstate(over="ignore"):
            summed = prediction.losses * terms
        over = np.flatnonzero(~(summed < np.finfo(np.float64).max))
        if over.size:
            return int(over[0])
        return prediction.steps + 1 if prediction.overflowed else None

    def steps_to(
        self,
        tol: float,
        method: str = "gd",
        lr: float | None = None,
        *,
        momentum: float | None = None,
        start: Any = None,
        max_steps: int = MAX_STEPS,
    ) -> int | None:
        """The first step ``k`` at which ``L_k - L* <= tol``, or ``None`` if it never comes (within
        ``max_steps`` for the momentum methods, which can rise again after dipping below ``tol``).

        For converging GD the gap ``1/2 sum_i lambda_i e0_i^2 (1 - lr*lambda_i)^(2k)`` only falls,
        so the first such ``k`` is found by bisection, however large.
        """
        if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
            raise ValueError(f"the tolerance must be a finite number > 0, got {tol!r}")
        method, mu = _method(method, momentum)
        lr = self._default_lr(method, lr)
        theta0 = self.start_vector(start)
        e0 = self.eigenvectors.T @ (theta0 - self.minimizer(theta0))
        lam = self.eigenvalues
        if method == "gd" and self.rate(lr) < 1.0:
            return _bisect_gd(e0, lam, self.factors(lr), float(tol))
        M = recurrence.step_matrices(lam, lr, method, mu)
        return first_below(M, e0, lam, float(tol), int(max_steps), _BLOCK)

    def _default_lr(self, method: str, lr: float | None) -> float:
        if lr is not None:
            return check_lr(lr)
        if not self.lambda_max > 0.0:
            raise ValueError("the Hessian is zero (every feature is 0): no learning rate beats another")
        if method == "gd":
            return self.best_lr()
        return self.polyak()[0] if method == "momentum" else self.nesterov_best()[0]


def _method(method: str, momentum: float | None, check_nesterov: bool = True) -> tuple[str, float]:
    key = str(method).lower()
    if key not in recurrence.METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(recurrence.METHODS)}")
    if key == "gd":
        if momentum not in (None, 0, 0.0):
            raise ValueError("gradient descent has no momentum; use method='momentum' or 'nesterov'")
        return key, 0.0
    mu = check_range("momentum", DEFAULT_MOMENTUM if momentum is None else momentum, 0.0, 1.0)
    if key == "nesterov" and mu == 0.0 and check_nesterov:
        raise ValueError("Nesterov momentum needs a momentum > 0 (with 0 it is gradient descent)")
    return key, mu


def _finite_rows(*arrays: np.ndarray) -> int:
    """How many leading rows of every array hold only finite numbers."""
    finite = np.logical_and.reduce([np.all(np.isfinite(a), axis=1) for a in arrays])
    return int(finite.size if finite.all() else np.argmin(finite))


def _gd_errors(e0: np.ndarray, factors: np.ndarray, steps: int) -> np.ndarray:
    """``e0_i * factor_i^k`` for ``k = 0..steps`` (``inf`` where it overflows: :meth:`predict` cuts there)."""
    k = np.arange(steps + 1, dtype=np.float64)[:, None]
    with np.errstate(over="ignore", invalid="ignore"):  # a direction with no error keeps none, however f
        return np.where(e0[None, :] == 0.0, 0.0, e0[None, :] * np.power(factors[None, :], k))


def _bisect_gd(e0: np.ndarray, lam: np.ndarray, factors: np.ndarray, tol: float) -> int:
    """The least ``k`` with ``1/2 sum_i lambda_i e0_i^2 f_i^(2k) <= tol``, where every ``|f_i| < 1``."""
    w = 0.5 * lam * e0 * e0
    sq = factors * factors

    def gap(k: int) -> float:
        with np.errstate(under="ignore"):
            return float(np.sum(w * np.power(sq, float(k))))

    if gap(0) <= tol:
        return 0
    hi = 1
    while gap(hi) > tol:
        hi *= 2
    lo = hi // 2  # gap(lo) > tol >= gap(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if gap(mid) <= tol else (mid, hi)
    return hi


def quadratic(
    data: Dataset | tuple[Any, Any], *, bias: bool = True, loss: str = "mse", standardize: bool = False
) -> Quadratic:
    """The quadratic loss of linear regression on ``data`` (a :class:`~tinygrad_lr.Dataset` or ``(X, y)``).

    ``standardize=True`` takes it on ``z = (x - mean) / std`` (what ``fit(...,
    standardize=True)`` trains on). Data with NaN or inf, or whose squares overflow float64, is
    refused with a :class:`~tinygrad_lr.DataError`; a singular ``H`` (one row, a constant or a
    repeated feature) is accepted and said: :attr:`Quadratic.unique` is False, the condition number
    infinite, and GD's minimum is the least-squares vector nearest its start.

    Example (the worked example: eigenvalues 17 -/+ sqrt(265) for SSE):
        >>> q = quadratic(([1, 2, 3], [3, 5, 7]), loss="sse")
        >>> q.eigenvalues.round(6).tolist(), q.theta_star.round(12).tolist(), round(q.best_lr(), 6)
        ([0.721179, 33.278821], [2.0, 1.0], 0.058824)
    """
    ds = data if isinstance(data, Dataset) else from_arrays(*_pair(data))
    ds.check_finite()
    ds.check_squares("rescale the data (standardize the features: (x - mean) / std)")
    key = str(loss).lower()
    if key not in ("mse", "sse"):
        raise ValueError(f"the theory knows the 'mse' and 'sse' losses, got {loss!r}")
    X, scaler = ds.X, None
    if standardize:
        Standardizer.fit(X, ds.feature_names)  # a constant column is named in the error
        X, scaler = standardized(X)
    H = loss_hessian(X, key, bias)
    A = design_matrix(X, bias)
    sv = singular_values(A)
    _, _, Vt = np.linalg.svd(A, full_matrices=True)
    scale = 2.0 / A.shape[0] if key == "mse" else 2.0
    if not scale * sv[0] ** 2 > 0.0 and np.any(X != 0.0):  # no bias: only the features make H; they vanish
        raise DataError(
            f"the features' squares underflow float64 (largest |x| {float(np.abs(X).max()):.3g}): the "
            "loss's Hessian is 0 to working precision; rescale the data"
        )
    sol = lstsq(X, ds.y, bias=bias, loss=key)
    d = X.shape[1]
    names = (["w"] if d == 1 else [f"w{j + 1}" for j in range(d)]) + (["b"] if bias else [])
    return Quadratic(
        X=X,
        y=ds.y,
        bias=bool(bias),
        loss_name=key,
        param_names=names,
        hessian=H,
        eigenvalues=scale * sv[::-1] ** 2,
        eigenvectors=_signed(Vt[::-1].T),
        theta_star=sol.param_vector(),
        loss_star=sol.loss,
        standardizer=scaler,
        feature_names=tuple(ds.feature_names),
        target_name=str(ds.target_name),
    )


def _signed(Q: np.ndarray) -> np.ndarray:
    """The eigenvectors with their largest entry positive (an eigenvector's sign is arbitrary; this
    one makes pictures and printed tables the same on every machine)."""
    rows = np.argmax(np.abs(Q), axis=0)
    return Q * np.where(Q[rows, np.arange(Q.shape[1])] < 0, -1.0, 1.0)


def _pair(data: Any) -> tuple[Any, Any]:
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data[0], data[1]
    raise ValueError(f"data must be a Dataset or a pair (X, y), got {type(data).__name__}")
