"""What the page shows for a state: every number of every panel, computed by the engine.

:func:`view` builds the loss of the next update's batch at the current parameters, runs
``backward()``, and reads off the numbers the panels show: the graph (labels, each node's data,
gradient and chain-rule step), the data with the current line's predictions and residuals, the
landscape and the path, the loss curve, the stable learning rates. Numbers stay floats at full
precision; the page writes them into ``data-value`` attributes and formats them for the eye.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import no_grad
from ..models import LinearRegression
from . import engine, menu
from .code import encode
from .graph import GraphPanel
from .landscape import GRID, Window, grid_losses, minimum, window_for
from .state import LabInputError, LabState

__all__ = ["Screen", "view", "preview", "settings_json"]


@dataclass
class Screen:
    """What one page already has, so a view sends only what changed (templates, the landscape)."""

    templates: set[str] = field(default_factory=set)
    window: Window | None = None
    landscape_key: tuple[Any, ...] | None = None
    graph: GraphPanel = field(default_factory=GraphPanel)


def settings_json(state: LabState) -> dict[str, Any]:
    s = state.settings
    return {
        "loss": s.loss,
        "engine": s.engine,
        "optimizer": s.optimizer,
        "lr": s.lr,
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in s.options},
        "batching": s.batching,
        "batch_size": s.batch_size,
        "order": s.order,
        "drop_last": s.drop_last,
        "seed": s.seed,
    }


def _grads(update: engine.Update) -> dict[str, float]:
    """``dL/dw`` and ``dL/db`` of the next update's batch loss."""
    return {name: float(np.asarray(p.grad).reshape(-1)[0]) for name, p in update.model.named_parameters()}


def _landscape(state: LabState, screen: Screen) -> dict[str, Any] | None:
    win = window_for(state, screen.window)
    key = (state.x, state.y, state.settings.loss, win)
    if key == screen.landscape_key:
        return None
    screen.window, screen.landscape_key = win, key
    return {"window": [win.w0, win.w1, win.b0, win.b1], "grid": GRID, "loss": grid_losses(state, win)}


def _data(state: LabState, preds: np.ndarray) -> dict[str, Any]:
    """The points, the predictions ``f_i`` and residuals ``f_i - y_i``, and the line at the ends of
    the panel's x axis (the points' range with a margin), all from the engine."""
    lo, hi = min(state.x), max(state.x)
    pad = (hi - lo) * 0.12 if hi > lo else max(1.0, abs(lo)) * 0.5
    ends = [lo - pad, hi + pad]
    model = LinearRegression(w=state.w, b=state.b, engine=state.settings.engine)
    with np.errstate(all="ignore"):
        line = model.predict(np.array(ends)).tolist()
    return {
        "x": list(state.x),
        "y": list(state.y),
        "f": preds.tolist(),
        "r": (preds - np.array(state.y)).tolist(),
        "range": ends,
        "line": line,
    }


def _stable(state: LabState) -> dict[str, Any]:
    gd, one = engine.stable_limits(state)
    return {
        "gd": gd if math.isfinite(gd) else None,
        "sgd": one if math.isfinite(one) else None,
        "text": engine.stable_lr_text(state),
    }


def view(
    state: LabState, screen: Screen, *, warning: str = "", error: str = ""
) -> tuple[dict[str, Any], LabState | None]:
    """Everything the page shows for ``state`` (see the module docstring), and the state after
    the next update (what the page's preview shows; None if the engine refuses it)."""
    update = engine.Update(state)
    if update.failure is not None:
        raise LabInputError(f"the loss's graph cannot be built here: {update.failure}")
    L, grads = update.loss, _grads(update)
    loss, preds = engine.evaluate(state, state.w, state.b)
    pos = state.position
    graph = screen.graph.frame(L, update.model.parameters(), len(pos.batch))
    if "template" in graph:
        if graph["template"] in screen.templates:
            del graph["svg"]
        else:
            screen.templates.add(graph["template"])
    with no_grad():
        batch_loss = float(np.asarray(L.data))
    w_star, b_star = minimum(state)
    path = state.trail.points()
    step_preview, after = preview(update)  # after the graph is read: the step moves w and b
    shown = {
        "code": encode(state),
        "names": list(state.names),
        "params": {"w": state.w, "b": state.b},
        "loss": loss,
        "update": pos.update,
        "epoch": pos.epoch,
        "batch": list(pos.batch),
        "batch_index": pos.index,
        "batches": len(pos.batches),
        "batch_loss": batch_loss,
        "grad": grads,
        "step_preview": step_preview,
        "settings": settings_json(state),
        "data": _data(state, preds),
        "arrow": [state.w - state.settings.lr * grads["w"], state.b - state.settings.lr * grads["b"]],
        "path": [list(p) for p in path],
        "minimum": [w_star, b_star],
        "stable": _stable(state),
        "landscape": _landscape(state, screen),
        "graph": graph,
        "warning": warning,
        "error": error,
        "rule": menu.rule(state.settings.optimizer).title,
    }
    return shown, after


def preview(update: engine.Update) -> tuple[dict[str, Any], LabState | None]:
    """Where the next update takes ``(w, b)``, by the optimizer itself, and the state after it
    (None, with the reason, when the engine refuses the step)."""
    try:
        after = update.take()
    except ValueError as exc:
        return {"error": str(exc)}, None
    return {"w": after.w, "b": after.b, "loss": after.trail.point[2]}, after
