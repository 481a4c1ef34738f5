"""Exercise 5: the SGD loop, in order and shuffled, on the framework's own ``Value`` parameters.

The learner's loop gets two :class:`~tinygrad_lr.Value` parameters and must do, for every sample,
the three things an autodiff training loop does: backpropagate the sample's loss, step, and zero
the gradients. The checker runs it three times (one step; two epochs in order; three shuffled
epochs) and compares ``w`` and ``b`` with the framework's SGD. A wrong answer is matched against
the classic slips, each replayed here from the same start: gradients never zeroed (each step
moves by the sum of all gradients so far), a stale gradient (the step uses the previous sample's
gradient), gradients taken at the epoch's start, the order ignored or drawn once, and ``x`` and
``y`` shuffled separately (samples torn from their targets).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..losses import sse
from ..optim import SGD
from ..value import Value
from .base import Exercise, LearnerError, Result, call, close, float_of, not_finite, num

INTRO = """\
Stochastic gradient descent updates `w` and `b` after every single sample, with that sample's
own gradient `d/dw (w*x_i + b - y_i)^2`. Here you use autodiff, as in PyTorch: build the
sample's loss from the parameters, call `.backward()`, step, and zero the gradients, since
`.backward()` *adds* to `.grad`. Shuffling visits the samples in a new random order every epoch,
each sample with its own target.

Write `sgd(w, b, xs, ys, lr, epochs, rng)`. `w` and `b` are the checker's `Value` parameters:
read and write `w.data`, read `w.grad`, call `loss.backward()` and `w.zero_grad()`; you import
nothing."""

CODE = '''\
def sgd(w, b, xs, ys, lr, epochs, rng=None):
    """Stochastic gradient descent on L_i = (w*x_i + b - y_i)**2, one update per sample.

    w, b:   the parameters, autodiff Values: w.data is the number, w.grad its gradient after
            loss.backward() (backward ADDS to .grad), w.zero_grad() sets .grad back to 0.
            Build each sample's loss from them, e.g. (w * x + b - y) ** 2.
    xs, ys: lists of floats, the inputs and their targets.
    lr:     the learning rate. epochs: how many passes over the data.
    rng:    None: visit the samples in order 0, 1, ..., n-1 every epoch.
            Otherwise a numpy Generator: at the start of EACH epoch draw the order with
            order = rng.permutation(n) (exactly one call per epoch) and visit the samples in it.
    Update w.data and b.data in place; return nothing.
    """
    raise NotImplementedError("exercise 5: write sgd")
'''

HINTS = (
    "Every sample's step has three parts: the gradient of that sample's loss, the update of w.data and "
    "b.data, and making sure the next sample's gradient starts from nothing.",
    "Mind the order: a step must use the gradient of the sample it is on, after backward() filled "
    "it in, and before it is cleared. When shuffling, one order per epoch indexes both xs and ys.",
    "Per sample, in this order: clear both gradients, build that sample's loss, backpropagate, then "
    "move each parameter's .data against its .grad, scaled by lr. Per epoch with rng: one "
    "permutation, indexing xs and ys alike.",
)

# (name, xs, ys, w, b, lr, epochs, seed or None): the worked example in order; one step alone;
# five samples shuffled (enough samples that a wrong order or pairing cannot agree by chance)
RUNS = [
    ("2 epochs in order on the worked example", [1.0, 2.0, 3.0], [3.0, 5.0, 7.0], 1.0, 0.0, 0.01, 2, None),
    ("one step on the sample (x=1, y=3)", [1.0], [3.0], 1.0, 0.0, 0.01, 1, None),
    (
        "3 shuffled epochs (rng seed 2024)",
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [3.1, 4.9, 7.2, 8.8, 11.0],
        1.0,
        0.0,
        0.01,
        3,
        2024,
    ),
]


# the slips slip() replays: in the gradient and step, and in the order of the samples
GRADIENT_SLIPS = ("uphill", "no zero", "zero per epoch", "stale", "epoch start")
ORDER_SLIPS = ("in order", "once", "separately", "x only")


def _orders(n: int, epochs: int, seed: int | None, how: str) -> list[tuple[list[int], list[int]]]:
    """The sample indices ``(for x, for y)`` of every epoch, drawn as ``how`` says."""
    in_order = list(range(n))
    if seed is None or how == "in order":
        return [(in_order, in_order)] * epochs
    rng = np.random.default_rng(seed)
    if how == "once":
        p = rng.permutation(n).tolist()
        return [(p, p)] * epochs
    out = []
    for _ in range(epochs):
        p = rng.permutation(n).tolist()
        if how == "right":
            out.append((p, p))
        elif how == "separately":
            out.append((p, rng.permutation(n).tolist()))
        else:  # "x only": the inputs shuffled, the targets left in order
            out.append((p, in_order))
    return out


def reference_sgd(
    xs: list[float], ys: list[float], w: float, b: float, lr: float, epochs: int, seed: int | None
) -> tuple[float, float]:
    """The framework's SGD step on each sample, in the order the exercise specifies."""
    vw, vb = Value(w, label="w"), Value(b, label="b")
    opt = SGD([vw, vb], lr=lr)
    for order, _ in _orders(len(xs), epochs, seed, "right"):
        for i in order:
            opt.zero_grad()
            sse([vw * xs[i] + vb], [ys[i]]).backward()
            opt.step()
    return vw.data, vb.data


