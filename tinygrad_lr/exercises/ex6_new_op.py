"""Exercise 6: a new op, ``sin``, written as an op definition and checked on both engines.

The learner writes the kind of class every op of the framework is (:mod:`tinygrad_lr.ops`): a
``name``, a ``forward`` and ``dL_da``, the chain rule at the op's node,
``dL/da = dL/d(out) * d(out)/da``, both with the toolbox ``xp`` so that one definition runs on
floats (``Value``), numpy arrays (``Tensor``) and code alike. The checker first probes the two
methods with chosen numbers (so a missing ``dL/d(out)`` factor, a sign, the output instead of its
slope, degrees instead of radians or ``math`` instead of ``xp`` are each named), then registers
the op for the duration of the check (``Value.sin`` and ``Tensor.sin`` exist then, and nothing
else changed) and runs :func:`~tinygrad_lr.gradcheck.gradcheck` -- autodiff through the
learner's derivative against finite differences -- on a loss where ``sin`` is used many times
and its input is shared, ``L = sum_i (sin(w*x_i + b) - y_i)^2 + sin(w) * sin(w)``, on both engines.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .. import ops
from ..compare import allclose
from ..gradcheck import gradcheck
from ..tensor import Tensor
from ..value import Value
from .base import Exercise, LearnerError, Result, call, close, float_of, not_finite, num

INTRO = """\
Every op of the framework is one small class: its name, its forward computation, and its
derivative, the chain rule at the op's node: `dL/da = dL/d(out) * d(out)/da`. Both are written
with the toolbox `xp` (math for the floats of a Value, numpy for the arrays of a Tensor), so one
definition serves both engines. Add a new op, `sin`.

