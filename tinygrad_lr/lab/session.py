"""One lab session (one browser tab): the current state, what undo goes back to, and the actions.

An action is a small JSON object, ``{"op": "step"}``, ``{"op": "set_params", "w": 1.2, "b": 0}``
...; :meth:`Session.apply` checks it, computes the new state with the engine and returns the
view. A refused action (:class:`~.state.LabInputError`: a NaN, an unknown option, too many
points) changes nothing; a step the engine refuses (a divergence) is shown on the page and the
lab goes on from the last good state.

What an action keeps of the run:

* ``step``: the run goes on (``count`` updates, at most :data:`MAX_STEPS_PER_ACTION`);
* ``settings``: the learning rate, the options, the engine and the batching change from the
  next update on, the path goes on; a new optimizer starts with an empty memory; a new loss
  starts a new run (the loss curve would mix two losses);
* ``set_params`` (drag the point, type w, b), a change of the data, ``reset``: a new run from
  that point (``reset``: from the run's start), the optimizer's memory empty;
* ``undo``: the state before the last action (a drag is one action, however many moves).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from . import engine, menu
from .code import decode
from .csv_upload import read_uploaded_csv
from .state import (
    MAX_POINTS,
    MAX_UPDATES,
    WORKED_EXAMPLE,
    LabInputError,
    LabState,
    Settings,
    check_data,
    fresh_position,
    new_run,
    number,
    whole,
)
from .view import Screen, view

__all__ = ["Session", "MAX_STEPS_PER_ACTION", "UNDO_DEPTH", "OPS", "ENGINE_LOCK", "first_state"]

# One computation at a time, for every session of the process: the engine's grad mode (no_grad)
# is one switch for the whole process, so a view built in one thread while another thread is
# inside no_grad() would lose its graph. Two tabs wait for each other a few milliseconds instead.
ENGINE_LOCK = threading.Lock()
MAX_STEPS_PER_ACTION = 100
UNDO_DEPTH = 200
_SETTING_KEYS = (
    "loss",
    "engine",
    "optimizer",
    "lr",
    "options",
    "batching",
    "batch_size",
    "order",
    "drop_last",
    "seed",
)


class Session:
    """The lab state of one page, and what undo returns to (see the module docstring)."""

    def __init__(self, state: LabState) -> None:
        self.state = state
        self.undo: list[LabState] = []
        self.screen = Screen()
        self.after: LabState | None = None  # the state one update on, computed for the preview
        self.gesture: Any = None
        self.lock = ENGINE_LOCK

    def show(self, *, warning: str = "", error: str = "") -> dict[str, Any]:
        shown, self.after = view(self.state, self.screen, warning=warning, error=error)
        return shown

    def apply(self, action: Any) -> dict[str, Any]:
        """Carry out ``action`` and return the new view; :class:`LabInputError` if it is refused."""
        if not isinstance(action, dict):
            raise LabInputError('an action must be a JSON object such as {"op": "step"}')
        op = action.get("op")
        if op not in OPS:
            raise LabInputError(f"unknown action {op!r:.40}; the lab knows {', '.join(OPS)}")
        with self.lock:
            if op == "view":
                self.screen = Screen()  # a page that (re)starts has nothing yet
                return self.show()
            if op == "undo":
                self.gesture = None
                if not self.undo:
                    return self.show(warning="nothing to undo: this is where the lab started")
                self.state = self.undo.pop()
                return self.show()
            before = self.state
            state, warning, error = ACTIONS[op](self, action)
            gesture = action.get("gesture")
            if state is not before and (gesture is None or gesture != self.gesture):
                self.undo.append(before)
                del self.undo[:-UNDO_DEPTH]
            self.gesture = gesture
            self.state = state
            return self.show(warning=warning, error=error)


Result = tuple[LabState, str, str]  # the new state, a warning, an error


def _step(session: Session, action: dict[str, Any]) -> Result:
    count = whole(action.get("count", 1), "count", 1, MAX_STEPS_PER_ACTION)
    state = session.state
    for _ in range(count):
        if state.position.update >= MAX_UPDATES:
            return (
                state,
                "",
                (
                    f"the run has {MAX_UPDATES} updates, the most the lab keeps: reset, or start a "
                    "new run from here by moving the point"
                ),
            )
        after = session.after if state is session.state and session.after is not None else None
        try:
            state = after if after is not None else engine.step(state)
        except engine.LabEngineError as exc:
            return state, "", str(exc)
        grew = engine.rising(state.trail)
        if grew is not None:
            reason = (
                f"the loss grew for {engine.PATIENCE} updates in a row, from {grew[0]:.6g} to {grew[1]:.6g}"
            )
            return state, engine.diverged_text(state, reason, done=True), ""
    return state, "", ""


def _set_params(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    w, b = number(action.get("w"), "w"), number(action.get("b"), "b")
    moved = replace(state, w=w, b=b)
    return new_run(moved, engine.checked_loss(moved, w, b)), "", ""


def _with_data(state: LabState, x: Any, y: Any) -> LabState:
    xs, ys = check_data(x, y)
    settings = state.settings.checked(len(xs))
    changed = replace(state, x=xs, y=ys, settings=settings)
    return new_run(changed, engine.checked_loss(changed, state.w, state.b))


def _point_index(state: LabState, action: dict[str, Any]) -> int:
    return whole(action.get("i"), "the point's number", 0, state.n - 1)


def _move_point(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    i = _point_index(state, action)
    x, y = list(state.x), list(state.y)
    x[i], y[i] = number(action.get("x"), "x"), number(action.get("y"), "y")
    return _with_data(state, x, y), "", ""


def _add_point(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    if state.n >= MAX_POINTS:
        raise LabInputError(f"the lab shows at most {MAX_POINTS} points; remove one first")
    x = [*state.x, number(action.get("x"), "x")]
    y = [*state.y, number(action.get("y"), "y")]
    return _with_data(state, x, y), "", ""


def _remove_point(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    i = _point_index(state, action)
    if state.n == 1:
        raise LabInputError("the lab needs at least one data point: this is the last one")
    return _with_data(state, state.x[:i] + state.x[i + 1 :], state.y[:i] + state.y[i + 1 :]), "", ""


def _set_data(session: Session, action: dict[str, Any]) -> Result:
    return _with_data(session.state, action.get("x"), action.get("y")), "", ""


def _settings(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    changes = action.get("changes")
    if not isinstance(changes, dict) or not changes:
        raise LabInputError("settings needs 'changes', an object such as {\"lr\": 0.05}")
    unknown = sorted(set(changes) - set(_SETTING_KEYS))
    if unknown:
        raise LabInputError(
            f"unknown setting {', '.join(unknown)}; the settings are {', '.join(_SETTING_KEYS)}"
        )
    old = state.settings
    fields = {k: v for k, v in changes.items() if k != "options"}
    options = changes.get("options", None if "optimizer" in changes else dict(old.options))
    if options is not None and not isinstance(options, dict):
        raise LabInputError("options must be an object of name: value")
    if "optimizer" in changes and "lr" not in changes:  # a new rule starts at its own default lr
        try:
            fields["lr"] = menu.rule(changes["optimizer"]).default_lr
        except ValueError as exc:
            raise LabInputError(str(exc)) from None
    new = replace(old, **fields, options=tuple((options or {}).items())).checked(state.n)
    changed = replace(state, settings=new)
    engine.build(changed)  # the rule's own checks of its options (ranges), before anything changes
    if new.loss != old.loss:
        return new_run(changed, engine.checked_loss(changed, state.w, state.b)), "", ""
    if new.optimizer != old.optimizer:
        changed = replace(changed, memory=())
    batching = ("batching", "batch_size", "order", "drop_last", "seed")
    if any(getattr(new, k) != getattr(old, k) for k in batching):
        changed = replace(changed, position=fresh_position(new, state.n, state.position.update))
    return changed, "", ""


def _reset(session: Session, action: dict[str, Any]) -> Result:
    state = session.state
    w, b, loss = state.trail.first
    return new_run(replace(state, w=w, b=b), loss), "", ""


def _load(session: Session, action: dict[str, Any]) -> Result:
    return decode(action.get("code")), "", ""


def _csv(session: Session, action: dict[str, Any]) -> Result:
    x, y, names = read_uploaded_csv(action.get("name"), action.get("text"), action.get("x"), action.get("y"))
    state = replace(session.state, names=names)
    moved = _with_data(state, x, y)
    return moved, "", ""


ACTIONS: dict[str, Callable[[Session, dict[str, Any]], Result]] = {
    "step": _step,
    "set_params": _set_params,
    "move_point": _move_point,
    "add_point": _add_point,
    "remove_point": _remove_point,
    "set_data": _set_data,
    "settings": _settings,
    "reset": _reset,
    "load": _load,
    "csv": _csv,
}
OPS = ("view", "undo", *ACTIONS)  # "view" and "undo" are the session's own


def first_state(x: Any = None, y: Any = None, names: tuple[str, str] = ("x", "y")) -> LabState:
    """The state a lab opens on: the worked example, or the points ``x, y`` from ``(0, 0)`` with a
    learning rate a tenth of the stable limit ``2 / lambda_max`` (rounded down to a power of ten)."""
    if x is None:
        return engine.start(**WORKED_EXAMPLE, settings=Settings())
    state = engine.start(x, y, 0.0, 0.0, Settings(), names)
    gd, _ = engine.stable_limits(state)
    lr = 10.0 ** math.floor(math.log10(gd / 10.0)) if math.isfinite(gd) else 0.01
    return replace(state, settings=replace(state.settings, lr=lr))