def slip(
    xs: list[float],
    ys: list[float],
    w: float,
    b: float,
    lr: float,
    epochs: int,
    seed: int | None,
    mode: str,
    order: str | None = None,
) -> tuple[float, float, list[tuple[float, float]]]:
    """SGD with one classic slip replayed: ``(w, b, the gradient each step used)``.

    ``mode``: ``"uphill"`` (a step with the gradient), ``"no zero"`` (gradients never zeroed),
    ``"zero per epoch"``, ``"stale"`` (each step
    uses the previous sample's gradient), ``"epoch start"`` (all gradients at the epoch's start),
    or an order slip for :func:`_orders` (``"in order"``, ``"once"``, ``"separately"``, ``"x only"``);
    ``order`` adds an order slip to a gradient slip (two slips in one loop).
    """
    how = order or (mode if mode in ORDER_SLIPS else "right")
    acc_w = acc_b = 0.0  # what .grad holds
    used = []
    for ox, oy in _orders(len(xs), epochs, seed, how):
        w0, b0 = w, b
        if mode == "zero per epoch":
            acc_w = acc_b = 0.0
        for i, j in zip(ox, oy):
            x, y = xs[i], ys[j]
            at_w, at_b = (w0, b0) if mode == "epoch start" else (w, b)
            r = at_w * x + at_b - y
            gw, gb = 2 * r * x, 2 * r  # this sample's gradient
            if mode in ("no zero", "zero per epoch"):
                acc_w, acc_b = acc_w + gw, acc_b + gb
                step = (acc_w, acc_b)
            elif mode == "stale":  # step with what .grad holds, then backward at the moved w, b
                step = (acc_w, acc_b)
                w, b = w - lr * step[0], b - lr * step[1]
                r = w * x + b - y
                acc_w, acc_b = 2 * r * x, 2 * r
                used.append(step)
                continue
            else:
                step = (gw, gb)
            used.append(step)
            if mode == "uphill":
                w, b = w + lr * step[0], b + lr * step[1]
            else:
                w, b = w - lr * step[0], b - lr * step[1]
    return w, b, used


_GRADIENT_WHY = {
    "uphill": "your steps go uphill: w and b must move against their gradients",
    "no zero": (
        "the gradients are never zeroed: backward() adds to .grad, so every step moves by the sum of "
        "all gradients so far"
    ),
    "zero per epoch": (
        "the gradients are zeroed once per epoch, not per sample: within an epoch every step moves by "
        "the sum of the gradients so far"
    ),
    "stale": (
        "every step used the PREVIOUS sample's gradient (a stale gradient; the first step used 0): "
        "the update comes before backward() for the sample it is on"
    ),
    "epoch start": (
        "every step used a gradient taken at the start of the epoch, not at the current w and b: "
        "the losses are built before the updates"
    ),
}
_ORDER_WHY = {
    "in order": "your shuffled run visited the samples in order: draw order = rng.permutation(n) each epoch",
    "once": "the order was drawn once and reused: every epoch needs its own rng.permutation(n)",
    "separately": (
        "xs and ys were shuffled separately (two permutations): each x met another sample's "
        "target. One order per epoch must index both"
    ),
    "x only": "only xs follow the shuffled order; ys stay in order, so each x meets another sample's target",
}


