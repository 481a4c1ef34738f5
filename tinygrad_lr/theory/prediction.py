"""A predicted run: every step's parameters, loss and error along each eigen-direction, before training."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Prediction", "loss_gaps", "first_below", "METHOD_TITLES", "number", "ROUNDING"]

ROUNDING = 1e-12  # a rate or factor smaller than this is 0 but for rounding (2.2e-16 on standardized data)
METHOD_TITLES = {"gd": "gradient descent", "momentum": "heavy-ball momentum", "nesterov": "Nesterov momentum"}


def number(x: float, digits: int = 6) -> str:
    """A number as the theory prints it: ``digits`` significant digits, and one that is 0 but for
    rounding said so (``2.2e-16 (0 to rounding)``), never passed off as a real rate.

    Example:
        >>> number(0.9999423), number(-2.220446049250313e-16), number(4655.423, 4)
        ('0.999942', '-2.2e-16 (0 to rounding)', '4655')
    """
    if x != 0.0 and abs(x) < ROUNDING:
        return f"{x:.1e} (0 to rounding)"
    s = f"{x:.{digits}g}"
    return "0" if s == "-0" else s


@dataclass(frozen=True)
class Prediction:
    """What ``method`` will do on a quadratic loss, step by step, worked out from its eigen-directions.

    Attributes:
        method: ``"gd"``, ``"momentum"`` (heavy ball) or ``"nesterov"``.
        lr, momentum: the learning rate and the momentum (0 for GD).
        loss_name: ``"mse"`` or ``"sse"``: the loss the numbers are in.
        param_names: the order of every parameter vector (``['w', 'b']`` ...).
        start: the parameters at step 0; the velocity starts at 0.
        minimizer: where the run is heading (the least-squares vector nearest ``start``).
        eigenvalues, eigenvectors: ``lambda_i`` and ``q_i`` (columns) of the Hessian.
        radii: each direction's factor per step in the long run (GD: ``|1 - lr*lambda_i|``).
        rate: the largest of them over the directions the data determine; below 1 it converges.
        errors: ``e_k . q_i`` for every step ``k`` (rows) and direction ``i`` (columns).
        iterates: the parameters after every step (row 0 is ``start``).
        gaps: ``L_k - L*``, the loss above its minimum after every step.
        losses: ``L_k`` itself.
        steps_requested: the steps asked for; fewer rows than ``steps_requested + 1`` mean the run
            overflowed float64 at the step after the last row (it diverges).
    """

    method: str
    lr: float
    momentum: float
    loss_name: str
    param_names: list[str]
    start: np.ndarray
    minimizer: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    radii: np.ndarray
    rate: float
    errors: np.ndarray
    iterates: np.ndarray
    gaps: np.ndarray
    losses: np.ndarray
    steps_requested: int

    @property
    def steps(self) -> int:
        """The steps predicted (fewer than asked for when the numbers overflowed)."""
        return int(self.losses.size - 1)

    @property
    def converges(self) -> bool:
        return self.rate < 1.0

    @property
    def overflowed(self) -> bool:
        """Whether the run left float64's range before ``steps_requested`` steps."""
        return self.steps < self.steps_requested

    @property
    def factors(self) -> np.ndarray | None:
        """GD's factor ``1 - lr*lambda_i`` along each direction, sign included (``None`` with momentum)."""
        if self.method != "gd":
            return None
        with np.errstate(over="ignore"):  # lr * lambda past float64's range: the factor is -inf
            return 1.0 - self.lr * self.eigenvalues

    @property
    def title(self) -> str:
        """``"gradient descent (lr 0.01)"``, ``"heavy-ball momentum (lr 0.01, momentum 0.9)"``."""
        extra = "" if self.method == "gd" else f", momentum {self.momentum:.4g}"
        return f"{METHOD_TITLES[self.method]} (lr {self.lr:.4g}{extra})"


def loss_gaps(errors: np.ndarray, eigenvalues: np.ndarray) -> np.ndarray:
    """``L_k - L* = 1/2 sum_i lambda_i e_ki^2`` for each row of ``errors``."""
    with np.errstate(over="ignore"):
        return 0.5 * (errors * errors) @ eigenvalues


def first_below(
    M: np.ndarray, e0: np.ndarray, lam: np.ndarray, tol: float, max_steps: int, block: int
) -> int | None:
    """The first ``k <= max_steps`` with ``1/2 sum lambda_i e_ki^2 <= tol`` under the 2x2 matrices ``M``.

    Scans ``block`` steps at a time: the powers ``M^1 .. M^block`` are made once, each block's
    states are those powers applied to the state before it. ``None`` if no step qualifies
    (or the numbers overflow: the run diverges).
    """
    w = 0.5 * lam
    if float(w @ (e0 * e0)) <= tol:
        return 0
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # a diverging run: inf, then None
        powers = np.empty((block,) + M.shape)
        P = M.copy()
        for j in range(block):
            powers[j] = P
            P = np.einsum("nab,nbc->nac", M, P)
        state = np.stack([e0, np.zeros_like(e0)], axis=1)  # (directions, 2): error and velocity
        done = 0
        while done < max_steps:
            states = np.einsum("jnab,nb->jna", powers, state)  # steps done+1 .. done+block
            gaps = (states[:, :, 0] ** 2) @ w
            hits = np.flatnonzero(gaps <= tol)
            if hits.size and done + int(hits[0]) + 1 <= max_steps:
                return done + int(hits[0]) + 1
            if not np.all(np.isfinite(gaps)) or np.array_equal(states[-1], state):
                return None  # overflowed (diverges), or stalled: lr * lambda is lost in rounding
            state = states[-1]
            done += block
    return None
