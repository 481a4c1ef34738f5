"""A checker never passes a non-finite answer, and says so first.

Every checker of every exercise gets ``inf``, ``-inf`` and ``nan`` from the learner: for every
answer at once, and for one number of an otherwise right answer. Each must be graded wrong, the
first line of the diagnosis must say which answer is not finite ("your dL/dw is inf"), and no
slip that is not there may be named: an infinity matches every multiple of everything, so
"exactly half", "swapped", "the sign is wrong" would all be read into it by a closeness test that
lets inf through (``|a - b| <= atol + rtol * max(|a|, |b|)`` is true when one side is infinite).
"""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.exercises import check

SOLUTIONS = Path(__file__).parent / "exercise_solutions"
KINDS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}

# the words of the classic-slip diagnoses: none may be read into a number that is not one
SLIP_WORDS = (
    "half", "swapped", "times", "sign", "twice", "missing", "LAST", "FIRST", "SUM", "1/n", "uphill",
    "zeroed", "stale", "radians", "itself", "lowered", "once", "whole gradient", "did not move",
    "exactly", "instead of", "never called", "not used", "the input a",
)


def answers(n: int):
    spec = importlib.util.spec_from_file_location(f"exercise_answers_nonfinite_{n}", SOLUTIONS / f"ex{n}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _replaced(right, k, v):
    """``right`` with the ``k``-th number of its answer replaced by ``v``."""

    def fn(*args):
        out = list(right(*args))
        out[k] = v
        return tuple(out)

    return fn


def _ex1_all(v):
    return (lambda op, a, b=None: (v, v) if op in ("*", "+", "-") else (v,),)


def _ex1_one(v):
    right = answers(1).right
    return (lambda op, a, b=None: (right(op, a, b)[0], v) if op == "*" else right(op, a, b),)


def _ex4_gd(v):
    m = answers(4)

    def gd(xs, ys, w, b, lr, steps, grad):  # asks for every step's gradient, then overflows
        m.gd(xs, ys, w, b, lr, steps, grad)
        return v, v

    return m.update, gd


def _ex5(v, which):
    right = answers(5).right

    def sgd(w, b, xs, ys, lr, epochs, rng=None):
        right(w, b, xs, ys, lr, epochs, rng)
        if which in ("w", "both"):
            w.data = v
        if which in ("b", "both"):
            b.data = v

    return (sgd,)


def _ex6(v, where):
    """The right Sin, but ``v`` (not a number) from its forward or its dL_da, or from dL_da only
    away from the probes (x = 0.7, and an array): in the gradient check."""
    right = answers(6).Sin

    class Sin(right):
        def forward(self, xp, a):
            return v if where == "forward" else right.forward(self, xp, a)

        def dL_da(self, xp, g, a, out):
            at_probe = not isinstance(a, float) or abs(a - 0.7) < 1e-12
            if where == "dL_da" or (where == "gradcheck" and not at_probe):
                return v
            return right.dL_da(self, xp, g, a, out)

    return (Sin,)


# (exercise, what, the learner's functions given the non-finite value v, what the first line names)
CASES = [
    (1, "every op", _ex1_all, "your answer is {kind}"),
    (1, "d_out/d_b of *", _ex1_one, "your answer is {kind} for *"),
    (2, "both", lambda v: (lambda w, b, x, y: (v, v),), "your dL/dw is {kind}"),
    (2, "dL/dw", lambda v: (_replaced(answers(2).right, 0, v),), "your dL/dw is {kind}"),
    (2, "dL/db", lambda v: (_replaced(answers(2).right, 1, v),), "your dL/db is {kind}"),
    (3, "both", lambda v: (lambda w, b, xs, ys: (v, v),), "your dL/dw is {kind}"),
    (3, "dL/db", lambda v: (_replaced(answers(3).right, 1, v),), "your dL/db is {kind}"),
    (4, "update", lambda v: (lambda w, b, dw, db, lr: (v, v), answers(4).gd), "your new w is {kind}"),
    (4, "update's b", lambda v: (_replaced(answers(4).update, 1, v), answers(4).gd), "your new b is {kind}"),
    (4, "gd", _ex4_gd, "your w is {kind}"),
    (5, "both", lambda v: _ex5(v, "both"), "your w is {kind}"),
    (5, "b", lambda v: _ex5(v, "b"), "your b is {kind}"),
    (6, "forward", lambda v: _ex6(v, "forward"), "your forward(xp, a=0.7) is {kind}"),
    (6, "dL_da", lambda v: _ex6(v, "dL_da"), "your dL_da(xp, g=1, a=0.7"),
    # through the loss, an infinite slope meets both signs of x: inf - inf, so any kind may come out
    (6, "dL_da in the gradient check", lambda v: _ex6(v, "gradcheck"), "through your sin is {any}"),
]


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize(
    "n, what, make, first", CASES, ids=[f"ex{c[0]}-{c[1].replace(' ', '_')}" for c in CASES]
)
def test_every_checker_grades_a_nonfinite_answer_wrong_and_says_so_first(n, what, make, first, kind):
    result = check(n, *make(KINDS[kind]))
    assert result.status == "wrong", result
    head = result.diagnosis.splitlines()[0]
    if "{any}" in first:  # some non-finite kind: which one depends on the arithmetic after it
        assert any(first.format(any=k) in head for k in KINDS), f"{first!r} not first in:\n{result}"
    else:
        assert first.format(kind=kind) in head, f"{first.format(kind=kind)!r} not first in:\n{result}"
    if "{kind}" not in first and "{any}" not in first:
        assert f"is {kind}" in head, result
    said = result.diagnosis + "\n".join(result.details)
    assert not [w for w in SLIP_WORDS if w in said], f"a slip read into {kind}:\n{result}"


def test_an_infinite_answer_is_never_graded_pass_from_the_command_line(tmp_path, capsys):
    f = tmp_path / "ex4.py"
    f.write_text(
        "# tinygrad-lr exercise 4\n"
        "def update(w, b, dw, db, lr):\n    return w - lr * dw, b - lr * db\n\n"
        "def gd(xs, ys, w, b, lr, steps, grad):\n"
        "    for _ in range(steps):\n        w, b = update(w, b, *grad(w, b, xs, ys), lr)\n"
        "    return float('inf'), float('-inf')\n"
    )
    assert main(["check", str(f), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "wrong"
    assert out["diagnosis"].startswith("your w is inf and your b is -inf after gd(")


def test_a_whole_number_too_large_for_a_float_is_inf_not_a_crash():
    result = check(2, lambda w, b, x, y: (10**400, 0))
    assert result.status == "wrong" and result.diagnosis.startswith("your dL/dw is inf"), result