def _gradient_why(mode: str, run: tuple[Any, ...], used: list[tuple[float, float]]) -> str:
    """The words for a gradient slip, with the numbers of the step that shows it."""
    if mode == "no zero":
        _, xs, ys, w, b, lr, epochs, seed = run
        right = slip(xs, ys, w, b, lr, epochs, seed, "right")[2]
        return (
            f"{_GRADIENT_WHY[mode]}. Step 2 used dL/dw = {num(used[1][0])} = {num(right[0][0])} + "
            f"{num(right[1][0])}, samples 0 and 1 added up, where its own gradient is {num(right[1][0])}"
        )
    if mode == "zero per epoch":
        return f"{_GRADIENT_WHY[mode]} (step 2 used dL/dw = {num(used[1][0])})"
    return _GRADIENT_WHY[mode]


def _why(run: tuple[Any, ...], nw: float, nb: float) -> list[str]:
    """The slips that reproduce ``(nw, nb)`` exactly: one, or a gradient slip and an order slip."""
    _, xs, ys, w, b, lr, epochs, seed = run
    if close(nw, w) and close(nb, b):
        return [
            "w and b did not move at all: does the step use .grad before backward() filled it in (or "
            "just after zero_grad() cleared it)? Or does it give a local name a new value instead of "
            "changing w.data?"
        ]

    def is_(mode: str, order: str | None = None) -> tuple[bool, list[tuple[float, float]]]:
        sw, sb, used = slip(xs, ys, w, b, lr, epochs, seed, mode, order)
        return close(nw, sw) and close(nb, sb), used

    for mode in GRADIENT_SLIPS:
        ok, used = is_(mode)
        if ok:
            return [_gradient_why(mode, run, used)]
    if seed is None:
        return []
    for order in ORDER_SLIPS:
        if is_(order)[0]:
            return [_ORDER_WHY[order]]
    for mode in GRADIENT_SLIPS:
        for order in ORDER_SLIPS:
            ok, used = is_(mode, order)
            if ok:
                return [_gradient_why(mode, run, used), _ORDER_WHY[order]]
    return []


def _sgd_result(fn: Callable[..., Any], run: tuple[Any, ...]) -> tuple[float, float]:
    """``(w, b)`` after the learner's sgd() on ``run``."""
    name, xs, ys, w, b, lr, epochs, seed = run
    vw, vb = Value(w, label="w"), Value(b, label="b")
    rng = None if seed is None else np.random.default_rng(seed)
    call(fn, vw, vb, list(xs), list(ys), lr, epochs, rng)
    try:
        return float_of(vw.data, "w.data"), float_of(vb.data, "b.data")
    except LearnerError:
        raise LearnerError(
            f"your sgd() left w.data = {vw.data!r}, b.data = {vb.data!r}: numbers expected"
        ) from None


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    lines: list[str] = []
    said: list[str] = []
    slips: list[str] = []
    for run in RUNS:
        name, xs, ys, w, b, lr, epochs, seed = run
        nw, nb = _sgd_result(fns["sgd"], run)
        ew, eb = reference_sgd(xs, ys, w, b, lr, epochs, seed)
        if close(nw, ew) and close(nb, eb):
            lines.append(f"{name}: w={num(nw)}, b={num(nb)}, ok")
            continue
        at = f"after {name} from w={num(w)}, b={num(b)}, lr={num(lr)}"
        bad = not_finite(("w", nw), ("b", nb), at=at, expected=f"SGD gives w={num(ew)}, b={num(eb)}")
        if bad:  # said first, and alone: no slip is read into a number that is not one
            return EXERCISE.result("wrong", bad, lines)
        lines.append(f"{name}: w={num(nw)}, b={num(nb)}, wrong")
        new = [why for why in _why(run, nw, nb) if why not in slips]
        if said and not new:
            continue  # the same slip again, in a later run
        got = f"{name} from w={num(w)}, b={num(b)}, lr={num(lr)}: your w={num(nw)}, b={num(nb)}; "
        said.append(got + f"SGD gives w={num(ew)}, b={num(eb)}" + "".join(f": {why}" for why in new))
        slips += new
    if said:  # every run that shows a slip not named before: a loop with two slips names both
        return EXERCISE.result("wrong", "\n".join(said), lines)
    return EXERCISE.result("pass", "sgd() matches the framework's SGD in order and shuffled", lines)


EXERCISE = Exercise(
    number=5,
    slug="sgd",
    title="the SGD loop, in order and shuffled",
    functions=("sgd",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
