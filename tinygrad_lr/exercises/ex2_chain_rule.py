"""Exercise 2: the chain rule through one sample, ``dL/dw`` and ``dL/db`` of ``(w*x + b - y)^2``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .base import Exercise, Result, call
from .gradfn import Failure, diagnosis, failures, matches, swapped

INTRO = """\
One sample `(x, y)`, the model `f = w*x + b` and the squared error `L = (w*x + b - y)^2`.
Follow the chain rule from `L` back to `w` and to `b`: `L` depends on the residual
`r = w*x + b - y`, `r` on `w*x` and on `b`, `w*x` on `w`. Multiply the local derivatives along
each path.

Write `grad_one_sample(w, b, x, y)` returning `(dL/dw, dL/db)` as two numbers. The checker
compares them with autodiff and finite differences at several points and samples."""

CODE = '''\
def grad_one_sample(w, b, x, y):
    """The gradient of L = (w*x + b - y)**2 for ONE sample.

    w, b: the parameters (floats). x, y: the sample's input and target (floats).
    Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 2: write grad_one_sample")
'''

HINTS = (
    "Name the pieces: r = w*x + b - y, L = r**2. Then dL/dw = dL/dr * dr/dw and dL/db = dL/dr * dr/db.",
    "dL/dr comes from the square; dr/dw and dr/db are the local derivatives of a sum and a product "
    "(exercise 1). Check your answer on paper at w=1, b=0, x=2, y=5.",
    "The derivative of a square r**2 is twice r; r grows by x when w grows by one, and by one when b does.",
)

# (w, b, [x], [y]): the worked example's three samples, then samples where x is negative or
# fractional, so that a missing or misplaced factor x shows (at x = 1 it cannot)
CASES = [
    (1.0, 0.0, [1.0], [3.0]),
    (1.0, 0.0, [2.0], [5.0]),
    (1.0, 0.0, [3.0], [7.0]),
    (0.5, -1.5, [-2.0], [4.0]),
    (-1.2, 0.7, [0.25], [-3.0]),
]


def _why(f: Failure) -> str:
    x, y = f.xs[0], f.ys[0]
    r = f.w * x + f.b - y
    yw, yb = f.yours["w"], f.yours["b"]
    if swapped(f):
        return "your dL/dw and dL/db are swapped"
    if f.param == "w":
        if matches(yw, 2 * r) and x != 1.0:
            return (
                "your dL/dw equals dL/db here: the last link of the chain, d(w*x)/dw (how r moves "
                "when w moves), is missing"
            )
        if matches(yw, 2 * r * f.w) and f.w != x:
            return "you multiplied by w where the chain rule needs d(w*x)/dw, which is not w"
        if matches(yw, 2 * r * x * x) and x * x != x:
            return "your dL/dw has the factor x twice"
    if f.param == "b" and matches(yb, 2 * r * x) and x != 1.0:
        return "your dL/db has a factor x: b is added to w*x, it is not multiplied by x"
    if matches(f.yours[f.param], f.auto[f.param] / 2):
        return f"your dL/d{f.param} is exactly half of autodiff's: the 2 from the square is missing"
    return ""


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    fn = fns["grad_one_sample"]

    def adapter(w: float, b: float, x: Any, y: Any) -> Any:
        return call(fn, float(w), float(b), float(x[0]), float(y[0]))

    adapter.__name__ = "grad_one_sample"
    found = failures(adapter, CASES, "sse")
    if not found:
        points = len(CASES) * 3
        return EXERCISE.result(
            "pass", f"dL/dw and dL/db agree with autodiff at {points} points, {len(CASES)} samples"
        )
    return EXERCISE.result("wrong", diagnosis(found, lambda f: f"x={f.xs[0]:g}, y={f.ys[0]:g}", _why))


EXERCISE = Exercise(
    number=2,
    slug="chain_rule",
    title="the chain rule through one sample",
    functions=("grad_one_sample",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
