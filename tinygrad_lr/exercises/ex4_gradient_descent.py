"""Exercise 4: the update rule, and a gradient-descent loop that reaches the worked example's numbers.

The loop is handed its gradient: ``grad(w, b, xs, ys)``, backpropagated by the framework through
the sum of squared errors and counting its calls, so a loop's slips (the gradient taken once before
the loop, one step too many or too few, ``b``'s gradient taken after ``w`` already moved) are told
apart by how often and where it was called. The reference run is the framework's own
:class:`~tinygrad_lr.optim.GD`: from ``w = 1, b = 0`` with ``lr = 0.01`` one step reaches
``w = 1.4, b = 0.18`` and 1000 steps ``w = 2.000148, b = 0.999663`` (the step-by-step tutorial).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..losses import sse
from ..optim import GD
from ..value import Value
from .base import Exercise, Result, call, close, not_finite, num, pair_of

INTRO = """\
Gradient descent moves each parameter a small step against its gradient, a step of size
learning rate times gradient. Repeated, the steps walk downhill to the least-squares line.

Write `update(w, b, dw, db, lr)`, one step, and `gd(xs, ys, w, b, lr, steps, grad)`, the loop.
The loop gets its gradient from the checker: `grad(w, b, xs, ys)` returns `(dL/dw, dL/db)` of the
sum of squared errors (computed by autodiff). On the worked example (x = 1, 2, 3; y = 3, 5, 7;
w = 1, b = 0, lr = 0.01) one step must reach w = 1.4, b = 0.18, and 1000 steps
w = 2.000148, b = 0.999663."""

CODE = '''\
def update(w, b, dw, db, lr):
    """One gradient descent step: move w and b against their gradients dw = dL/dw and db = dL/db.

    All arguments are floats; lr is the learning rate. Return (new_w, new_b).
    """
    raise NotImplementedError("exercise 4: write update")


def gd(xs, ys, w, b, lr, steps, grad):
    """Gradient descent: `steps` updates of w and b, each with the gradient where w and b are then.

    xs, ys: lists of floats (the data). w, b: the starting values. lr: the learning rate.
    steps: how many updates to make. grad: a function; grad(w, b, xs, ys) returns (dL_dw, dL_db),
    the gradient of the sum of squared errors at w, b. Use your update() for each step.
    Return (w, b) after the last step.
    """
    raise NotImplementedError("exercise 4: write gd")
'''

HINTS = (
    "A descent step goes downhill: where the loss grows with w (dL/dw > 0), w must get smaller.",
    "The step's size is the learning rate times the gradient; the loop needs a fresh gradient at "
    "the current w and b on every step, and exactly `steps` steps.",
    "Each parameter moves by the learning rate times its own gradient, against the gradient's sign. "
    "In the loop, once per step: ask grad() at the current w and b, then update both.",
)

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # the worked example
W0, B0, LR = 1.0, 0.0, 0.01

# (w, b, dw, db, lr): the worked example's first step, then others with every sign and size
UPDATE_CASES = [
    (W0, B0, -40.0, -18.0, LR),
    (2.5, -1.0, 3.0, -0.5, 0.1),
    (0.3, 0.6, 0.8, 2.0, 0.5),
]

# (xs, ys, w, b, lr, steps): the worked example for 1 and 1000 steps, then another data set
GD_CASES = [
    (XS, YS, W0, B0, LR, 1),
    (XS, YS, W0, B0, LR, 1000),
    ([0.5, -1.0, 2.0, 1.5], [1.0, -2.5, 4.0, 2.0], -0.5, 0.5, 0.05, 7),
]


class _Grad:
    """``grad(w, b, xs, ys)`` for the learner's loop: the SSE's gradient by backpropagation,
    counting the calls and remembering where it was asked."""

    def __init__(self) -> None:
        self.calls = 0
        self.at: list[tuple[float, float]] = []

    def __call__(self, w: Any, b: Any, xs: Any, ys: Any) -> tuple[float, float]:
        self.calls += 1
        self.at.append((float(w), float(b)))
        return sse_grad(float(w), float(b), list(xs), list(ys))


def sse_grad(w: float, b: float, xs: list[float], ys: list[float]) -> tuple[float, float]:
    """``(dL/dw, dL/db)`` of ``L = sum_i (w*x_i + b - y_i)^2``, by the framework's autodiff."""
    vw, vb = Value(w, label="w"), Value(b, label="b")
    sse([vw * x + vb for x in xs], ys).backward()
    return vw.grad, vb.grad