Write `forward` and `dL_da` in the class `Sin`. The checker registers it (then `Value.sin` and
`Tensor.sin` exist) and runs the gradient checker (autodiff through your derivative against
finite differences) on a loss that uses `sin` many times, on both engines."""

CODE = '''\
class Sin:
    """sin(a), a new op: its name, its forward and its derivative."""

    name = "sin"  # the method it becomes: Value(0.5).sin(), Tensor([0.5, 1.0]).sin()

    def forward(self, xp, a):
        """The op's forward: return out = sin(a).

        a is a float (Value) or a numpy array (Tensor); xp holds the functions that work on it:
        xp.sin, xp.cos, xp.exp, ...
        """
        raise NotImplementedError("exercise 6: write forward")

    def dL_da(self, xp, g, a, out):
        """The chain rule at the node out = sin(a): return dL/da.

        g:   dL/d(out), the gradient arriving from above (already complete).
        a:   the input.            out: the output, sin(a).
        dL/da = dL/d(out) * d(out)/da. The engine adds it into a's gradient itself.
        """
        raise NotImplementedError("exercise 6: write dL_da")
'''

HINTS = (
    "The derivative has two ingredients: the local derivative d(sin a)/da, and the gradient "
    "arriving from above (g). Use xp's functions, not math's: the same line must work on arrays.",
    "Multiply the local derivative by g (the chain rule). The engine adds the result into a's "
    "gradient, so a used by several ops still collects every contribution.",
    "The derivative of sin is cos: the slope of the sine curve is largest where sin crosses zero.",
)

PROBE_X = 0.7
LOSS_DATA = ([0.5, -1.0, 2.0], [0.3, -0.8, 0.9])
ARRAY = np.array([0.7, -1.3, 2.5])


def _check_class(cls: Any) -> str:
    if not isinstance(cls, type):
        return f"Sin must be a class (the stub's `class Sin:`), got {type(cls).__name__}"
    missing = [m for m in ("forward", "dL_da") if not callable(getattr(cls, m, None))]
    if missing:
        return f"your class Sin has no method {', '.join(missing)}"
    name = getattr(cls, "name", None)
    if name != "sin":
        return f'your class Sin must keep name = "sin" (the method it becomes), got {name!r}'
    return ""


def _check_forward(op: Any) -> str:
    for x in (0.7, -1.3, 2.5):
        got = float_of(call(op.forward, ops.FLOATS, x), "your forward()")
        want = f"sin({num(x)}) = {num(math.sin(x))}"
        bad = not_finite((f"forward(xp, a={num(x)})", got), expected=want)
        if bad:
            return bad
        if not close(got, math.sin(x)):
            why = ": xp.sin works in radians" if close(got, math.sin(math.radians(x))) else ""
            return f"forward(xp, a={num(x)}) returns {num(got)}, {want}{why}"
    return ""


def _probe(op: Any, g: float, want: float) -> tuple[float, str, str]:
    """The learner's dL_da at the probe, how to call it in a message, and what to say first if
    the answer is NaN or infinite."""
    x = PROBE_X
    got = float_of(call(op.dL_da, ops.FLOATS, g, x, math.sin(x)), "your dL_da()")
    args = f"dL_da(xp, g={num(g)}, a={num(x)}, out=sin(a))"
    return got, args, not_finite((args, got), expected=f"autodiff needs {num(want)}")


def _check_derivative(op: Any) -> str:
    c, s = math.cos(PROBE_X), math.sin(PROBE_X)
    got, args, bad = _probe(op, 1.0, c)
    if bad:
        return bad
    if not close(got, c):
        head = f"{args} returns {num(got)}, d(sin a)/da = {num(c)}"
        if close(got, -c):
            return f"{head}: the sign is wrong"
        if close(got, s):
            return f"{head}: yours is sin(a) itself, the output, not its slope"
        if close(got, -s):
            return f"{head}: that is the slope of cos, not of sin"
        if close(got, math.cos(math.radians(PROBE_X))):
            return f"{head}: xp.cos works in radians, not degrees"
        return head
    got, args, bad = _probe(op, 3.0, 3.0 * c)
    if bad:
        return bad
    if not close(got, 3.0 * c):
        head = f"{args} returns {num(got)}, autodiff {num(3 * c)}"
        if close(got, c):
            return f"{head}: g is not used; the chain rule multiplies the local derivative by dL/d(out)"
        return head
    return ""


def _check_arrays(op: Any) -> str:
    """The same definition on a numpy array (a Tensor's data), as the Tensor engine runs it."""
    g = np.full(3, 2.0)
    for what, method, args, want in (
        ("forward", op.forward, (ops.ARRAYS, ARRAY), np.sin(ARRAY)),
        ("dL_da", op.dL_da, (ops.ARRAYS, g, ARRAY, np.sin(ARRAY)), 2.0 * np.cos(ARRAY)),
    ):
        try:
            out = np.asarray(call(method, *args), dtype=float)
        except LearnerError as exc:
            if "TypeError" not in str(exc):
                raise
            return (
                f"your {what} works on a float but not on a numpy array ({exc}): use xp's functions "
                "(xp.sin, xp.cos), not math's, so that one definition serves both engines"
            )
        at = f"on the array a = {ARRAY.tolist()}"
        entries = [(f"{what}'s entry {k} {at}", v) for k, v in enumerate(np.ravel(out).tolist())]
        bad = not_finite(*entries)
        if bad:
            return bad
        if out.shape != want.shape or not allclose(out, want, rtol=1e-12):
            got = [float(num(v)) for v in np.ravel(out)]
            return f"your {what} {at} returns {got}, not {want.tolist()}"
    return ""


def _gradchecks() -> list[Any]:
    """The gradient checker on the loss, on the Value engine and on the Tensor engine."""
    xs, ys = LOSS_DATA
    w, b = Value(0.8, label="w"), Value(-0.3, label="b")

    def value_loss() -> Any:
        total = sum((((w * x + b).sin() - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
        return total + w.sin() * w.sin()

    tw, tb = Tensor(0.8, requires_grad=True, name="w"), Tensor(-0.3, requires_grad=True, name="b")

    def tensor_loss() -> Any:
        return (((tw * Tensor(xs) + tb).sin() - Tensor(ys)) ** 2).sum() + tw.sin() * tw.sin()

    title = "gradcheck of L = sum_i (sin(w*x_i + b) - y_i)^2 + sin(w)*sin(w)"
    return [
        gradcheck(value_loss, [w, b], title=f"{title}, Value engine"),
        gradcheck(tensor_loss, [tw, tb], title=f"{title}, Tensor engine"),
    ]


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    cls: Any = fns["Sin"]
    bad = _check_class(cls)
    if bad:
        return EXERCISE.result("wrong", bad)
    defined = ops.as_op(cls)
    op = defined()
    wrong = [why for why in (_check_forward(op), _check_derivative(op)) if why]
    if wrong:  # both named when both are wrong; an answer that is not a number first
        return EXERCISE.result("wrong", "\n".join(sorted(wrong, key=lambda why: "not a finite" not in why)))
    bad = _check_arrays(op)
    if bad:
        return EXERCISE.result("wrong", bad)
    with ops.registered(defined):
        try:
            reports = _gradchecks()
        except (ValueError, OverflowError, TypeError) as exc:
            raise LearnerError(f"the gradient check could not run with your sin: {exc}") from None
    details = [line for report in reports for line in str(report).splitlines()]
    failures = [c for report in reports for c in report.failures]
    if failures:
        grads = [(f"dL/d{c.param} through your sin", c.autodiff) for c in failures]
        said = not_finite(*grads, at="(autodiff through your dL_da)")
        head = said or "the probes pass, but autodiff through your sin disagrees with finite differences"
        return EXERCISE.result("wrong", head, details)
    return EXERCISE.result(
        "pass",
        "your sin's forward and derivative pass the probes and the gradient checker, on both engines "
        "(autodiff = finite differences)",
        details,
    )


EXERCISE = Exercise(
    number=6,
    slug="new_op",
    title="a new op, for both engines: sin",
    functions=("Sin",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
