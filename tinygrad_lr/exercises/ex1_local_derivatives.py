"""Exercise 1: the local derivative of each operation.

The learner writes ``local_derivatives(op, a, b)``: for ``out = a op b`` (or ``op(a)``) the
derivative of ``out`` with respect to each input, the numbers :class:`~tinygrad_lr.Value` stores
in every node. The checker builds the same node with ``Value``, backpropagates, and also takes
central finite differences; for each op it says whether the answer agrees, and when it does not,
which classic slip it matches (swapped factors, the exponent not lowered, the input used where the
formula needs the output, a sign, a constant factor).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ..compare import nonfinite_name
from ..gradcheck import numerical_grads
from ..value import Value
from .base import Exercise, LearnerError, NotDone, Result, call, close, float_of, not_finite, num

INTRO = """\
Every operation in a computation graph knows its *local derivatives*: how much its output moves
per unit of each input, the other inputs held fixed. Backpropagation multiplies them along the
graph (the chain rule), so they must be right for every op.

Write `local_derivatives(op, a, b)` for the eight ops `*`, `+`, `-`, `**`, `exp`, `log`, `tanh`
and `sigmoid`. The checker compares every answer with autodiff (the framework's `Value`) and with
finite differences, at several points, and tells you which op is wrong and how."""

CODE = '''\
import math


def local_derivatives(op, a, b=None):
    """The local derivatives of out = a op b (or out = op(a)) with respect to each input.

    op: one of "*", "+", "-", "**", "exp", "log", "tanh", "sigmoid".
    a:  the (first) input, a float.
    b:  the second input of "*", "+" and "-"; for "**" the exponent n (a constant number,
        so out = a ** n has one input); None for the one-input ops.

    Return a tuple of floats:
        "*", "+", "-"                          -> (d_out/d_a, d_out/d_b)
        "**", "exp", "log", "tanh", "sigmoid"  -> (d_out/d_a,)
    """
    if op == "*":
        raise NotImplementedError("exercise 1: the local derivatives of a * b")
    if op == "+":
        raise NotImplementedError("exercise 1: the local derivatives of a + b")
    if op == "-":
        raise NotImplementedError("exercise 1: the local derivatives of a - b")
    if op == "**":
        raise NotImplementedError("exercise 1: the local derivative of a ** n")
    if op == "exp":
        raise NotImplementedError("exercise 1: the local derivative of exp(a)")
    if op == "log":
        raise NotImplementedError("exercise 1: the local derivative of log(a)")
    if op == "tanh":
        raise NotImplementedError("exercise 1: the local derivative of tanh(a)")
    if op == "sigmoid":
        raise NotImplementedError("exercise 1: the local derivative of sigmoid(a)")
    raise ValueError(f"unknown op {op!r}")
'''

HINTS = (
    "Hold every input but one fixed and ask: if this input grows by a tiny h, by how much times h "
    "does the output grow? That factor is the local derivative.",
    "For a product, what multiplies a is the other factor; a sum passes change through unchanged; "
    "in a difference, b enters with a minus sign. exp, tanh and sigmoid have derivatives that are "
    "easiest to write with their own output.",
    "Power rule: bring the exponent down in front and lower it by one. d(log a)/da is the reciprocal "
    "of a. d(tanh)/da is one minus the square of tanh's output; d(sigmoid)/da is sigmoid's output "
    "times one minus it.",
)


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


# op -> (how to build it with Value, the points it is checked at)
_BINARY = {"*": lambda a, b: a * b, "+": lambda a, b: a + b, "-": lambda a, b: a - b}
_UNARY = {
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
}
OPS = ("*", "+", "-", "**", "exp", "log", "tanh", "sigmoid")
_POINTS: dict[str, list[tuple[float, float | None]]] = {
    "*": [(3.0, -2.0), (0.5, 4.0), (-1.5, 0.25)],
    "+": [(3.0, -2.0), (0.5, 4.0), (-1.5, 0.25)],
    "-": [(3.0, -2.0), (0.5, 4.0), (-1.5, 0.25)],
    "**": [(3.0, 2.0), (1.5, 3.0), (2.0, -1.0), (4.0, 0.5)],
    "exp": [(0.5, None), (-1.2, None), (2.0, None)],
    "log": [(0.5, None), (2.0, None), (3.0, None)],
    "tanh": [(0.3, None), (-1.1, None), (2.0, None)],
    "sigmoid": [(0.4, None), (-1.3, None), (2.0, None)],
}


def _reference(op: str, a: float, b: float | None) -> tuple[list[float], list[float], float]:
    """``(autodiff, finite differences, out)`` for one op at one point, from the framework."""
    va = Value(a, label="a")
    if op in _BINARY:
        assert b is not None
        vb = Value(b, label="b")
        params, f = [va, vb], (lambda: _BINARY[op](va, vb))
    elif op == "**":
        assert b is not None
        n = b
        params, f = [va], (lambda: va**n)
    else:
        params, f = [va], (lambda: _UNARY[op](va))
    out = f()
    out.backward()
    auto = [p.grad for p in params]
    numeric = [float(g) for g in numerical_grads(f, params)]
    return auto, numeric, out.data


def _point(op: str, a: float, b: float | None) -> str:
    if op in _BINARY:
        return f"a={num(a)}, b={num(b)}"
    if op == "**":
        return f"a={num(a)}, n={num(b)}"
    return f"a={num(a)}"


def _explain(op: str, a: float, b: float | None, yours: list[float], auto: list[float], out: float) -> str:
    """Which classic slip ``yours`` matches (an empty string when none, and always for a NaN or an
    infinity, which :func:`_check_op` reports as such)."""
    if not all(map(math.isfinite, yours)):
        return ""

    def same(values: list[float]) -> bool:
        return len(values) == len(yours) and all(close(x, y) for x, y in zip(values, yours))

    if op == "*" and b is not None:
        if same([a, b]):
            return "the two derivatives are swapped: when a moves, a*b moves by the OTHER factor"
        if same([1.0, 1.0]):
            return "those are the local derivatives of a + b, not of a * b"
    if op == "+" and b is not None:
        if same([b, a]) or same([a, b]):
            return "those are the local derivatives of a * b: a sum passes a change in a through unchanged"
        if same([1.0, -1.0]):
            return "d(a+b)/db is not negative: b enters a sum with a plus sign"
    if op == "-" and b is not None:
        if same([1.0, 1.0]):
            return "d(a-b)/db has the wrong sign: b enters a difference with a minus sign"
        if same([-1.0, 1.0]):
            return "both signs are flipped: out = a - b grows with a and shrinks with b"
    if op == "**" and b is not None:
        n = b
        if same([n * a**n]):
            at = _point(op, a, b)
            return f"the exponent is not lowered by one (yours is {num(yours[0])} = n * a^n at {at})"
        if same([a ** (n - 1)]):
            return "the factor n in front is missing"
        if same([(n - 1) * a ** (n - 1)]):
            return "the factor in front is n, not n - 1"
        if a > 0 and same([a**n * math.log(a)]):
            return "that is the derivative with respect to the exponent n; here n is a constant and a moves"
    if op == "exp" and same([a * math.exp(a - 1.0)]):
        return "the power rule does not apply to exp: the variable is in the exponent"
    if op == "log":
        if same([math.log(a)]):
            return "yours is log(a) itself, the output, not how fast it changes"
        if same([-1.0 / a**2]):
            return "that is the derivative of 1/a, one step too far"
        if same([math.exp(a)]):
            return "that is the derivative of exp, log's inverse"
    if op == "tanh":
        if same([1.0 - a * a]):
            return "you used the input a where the formula needs the op's output tanh(a)"
        if same([1.0 - math.tanh(a)]):
            return "the output tanh(a) should be squared"
    if op == "sigmoid":
        if same([a * (1.0 - a)]):
            return "you used the input a where the formula needs the op's output sigmoid(a)"
        if same([1.0 - _sigmoid(a)]):
            return "a factor is missing: yours is only one of the two factors"
    if len(auto) == 1 and same([out]) and not close(out, auto[0]):
        return f"yours is the op's output {op}({num(a)}) = {num(out)}, not its derivative"
    if all(close(y, -x) for x, y in zip(auto, yours)) and any(x != 0.0 for x in auto):
        return "the sign is wrong"
    ratios = {round(y / x, 9) for x, y in zip(auto, yours) if x != 0.0}
    if len(ratios) == 1:
        (k,) = ratios
        if k not in (0.0, 1.0):
            return f"yours is {num(k)} times the right value"
    return ""


def _check_op(fn: Callable[..., Any], op: str) -> tuple[str, str]:
    """``(verdict, line)`` for one op over all its points: the first disagreement, explained.

    ``verdict`` is ``"ok"``, ``"wrong"``, or ``"nan"``/``"inf"``/``"-inf"`` when an answer is not a
    finite number (said first, with no slip read into it)."""
    for a, b in _POINTS[op]:
        auto, numeric, out = _reference(op, a, b)
        raw = call(fn, op, a, b)
        try:
            yours = [float_of(v, "") for v in (raw if isinstance(raw, (tuple, list)) else [raw])]
        except LearnerError:
            raise LearnerError(
                f"your local_derivatives({op!r}, ...) must return a tuple of numbers, got {raw!r}"
            ) from None
        if len(yours) != len(auto):
            inputs = "two inputs (a and b)" if len(auto) == 2 else "one input (a)"
            return "wrong", (
                f"{op}: yours returns {len(yours)} number(s), but out = {_formula(op)} has {inputs}: "
                f"return one derivative per input"
            )
        if all(close(y, x) for y, x in zip(yours, auto)):
            continue
        names = ["d_out/d_a", "d_out/d_b"]
        refs = f"autodiff {' and '.join(map(num, auto))}, "
        refs += f"finite differences {' and '.join(map(num, numeric))}"
        bad = not_finite(*((names[j], y) for j, y in enumerate(yours)), expected=refs)
        if bad:
            kind = next(nonfinite_name(y) for y in yours if nonfinite_name(y))
            return kind, f"{op} at {_point(op, a, b)}: {bad}"
        shown = ", ".join(
            f"{names[j]} yours {num(y)}, autodiff {num(x)}, finite differences {num(d)}"
            for j, (y, x, d) in enumerate(zip(yours, auto, numeric))
            if not close(y, x)
        )
        why = _explain(op, a, b, yours, auto, out)
        return "wrong", f"{op} at {_point(op, a, b)}: {shown}" + (f": {why}" if why else "")
    return "ok", f"{op}: ok at {len(_POINTS[op])} points"


def _formula(op: str) -> str:
    return {"*": "a * b", "+": "a + b", "-": "a - b", "**": "a ** n"}.get(op, f"{op}(a)")


def _head(verdicts: dict[str, str]) -> str:
    """The first line of a wrong answer: a NaN or an infinity first, then how many ops are wrong."""
    wrong = [op for op, v in verdicts.items() if v != "ok"]
    head = f"{len(wrong)} of {len(OPS)} ops wrong: {', '.join(wrong)}"
    kinds = {v: [op for op in wrong if verdicts[op] == v] for v in ("inf", "-inf", "nan")}
    said = [f"{kind} for {', '.join(ops)}" for kind, ops in kinds.items() if ops]
    return f"your answer is {'; '.join(said)}; {head}" if said else head


def check(fns: Mapping[str, Callable[..., Any]]) -> Result:
    fn = fns["local_derivatives"]
    lines, verdicts, wrong, not_done = [], {}, {}, []
    for op in OPS:
        try:
            verdict, line = _check_op(fn, op)
        except NotDone:
            not_done.append(op)
            lines.append(f"{op}: not done yet")
            continue
        lines.append(line)
        verdicts[op] = verdict
        if verdict != "ok":
            wrong[op] = line
    if wrong:
        first = sorted(wrong, key=lambda op: verdicts[op] == "wrong")  # NaN and inf said first
        return EXERCISE.result("wrong", "\n".join([_head(verdicts), *(wrong[op] for op in first)]), lines)
    if not_done:
        if len(not_done) == len(OPS):
            raise NotDone("local_derivatives")
        return EXERCISE.result(
            "not done",
            f"{len(OPS) - len(not_done)} of {len(OPS)} ops right so far; not done yet: {', '.join(not_done)}",
            lines,
        )
    return EXERCISE.result("pass", f"all {len(OPS)} ops agree with autodiff and finite differences", lines)


EXERCISE = Exercise(
    number=1,
    slug="local_derivatives",
    title="the local derivative of each op",
    functions=("local_derivatives",),
    intro=INTRO,
    code=CODE,
    hints=HINTS,
    checker=check,
)
