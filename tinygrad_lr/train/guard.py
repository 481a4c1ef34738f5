"""The guard of a training run: it stops a diverging run with an explanation instead of a screen
of ``nan``, and a converged one as soon as a tolerance is met.

Divergence: gradient descent on a quadratic loss converges only when ``lr < 2 / lambda_max``
(see :func:`~tinygrad_lr.models.max_stable_lr`); above it every step overshoots further. The run
stops with :class:`DivergenceError` as soon as the loss (or a parameter) is inf or nan, or the
loss has grown for ``patience`` epochs in a row to above its starting value -- unless the run is
known to converge (``stable``): full-batch steps of a rule at an lr below that rule's own bound
on this quadratic loss (:func:`~.hints.provably_stable`). Such a run settles whatever its loss
does first: the heavy ball near its bound swings out for a hundred epochs, its loss a thousand
times the start, and comes back (a linear recurrence whose every eigenvalue is inside the unit
circle). Its rising loss is not a divergence; only an inf or nan would stop it.

Convergence: with ``grad_tol`` the run stops after the first epoch whose full-data gradient
norm ``|dL/dtheta|`` is at most ``grad_tol``; with ``loss_tol``, after the first epoch whose loss
changed by at most ``loss_tol`` times the previous loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .hints import Hint
from .history import History

__all__ = ["DivergenceError", "Guard"]


class DivergenceError(ValueError):
    """Training diverged: the loss became inf/nan or kept growing.

    Attributes:
        epoch: the epoch (1-based) at which it was detected.
        lr: the learning rate used.
        loss: the last loss seen (may be inf or nan).
        max_stable_lr: the largest stable full-batch GD learning rate for the data, when known.
        history: the :class:`History` up to the last finite epoch, to plot how the run blew up.
    """

    def __init__(self, message: str, *, epoch: int, lr: float, loss: float, max_stable_lr: float | None):
        super().__init__(message)
        self.epoch = epoch
        self.lr = lr
        self.loss = loss
        self.max_stable_lr = max_stable_lr
        self.history: History | None = None


class Guard:
    """Judges every epoch's end: records it in the :class:`History`, raises :class:`DivergenceError`
    when the run diverged, and says when a tolerance is met.

    Args:
        history: where each finished epoch is recorded (``initial_loss`` already set).
        patience: epochs of growing loss that count as divergence (``None``: only inf/nan do).
        grad_tol, loss_tol: the convergence tolerances (``None``: not used).
        lr: the learning rate now (it changes under a scheduler), for the message.
        hint: the largest stable lr and a sentence saying what to change, computed only when
            needed (:func:`~.hints.divergence_hint`).
        stable: whether the run provably converges at the lr it has now (a rising loss is then
            a swing, not a divergence), asked only when the loss has risen ``patience`` times.
    """

    def __init__(
        self,
        history: History,
        *,
        patience: int | None,
        grad_tol: float | None,
        loss_tol: float | None,
        lr: Callable[[], float],
        hint: Callable[[], Hint | None],
        stable: Callable[[], bool] = lambda: False,
    ) -> None:
        self.history, self.patience, self.grad_tol, self.loss_tol = history, patience, grad_tol, loss_tol
        self.lr, self.hint, self.stable = lr, hint, stable
        self._stable_at: dict[float, bool] = {}  # lr -> the verdict of stable() (asked once per lr)
        self.prev = history.initial_loss
        self.rising = 0

    def end_epoch(self, epoch: int, loss: float, params: np.ndarray, grad_norm: float | None) -> bool:
        """Record ``epoch`` (its whole-data ``loss``, the parameters, the gradient norm if known);
        raise if the run diverged; return True if it converged (and say so in the History)."""
        if not math.isfinite(loss):
            raise self.diverged(
                "the loss became nan" if math.isnan(loss) else "the loss became inf", epoch, loss
            )
        if not all(map(math.isfinite, params.tolist())):  # a few numbers: 4x np.isfinite's speed
            raise self.diverged("a parameter became inf or nan", epoch, loss)
        h = self.history
        h.add_epoch(loss, params, grad_norm)
        self.rising = self.rising + 1 if loss > self.prev else 0
        p = self.patience
        if p is not None and self.rising >= p and loss > h.initial_loss and not self._settles():
            start = h.losses[-p - 1] if len(h.losses) > p else h.initial_loss
            raise self.diverged(
                f"the loss grew for {p} epochs in a row, from {start:.6g} to {loss:.6g}", epoch, loss
            )
        before, self.prev = self.prev, loss
        change = abs(loss - before)
        if self.grad_tol is not None and grad_norm is not None and grad_norm <= self.grad_tol:
            h.stop_reason = (
                f"converged at epoch {epoch}: gradient norm {grad_norm:.3g} <= tolerance {self.grad_tol:g}"
            )
        elif self.loss_tol is not None and change <= self.loss_tol * abs(before):
            h.stop_reason = (
                f"converged at epoch {epoch}: the loss changed by {change:.3g}, "
                f"at most {self.loss_tol:g} times the previous loss"
            )
        else:
            return False
        h.converged, h.converged_epoch = True, epoch
        return True

    def _settles(self) -> bool:
        lr = self.lr()
        verdict = self._stable_at.get(lr)
        if verdict is None:
            verdict = self._stable_at[lr] = bool(self.stable())
        return verdict

    def diverged(self, reason: str, epoch: int, loss: float) -> DivergenceError:
        """The error for a run that diverged at ``epoch``: what happened, and what to change (the
        ``hint``'s sentence: a smaller lr, or the setting that is the cause; :mod:`.hints`)."""
        lr = self.lr()
        hint = self.hint()
        msg = f"training diverged at epoch {epoch} with learning rate {lr:g}: {reason}; "
        msg += "try a smaller learning rate" if hint is None else hint.text
        err = DivergenceError(
            msg, epoch=epoch, lr=lr, loss=loss, max_stable_lr=None if hint is None else hint.lr
        )
        err.history = self.history
        return err

    def overflowed(self, exc: OverflowError, epoch: int) -> DivergenceError:
        """The Value engine refuses to make an inf: that too is a diverged run."""
        return self.diverged(f"the numbers overflowed ({exc})", epoch, math.inf)

    def finish(self) -> None:
        """Say in the History why a run that met no tolerance ended."""
        h = self.history
        if h.converged is not None:
            return
        if self.grad_tol is None and self.loss_tol is None:
            h.stop_reason = f"ran all {h.epochs} epochs (no tolerance given)"
            return
        h.converged = False
        h.stop_reason = f"not converged after {h.epochs} epochs: gradient norm {h.final_grad_norm:.3g}" + (
            f" > tolerance {self.grad_tol:g}" if self.grad_tol is not None else ""
        )
