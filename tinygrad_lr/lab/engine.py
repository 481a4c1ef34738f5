"""The lab's arithmetic, all of it done by the project's engine: the loss of the next update's
batch (a graph, backpropagated), one optimizer step, the loss over all the data.

Every update rebuilds the model and the optimizer from the :class:`~.state.LabState` (numbers
only) and takes one PyTorch-style step::

    opt.zero_grad(); L = loss(model(X[batch]), y[batch]); L.backward(); opt.step()

then reads the numbers back into a new state. The optimizer's memory (``opt.state[p]``) goes
into the state after the step and back into a new optimizer before the next one, so the run is
the one a single long-lived optimizer would make.

A step that would leave a parameter or the loss inf or nan is not taken: :class:`LabEngineError`
says why, in the words ``tinygrad-lr fit`` uses, and the state stays as it was.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np

from ..graph import no_grad, topological_order
from ..losses import get_loss
from ..models import LinearRegression, max_stable_lr
from ..optim import Optimizer
from ..train.hints import stable_lr_hint
from ..value import Value
from . import menu
from .state import (
    LabInputError,
    LabState,
    Memory,
    Settings,
    Trail,
    check_data,
    fresh_position,
    next_position,
    number,
)

__all__ = [
    "LabEngineError",
    "PATIENCE",
    "build",
    "batch_loss",
    "evaluate",
    "start",
    "step",
    "Update",
    "stable_limits",
    "stable_lr_text",
]

PATIENCE = 5  # updates of a rising loss, above its start, after which a run is called diverging
_ROW_LABEL = re.compile(r"^([xfy])(\d+)$")


class LabEngineError(ValueError):
    """The engine could not take the step (a divergence, a NaN, a singular Hessian); the state is kept."""


def build(
    state: LabState, w: float | None = None, b: float | None = None
) -> tuple[LinearRegression, Optimizer]:
    """The model at ``(w, b)`` (default: the state's) and the optimizer with the state's memory."""
    s = state.settings
    model = LinearRegression(w=state.w if w is None else w, b=state.b if b is None else b, engine=s.engine)
    params = model.parameters()
    try:
        opt = menu.build_optimizer(
            s.optimizer, params, s.lr, s.option_dict(), s.batching, s.batch_size, s.order, s.drop_last
        )
    except ValueError as exc:  # an option out of its range (momentum -1, betas 2 ...)
        raise LabInputError(str(exc)) from None
    memory = state.memory_dict()
    for name, p in model.named_parameters():
        for key, value in memory.get(name, {}).items():
            opt.state[p][key] = value if isinstance(value, int) else _like(p, float(value))
    return model, opt


def _like(p: Any, value: float) -> Any:
    """A remembered number in the parameter's own form: a float (Value) or an array (Tensor)."""
    return float(value) if isinstance(p, Value) else np.full(np.shape(p.data), float(value))


def _memory(model: LinearRegression, opt: Optimizer) -> Memory:
    out = []
    for name, p in model.named_parameters():
        if p not in opt.state:
            continue
        entries: list[tuple[str, float | int]] = []
        for key, value in opt.state[p].items():
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                entries.append((str(key), int(value)))
            elif np.size(value) == 1:
                entries.append((str(key), float(np.asarray(value, dtype=np.float64).reshape(-1)[0])))
        out.append((name, tuple(entries)))
    return tuple(out)


def batch_loss(model: LinearRegression, state: LabState, rows: tuple[int, ...]) -> Any:
    """The loss over the samples ``rows``, as a graph on the state's engine (not backpropagated).

    On the Value engine the data leaves are named by their row, as in the data panel: ``x3``,
    ``y3``, the prediction ``f3`` and its squared error ``L3``.
    """
    _, loss_fn = get_loss(state.settings.loss)
    X = np.array([state.x[r] for r in rows])
    Y = [state.y[r] for r in rows]
    if state.settings.engine == "tensor":
        return loss_fn(model(X), np.array(Y))
    preds = model(X)
    targets = [Value(v, label=f"y{r + 1}") for v, r in zip(Y, rows)]
    L = loss_fn(preds, targets)
    for node in topological_order(L):
        m = _ROW_LABEL.match(node.label or "")
        if m and m.group(1) != "y":  # the model names them by position in the batch
            node.label = f"{m.group(1)}{rows[int(m.group(2)) - 1] + 1}"
        if node.op == "**2" and node.parents[0].op == "-":  # (f3 - y3)**2, the squared error of row 3
            node.label = "L" + (node.parents[0].parents[0].label or "")[1:]
    L.label = "L"
    return L


def evaluate(state: LabState, w: float, b: float) -> tuple[float, np.ndarray]:
    """The loss over all the data at ``(w, b)`` and the predictions ``f_i``, by the engine (no graph kept).

    An action asks for the same point more than once (a drag checks the new point's loss, then
    shows it; a step's preview is the next view's start): the last few answers are kept."""
    s = state.settings
    exact = np.array([*state.x, *state.y, w, b], dtype=np.float64).tobytes()  # -0.0 is not 0.0 here
    loss, preds = _evaluated(exact, s.loss, s.engine)
    return loss, np.array(preds)


@lru_cache(maxsize=16)
def _evaluated(exact: bytes, loss_name: str, engine: str) -> tuple[float, tuple[float, ...]]:
    numbers = np.frombuffer(exact, dtype=np.float64)
    n = (len(numbers) - 2) // 2
    X, y, w, b = numbers[:n].copy(), numbers[n : 2 * n].copy(), float(numbers[-2]), float(numbers[-1])
    _, loss_fn = get_loss(loss_name)
    model = LinearRegression(w=w, b=b, engine=engine)
    with no_grad(), np.errstate(all="ignore"):
        try:
            out = model(X)
            preds = np.array([f.data for f in out]) if isinstance(out, list) else np.array(out.data)
            loss = float(np.asarray(loss_fn(out, np.array(y)).data))
        except OverflowError:  # the Value engine refuses to make an inf: the loss is one
            return math.inf, (math.nan,) * len(X)
    return loss, tuple(preds.reshape(-1).tolist())


def start(
    x: Any, y: Any, w: float, b: float, settings: Settings, names: tuple[str, str] = ("x", "y")
) -> LabState:
    """A new lab state at ``(w, b)`` on the points ``x, y``: epoch 1, the path at its start."""
    xs, ys = check_data(x, y)
    w, b = number(w, "w"), number(b, "b")
    settings = settings.checked(len(xs))
    state = LabState(
        xs, ys, w, b, settings, fresh_position(settings, len(xs)), Trail((w, b, 0.0)), names=names
    )
    return replace(state, trail=Trail((w, b, checked_loss(state, w, b))))


def checked_loss(state: LabState, w: float, b: float) -> float:
    """The loss at ``(w, b)``; :class:`LabInputError` if it is not a finite number there."""
    loss = evaluate(state, w, b)[0]
    if not math.isfinite(loss):
        raise LabInputError(
            f"the loss at w = {w:g}, b = {b:g} is {loss} (it overflows float64): "
            "choose parameters nearer the data, or rescale the data"
        )
    return loss


class Update:
    """The next update of a state, half done: the model and optimizer rebuilt from the state and the
    loss of the next batch, backpropagated (every node holds its gradient: what the graph panel
    draws). :meth:`take` finishes it with the optimizer's step."""

    def __init__(self, state: LabState) -> None:
        self.state = state
        self.model, self.opt = build(state)
        self.failure: str | None = None
        try:
            with np.errstate(all="ignore"):
                self.loss = batch_loss(self.model, state, state.position.batch)
                self.opt.zero_grad()
                self.loss.backward()
        except (OverflowError, ZeroDivisionError) as exc:  # the Value engine refuses to make an inf
            self.failure = f"the numbers overflowed ({exc})"

    def take(self) -> LabState:
        """The state after the optimizer's step (:class:`LabEngineError` if the engine refuses it).
        Call it once, after reading the graph: the step changes the parameters' data."""
        state, reason = self.state, self.failure
        if reason is None:
            try:
                with np.errstate(all="ignore"):
                    if getattr(self.opt, "create_graph", False):  # Newton differentiates the loss again
                        self.opt.step(self.loss)  # type: ignore[call-arg]
                    else:
                        self.opt.step()
            except (OverflowError, ZeroDivisionError) as exc:
                reason = f"the numbers overflowed ({exc})"
            except np.linalg.LinAlgError as exc:  # Newton's method on a singular Hessian
                raise LabEngineError(str(exc)) from None
        if reason is None:
            w, b = (float(v) for v in self.model.param_vector())
            if not (math.isfinite(w) and math.isfinite(b)):
                reason = "a parameter became inf or nan"
            else:
                loss = evaluate(state, w, b)[0]
                if not math.isfinite(loss):
                    reason = "the loss became nan" if math.isnan(loss) else "the loss became inf"
        if reason is not None:
            raise LabEngineError(diverged_text(state, reason))
        return replace(
            state,
            w=w,
            b=b,
            memory=_memory(self.model, self.opt),
            position=next_position(state.position, state.settings, state.n),
            trail=state.trail.add((w, b, loss)),
            message="",
        )


def step(state: LabState) -> LabState:
    """The state after one update of the optimizer on the next batch (see the module docstring)."""
    return Update(state).take()


def rising(trail: Trail) -> tuple[float, float] | None:
    """``(from, to)`` when the loss rose for the last :data:`PATIENCE` updates to above its start."""
    points: list[float] = []
    t: Trail | None = trail
    while t is not None and len(points) <= PATIENCE:
        points.append(t.point[2])
        t = t.before
    if len(points) <= PATIENCE or not all(points[i] > points[i + 1] for i in range(PATIENCE)):
        return None
    if points[0] <= trail.first[2]:
        return None
    return points[PATIENCE], points[0]


def diverged_text(state: LabState, reason: str, *, done: bool = False) -> str:
    """A divergence as ``tinygrad-lr fit`` says it: at the next update of ``state`` (the one that
    blew up), or with ``done`` at the update that led to ``state``."""
    s = state.settings
    pos = state.position
    if done:
        epoch = pos.epoch - 1 if pos.index == 0 and pos.epoch > 1 else pos.epoch
        where = f"update {pos.update} (epoch {epoch})"
    else:
        where = f"update {pos.update + 1} (epoch {pos.epoch})"
    text = f"training diverged at {where} with learning rate {s.lr:g}: {reason}; try a smaller learning rate"
    hint = stable_lr_text(state, build(state)[1])
    return f"{text} ({hint})" if hint else text


def stable_limits(state: LabState) -> tuple[float, float]:
    """The largest stable lr of full-batch GD (``2 / lambda_max``) and of one-sample SGD steps."""
    X = np.array(state.x)
    return (
        max_stable_lr(X, state.settings.loss),
        max_stable_lr(X, state.settings.loss, batch_size=1),
    )


def stable_lr_text(state: LabState, optimizer: Optimizer | None = None) -> str:
    """The sentence ``tinygrad-lr fit`` gives about the stable learning rates for the state's data,
    loss and batching (one-sample steps: their own limit too) and ``optimizer`` (None: gradient
    descent's), from :func:`~tinygrad_lr.train.hints.stable_lr_hint`; '' if there is none."""
    s = state.settings
    batch_size = {"gd": None, "sgd": 1}.get(s.batching, s.batch_size)
    model = LinearRegression(engine=s.engine)
    hint = stable_lr_hint(model, np.array(state.x), s.loss, batch_size, optimizer)
    return "" if hint is None else hint.text
