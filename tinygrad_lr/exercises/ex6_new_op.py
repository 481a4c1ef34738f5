"""Exercise 6: a new op, ``sin``, added to ``Value`` by the learner and checked by the gradient checker.

The learner writes the op's forward and its backward, the chain rule at one node:
``x.grad += out.grad * d(sin x)/dx``. The checker first probes the backward with chosen numbers
(so a missing ``out.grad`` factor, an ``=`` where ``+=`` belongs, a sign or the wrong derivative
are each named), then installs the op as ``Value.sin`` (a node whose backward calls the learner's
function) and runs :func:`~tinygrad_lr.gradcheck.gradcheck` -- autodiff through the learner's
backward against finite differences -- on a loss where ``sin`` is used many times and its input
is shared, ``L = sum_i (sin(w*x_i + b) - y_i)^2 + sin(w) * sin(w)``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import graph
from ..gradcheck import gradcheck
from ..value import Value
from .base import Exercise, LearnerError, Result, call, close, float_of, not_finite, num

INTRO = """\
Every op of the engine is two small pieces: the forward computation, and the backward, which
applies the chain rule at the op's node: `x.grad += out.grad * d(out)/dx`. Add a new op, `sin`,
to `Value`.

Write `sin_forward(x)` and `sin_backward(x, out, out_grad, x_grad)`. The checker installs them as
`Value.sin` and runs the gradient checker (autodiff through your backward against finite
differences) on a loss that uses `sin` many times."""

CODE = '''\
import math


def sin_forward(x):
    """The op's forward pass: out = sin(x) for a float x. Return a float."""
    raise NotImplementedError("exercise 6: write sin_forward")


def sin_backward(x, out, out_grad, x_grad):
    """The op's backward pass: the chain rule at the node out = sin(x).

    x:        the input's value.            out:    the output's value, sin(x).
    out_grad: dL/d(out), already complete.  x_grad: the input's gradient so far (x may feed
              other ops too, whose backward already added their part).
    Return the input's NEW gradient: x_grad with this node's contribution dL/d(out) * d(out)/dx added.
    """
    raise NotImplementedError("exercise 6: write sin_backward")
