"""The loss landscape panel: the loss over all the data on a grid of ``(w, b)``, by the Tensor engine.

The window holds the path so far and the least-squares minimum (:func:`~tinygrad_lr.closed_form.lstsq`)
with a margin, and keeps still while the point moves inside it: it is computed again only when
the data or the loss changes, or when the point or the path leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..closed_form import lstsq
from ..graph import no_grad
from ..tensor import Tensor
from .state import LabState

__all__ = ["Window", "GRID", "window_for", "grid_losses", "losses_at", "minimum"]

GRID = 41  # points per axis: 41 x 41 losses; the page colours the cells between them
_MARGIN = 0.35  # of the span, on each side
_INNER = 0.08  # a point closer than this (of the span) to the border moves the window


@dataclass(frozen=True)
class Window:
    """The landscape's axes: ``w`` from ``w0`` to ``w1``, ``b`` from ``b0`` to ``b1``."""

    w0: float
    w1: float
    b0: float
    b1: float

    def holds(self, w: float, b: float) -> bool:
        dw, db = (self.w1 - self.w0) * _INNER, (self.b1 - self.b0) * _INNER
        return self.w0 + dw <= w <= self.w1 - dw and self.b0 + db <= b <= self.b1 - db


def minimum(state: LabState) -> tuple[float, float]:
    """The least-squares ``(w*, b*)`` (the smallest-norm one when it is not unique)."""
    fit = lstsq(np.array(state.x), np.array(state.y), loss=state.settings.loss)
    w, b = fit.param_vector().tolist()
    return float(w), float(b)


def _span(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    span = hi - lo
    pad = span * _MARGIN if span > 0 else max(1.0, abs(lo)) * 0.5
    return lo - pad, hi + pad


def window_for(state: LabState, old: Window | None) -> Window:
    """``old`` if it still holds the path, else a window around the path and the minimum."""
    points = state.trail.points()
    if old is not None and all(old.holds(w, b) for w, b, _ in points[-2:]):
        return old
    w_star, b_star = minimum(state)
    ws = [p[0] for p in points] + [w_star]
    bs = [p[1] for p in points] + [b_star]
    w0, w1 = _span(ws)
    b0, b1 = _span(bs)
    return Window(w0, w1, b0, b1)


def grid_losses(state: LabState, win: Window) -> list[float]:
    """The loss at every grid point, rows of ``b`` (from ``b0`` up), columns of ``w``, as one list."""
    W, B = np.meshgrid(np.linspace(win.w0, win.w1, GRID), np.linspace(win.b0, win.b1, GRID))
    return losses_at(state, list(zip(W.reshape(-1).tolist(), B.reshape(-1).tolist())))


def losses_at(state: LabState, points: list[tuple[float, float]]) -> list[float]:
    """The loss over all the data at each ``(w, b)`` of ``points``, by the Tensor engine.

    One Tensor expression for all points at once: predictions ``W x + B`` (one row per point),
    squared errors, summed over the samples (and divided by ``n`` for MSE).
    """
    P = np.array(points, dtype=np.float64).reshape(-1, 2)
    x = np.array(state.x)
    y = np.array(state.y)
    with no_grad(), np.errstate(all="ignore"):
        f = Tensor(P[:, :1]) * Tensor(x) + Tensor(P[:, 1:])
        sq = ((f - Tensor(y)) ** 2).sum(axis=1)
        loss: Any = sq / float(len(x)) if state.settings.loss == "mse" else sq
    return [float(v) for v in np.asarray(loss.data).reshape(-1)]