def reference_gd(
    xs: list[float], ys: list[float], w: float, b: float, lr: float, steps: int
) -> tuple[float, float]:
    """The framework's own gradient descent (:class:`~tinygrad_lr.optim.GD`) from ``(w, b)``."""
    vw, vb = Value(w, label="w"), Value(b, label="b")
    opt = GD([vw, vb], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        sse([vw * x + vb for x in xs], ys).backward()
        opt.step()
    return vw.data, vb.data


def _check_update(fn: Callable[..., Any]) -> str:
    """The diagnosis of the first wrong update, or ``""``."""
    for w, b, dw, db, lr in UPDATE_CASES:
        nw, nb = pair_of(call(fn, w, b, dw, db, lr), "your update()")
        ew, eb = w - lr * dw, b - lr * db  # the rule itself: the framework's Optimizer.step
        if close(nw, ew) and close(nb, eb):
            continue
        at = f"update(w={num(w)}, b={num(b)}, dw={num(dw)}, db={num(db)}, lr={num(lr)})"
        bad = not_finite(
            ("new w", nw), ("new b", nb), at=f"from {at}", expected=f"one step gives w={num(ew)}, b={num(eb)}"
        )
        if bad:
            return bad
        got = (
            f"your {at} returns w={num(nw)}, b={num(nb)}; one gradient descent step gives "
            f"w={num(ew)}, b={num(eb)}"
        )
        if close(nw, w + lr * dw) and close(nb, b + lr * db):
            return (
                f"{got}: your step goes uphill. w moved from {num(w)} to {num(nw)}, but dL/dw = {num(dw)} "
                f"says the loss {'falls' if dw < 0 else 'grows'} as w grows"
            )
        if close(nw, w - dw) and close(nb, b - db):
            moved = num(w - nw)
            return f"{got}: your step is the whole gradient (w moved by {moved}), not lr times it"
        if close(nw, w - lr * db) and close(nb, b - lr * dw):
            return f"{got}: w moved by lr*dL/db and b by lr*dL/dw: the gradients are swapped"
        if close(nw, ew) and close(nb, b):
            return f"{got}: b did not move"
        if close(nb, eb) and close(nw, w):
            return f"{got}: w did not move"
        if close(nw, ew):
            return f"{got}: w is right, b is not"
        if close(nb, eb):
            return f"{got}: b is right, w is not"
        return got
    return ""


def _check_gd(fn: Callable[..., Any], update_ok: bool = True) -> tuple[str, list[str]]:
    """``(diagnosis or "", lines)``. With a wrong ``update()`` (which gd is to use) only what gd does
    itself is judged: how often and where it asks for the gradient."""
    lines = []
    for xs, ys, w, b, lr, steps in GD_CASES:
        g = _Grad()
        nw, nb = pair_of(call(fn, list(xs), list(ys), w, b, lr, steps, g), "your gd()")
        ew, eb = reference_gd(xs, ys, w, b, lr, steps)
        run = f"gd(xs={xs}, ys={ys}, w={num(w)}, b={num(b)}, lr={num(lr)}, steps={steps})"
        if close(nw, ew) and close(nb, eb):
            lines.append(f"{run}: w={num(nw)}, b={num(nb)}, ok")
            continue
        if not update_ok:
            calls = _calls(g, steps)
            return (f"your {run} called grad() {g.calls} time(s): {calls}" if calls else ""), lines
        reach = f"gradient descent reaches w={num(ew)}, b={num(eb)}"
        bad = not_finite(("w", nw), ("b", nb), at=f"after {run}", expected=reach)
        if bad:
            return bad, lines
        got = f"your {run} returns w={num(nw)}, b={num(nb)}; {reach}"
        return f"{got}: {_why_gd(g, nw, nb, xs, ys, w, b, lr, steps)}".rstrip(": "), lines
    return "", lines


def _calls(g: _Grad, steps: int) -> str:
    """What the number of grad() calls alone says is wrong with a loop of ``steps`` steps ("" if right)."""
    if g.calls == steps:
        return ""
    if g.calls == 0:
        return "every step needs the gradient where w and b are then, and your gd never asked for it"
    if g.calls == 1 and steps > 1:
        return f"once for {steps} steps: the gradient is taken once, before the loop (a stale gradient)"
    if g.calls == 2 * steps:
        return "twice per step: is b's gradient taken after w has already moved?"
    return f"{g.calls} step(s) where {steps} were asked for"


def _why_gd(
    g: _Grad,
    nw: float,
    nb: float,
    xs: list[float],
    ys: list[float],
    w: float,
    b: float,
    lr: float,
    steps: int,
) -> str:
    if g.calls != steps and g.calls != 2 * steps:
        made = reference_gd(xs, ys, w, b, lr, g.calls)
        if close(nw, made[0]) and close(nb, made[1]):
            return f"your loop made {g.calls} step(s), not {steps}"
    if close(nw, w) and close(nb, b):
        return "w and b are the starting values: the updated values never reach what gd returns"
    if g.calls == 0:
        return "your gd never called grad(): every step needs the gradient where w and b are then"
    dw0, db0 = sse_grad(w, b, xs, ys)
    stale = (w - steps * lr * dw0, b - steps * lr * db0)
    if steps > 1 and close(nw, stale[0]) and close(nb, stale[1]):
        when = "once, before the loop" if g.calls == 1 else "at the starting w and b on every step"
        return (
            f"every step used the gradient at the start (dw={num(dw0)}, db={num(db0)}): grad() was "
            f"called {when}. A stale gradient: it must be taken where w and b are now"
        )
    if g.calls == 2 * steps:
        return (
            f"grad() was called twice per step ({g.calls} times for {steps} steps): is b's gradient "
            "taken after w has already moved? Both come from one gradient at the same w, b"
        )
    return f"grad() was called {g.calls} time(s) for {steps} step(s)"


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    bad_update = _check_update(fns["update"])
    bad_gd, lines = _check_gd(fns["gd"], update_ok=not bad_update)
    if bad_update:  # both slips are named: update's, and what gd does wrong on its own
        return EXERCISE.result("wrong", "\n".join(filter(None, [bad_update, bad_gd])), lines)
    if bad_gd:
        return EXERCISE.result("wrong", bad_gd, ["update: ok", *lines])
    return EXERCISE.result(
        "pass",
        "update() is the gradient descent step, and gd() reaches the worked example's numbers",
        ["update: ok", *lines],
    )


EXERCISE = Exercise(
    number=4,
    slug="gradient_descent",
    title="the update rule and the gradient descent loop",
    functions=("update", "gd"),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
