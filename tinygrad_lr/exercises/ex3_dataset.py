"""Exercise 3: the gradient over a data set (the mean of the per-sample terms; ``+=``, not ``=``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .base import Exercise, Result, call, num
from .gradfn import Failure, diagnosis, failures, matches, swapped

INTRO = """\
Now the loss is the mean squared error over a whole data set,
`L = (1/n) * sum_i (w*x_i + b - y_i)^2`. Every sample uses the same `w` and `b`, so each sample
adds its own term to `dL/dw` and `dL/db` (exercise 2), and the mean divides the sum by `n`.

Write `grad_dataset(w, b, xs, ys)` returning `(dL/dw, dL/db)` for the mean squared error.
The checker runs it on the worked example (x = 1, 2, 3; y = 3, 5, 7) and on other data sets."""

CODE = '''\
def grad_dataset(w, b, xs, ys):
    """The gradient of the MEAN squared error L = (1/n) * sum_i (w*x_i + b - y_i)**2.

    w, b: the parameters (floats). xs, ys: lists of floats, the inputs and targets (same length n).
    Return (dL_dw, dL_db), two floats.
    """
    raise NotImplementedError("exercise 3: write grad_dataset")
'''

HINTS = (
    "Loop over the samples and collect each one's contribution; only after the loop do you have the "
    "whole gradient.",
    "Each sample's term is exercise 2's answer for that sample. A variable that collects terms must "
    "keep what it already holds; and the mean, not the sum, is asked for.",
    "Start two totals at zero, add every sample's terms to them, and divide each total by n once, "
    "at the end.",
)

# (w, b, xs, ys): the worked example, then data sets of other sizes, so that a slip tied to n shows
CASES = [
    (1.0, 0.0, [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]),
    (0.5, -0.25, [-1.0, 0.5, 2.0, 4.0, 1.5], [2.0, -1.0, 3.5, 6.0, 0.0]),
    (2.0, 1.0, [0.3, -2.0], [1.0, 1.0]),
]


def _why(f: Failure) -> str:
    n = len(f.xs)
    if swapped(f):
        return "your dL/dw and dL/db are swapped"
    p = f.param
    yours = f.yours[p]
    terms = [
        2 * (f.w * x + f.b - y) * (x if p == "w" else 1.0) for x, y in zip(f.xs, f.ys)
    ]  # each sample's term, unreduced
    if n > 1 and (matches(yours, terms[-1]) or matches(yours, terms[-1] / n)):
        return (
            f"yours is the LAST sample's term alone ({num(terms[-1])}"
            f"{'' if matches(yours, terms[-1]) else f' / {n}'}): inside the loop the gradient is assigned "
            "(=) instead of added to (+=), so only the last sample counts"
        )
    if n > 1 and (matches(yours, terms[0]) or matches(yours, terms[0] / n)):
        return (
            "yours is the FIRST sample's term alone: does your function return inside the loop, "
            "after the first sample?"
        )
    if n > 1 and matches(yours, sum(terms)):
        return (
            f"yours is the SUM over the {n} samples, n = {n} times autodiff's: the mean divides the sum by n"
        )
    if n > 1 and matches(yours, sum(terms) / n**2):
        return f"yours is 1/n = 1/{n} of autodiff's: the sum is divided by n twice"
    return ""


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    fn = fns["grad_dataset"]

    def adapter(w: float, b: float, xs: Any, ys: Any) -> Any:
        return call(fn, float(w), float(b), [float(v) for v in xs], [float(v) for v in ys])

    adapter.__name__ = "grad_dataset"
    found = failures(adapter, CASES, "mse")
    if not found:
        sizes = ", ".join(str(len(c[2])) for c in CASES)
        return EXERCISE.result(
            "pass", f"dL/dw and dL/db agree with autodiff on data sets of {sizes} samples, 3 points each"
        )
    where = lambda f: f"on xs={f.xs}, ys={f.ys} (n={len(f.xs)})"  # noqa: E731
    return EXERCISE.result("wrong", diagnosis(found, where, _why))


EXERCISE = Exercise(
    number=3,
    slug="dataset_gradient",
    title="the gradient over a data set",
    functions=("grad_dataset",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