'''

HINTS = (
    "The backward has three ingredients: the local derivative d(sin x)/dx, the gradient arriving "
    "from above (out_grad), and what x's gradient already holds (x_grad).",
    "Multiply the local derivative by out_grad (the chain rule), then add the product to x_grad "
    "rather than replacing it: x may be used by several ops.",
    "The derivative of sin is cos: the slope of the sine curve is largest where sin crosses zero.",
)

# the probes: (x, out_grad, x_grad) with a non-trivial out_grad and x_grad, so a missing factor
# or an overwritten gradient changes the answer
PROBE_X = 0.7
LOSS_DATA = ([0.5, -1.0, 2.0], [0.3, -0.8, 0.9])


@contextlib.contextmanager
def installed(forward: Callable[..., Any], backward: Callable[..., Any]) -> Iterator[None]:
    """``Value.sin`` made of the learner's two functions, for the duration of the block."""

    class SinNode(Value):
        __slots__ = ()

        def _backward(self) -> None:  # the learner's chain rule at this node
            (a,) = self._prev
            a.grad = float_of(call(backward, a.data, self.data, self.grad, a.grad), "your sin_backward()")

    def sin(self: Value) -> Value:
        out = SinNode(float_of(call(forward, self.data), "your sin_forward()"))
        if graph.is_grad_enabled():
            out._prev, out._op = (self,), "sin"
        return out

    missing = object()
    old = Value.__dict__.get("sin", missing)
    Value.sin = sin  # type: ignore[attr-defined]
    try:
        yield
    finally:
        if old is missing:
            del Value.sin  # type: ignore[attr-defined]
        else:
            Value.sin = old  # type: ignore[attr-defined]


def _probe(backward: Callable[..., Any], out_grad: float, x_grad: float, want: float) -> tuple[float, str]:
    """The learner's backward at the probe, and what to say first if that is NaN or infinite."""
    x = PROBE_X
    got = float_of(call(backward, x, math.sin(x), out_grad, x_grad), "your sin_backward()")
    args = f"sin_backward(x={num(x)}, out=sin(x), out_grad={num(out_grad)}, x_grad={num(x_grad)})"
    return got, not_finite((args, got), expected=f"autodiff needs {num(want)}")


def _check_backward(backward: Callable[..., Any]) -> str:
    x, c, s = PROBE_X, math.cos(PROBE_X), math.sin(PROBE_X)
    at = f"at x={num(x)}"
    got, bad = _probe(backward, 1.0, 0.0, c)
    if bad:
        return bad
    if not close(got, c):
        head = (
            f"sin_backward(x={num(x)}, out=sin(x), out_grad=1, x_grad=0) returns {num(got)}, "
            f"autodiff needs d(sin x)/dx {at} = {num(c)}"
        )
        if close(got, -c):
            return f"{head}: the sign is wrong"
        if close(got, s):
            return f"{head}: yours is sin(x) itself, the output, not its slope"
        if close(got, -s):
            return f"{head}: that is the slope of cos, not of sin"
        if close(got, math.cos(math.radians(x))):
            return f"{head}: math.cos works in radians, not degrees"
        return head
    got, bad = _probe(backward, 3.0, 0.0, 3.0 * c)
    if bad:
        return bad
    if not close(got, 3.0 * c):
        head = (
            f"sin_backward(x={num(x)}, out=sin(x), out_grad=3, x_grad=0) returns {num(got)}, "
            f"autodiff {num(3 * c)}"
        )
        if close(got, c):
            return (
                f"{head}: out_grad is not used; the chain rule multiplies the local derivative by dL/d(out)"
            )
        return head
    got, bad = _probe(backward, 3.0, 0.25, 0.25 + 3.0 * c)
    if bad:
        return bad
    if not close(got, 0.25 + 3.0 * c):
        head = (
            f"sin_backward(x={num(x)}, out=sin(x), out_grad=3, x_grad=0.25) returns {num(got)}, autodiff "
            f"{num(0.25 + 3.0 * c)}"
        )
        if close(got, 3.0 * c):
            return (
                f"{head}: the 0.25 that x already held is lost; the gradient is replaced (=) instead of "
                "accumulated (+=), which is wrong wherever x feeds more than one op"
            )
        return head
    return ""


def _check_forward(forward: Callable[..., Any]) -> str:
    for x in (0.7, -1.3, 2.5):
        got = float_of(call(forward, x), "your sin_forward()")
        bad = not_finite((f"sin_forward({num(x)})", got), expected=f"sin({num(x)}) = {num(math.sin(x))}")
        if bad:
            return bad
        if not close(got, math.sin(x)):
            why = ": math.sin works in radians" if close(got, math.sin(math.radians(x))) else ""
            return f"sin_forward({num(x)}) returns {num(got)}, sin({num(x)}) = {num(math.sin(x))}{why}"
    return ""


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    forward, backward = fns["sin_forward"], fns["sin_backward"]
    bad = [why for why in (_check_forward(forward), _check_backward(backward)) if why]
    if bad:  # both named when both are wrong (the probes give the backward sin(x), not your forward)
        return EXERCISE.result("wrong", "\n".join(sorted(bad, key=lambda why: "not a finite" not in why)))
    xs, ys = LOSS_DATA
    w, b = Value(0.8, label="w"), Value(-0.3, label="b")

    def loss() -> Any:
        total = sum((((w * x + b).sin() - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))  # type: ignore[attr-defined]
        return total + w.sin() * w.sin()  # type: ignore[attr-defined]

    with installed(forward, backward):
        try:
            report = gradcheck(
                loss, [w, b], title="gradcheck of L = sum_i (sin(w*x_i + b) - y_i)^2 + sin(w)*sin(w)"
            )
        except (ValueError, OverflowError) as exc:
            raise LearnerError(f"the gradient check could not run with your sin: {exc}") from None
    details = str(report).splitlines()
    if not report.ok:
        grads = [(f"dL/d{c.param} through your sin", c.autodiff) for c in report.failures]
        said = not_finite(*grads, at="(autodiff through your sin_backward)")
        head = said or "the probes pass, but autodiff through your sin disagrees with finite differences"
        return EXERCISE.result("wrong", head, details)
    return EXERCISE.result(
        "pass",
        "your sin's backward passes the probes and the gradient checker (autodiff = finite differences)",
        details,
    )


EXERCISE = Exercise(
    number=6,
    slug="new_op",
    title="a new op's backward: sin",
    functions=("sin_forward", "sin_backward"),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
