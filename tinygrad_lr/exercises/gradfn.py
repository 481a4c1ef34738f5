"""Checking a learner's hand-written gradient ``(dL/dw, dL/db)``: exercises 2 and 3.

The comparison with autodiff, at the given point and random ones, and the classic-mistake hints
(sign, factor 2, sum vs mean, ``=`` vs ``+=``) are :func:`~tinygrad_lr.gradcheck.check_gradient_fn`'s;
this module adds finite differences to the message, the exercise's own patterns, and the wording
a learner reads ("your dL/dw = -2 at w=1, b=0, x=1, y=3; autodiff says -4 ...").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..gradcheck import Comparison, GradReport, check_gradient_fn, numerical_grads
from ..value import Value
from .base import LearnerError, close, not_finite, num

# the random points check_gradient_fn adds to each given one: enough that a slip hidden at one
# point (b = 0, x = 1) shows at another
N_RANDOM = 2


@dataclass(frozen=True)
class Failure:
    """The first disagreement: at ``point`` (w, b) on data ``xs, ys``, for ``param``."""

    param: str  # "w" or "b"
    w: float
    b: float
    xs: list[float]
    ys: list[float]
    yours: dict[str, float]  # both of the learner's answers at this point
    auto: dict[str, float]  # autodiff's
    numeric: dict[str, float]  # finite differences'
    hint: str  # check_gradient_fn's classic-mistake hint, "" if none


def failures(
    adapter: Callable[..., Any], cases: Sequence[tuple[float, float, list[float], list[float]]], loss: str
) -> list[Failure]:
    """Run :func:`check_gradient_fn` on every case ``(w, b, xs, ys)``: the first failure of each
    parameter (``dL/dw``'s, then ``dL/db``'s), so that two slips, one in each, are both named."""
    found: dict[str, Failure] = {}
    for w, b, xs, ys in cases:
        try:
            report = check_gradient_fn(adapter, w, b, xs, ys, loss=loss, n_random=N_RANDOM, rng=0)
        except ValueError as exc:  # the learner returned the wrong shape (check_gradient_fn says which)
            raise LearnerError(str(exc)) from None
        for c in report.failures:
            if c.param not in found:
                found[c.param] = _failure(report, c, xs, ys, loss)
    return [found[p] for p in ("w", "b") if p in found]


def _failure(report: GradReport, c: Comparison, xs: list[float], ys: list[float], loss: str) -> Failure:
    at = [x for x in report.comparisons if x.point == c.point]
    point = report.points[c.point]
    w, b = float(point["w"]), float(point["b"])
    return Failure(
        c.param,
        w,
        b,
        xs,
        ys,
        {x.param: x.other for x in at},
        {x.param: x.autodiff for x in at},
        _numerical(w, b, xs, ys, loss),
        c.hint,
    )


def _numerical(w: float, b: float, xs: list[float], ys: list[float], loss: str) -> dict[str, float]:
    """Central finite differences of the loss, through nothing but evaluations of it."""
    vw, vb = Value(w, label="w"), Value(b, label="b")

    def f() -> Value:
        total = sum(((vw * x + vb - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
        return total / len(xs) if loss == "mse" else total

    gw, gb = numerical_grads(f, [vw, vb])
    return {"w": float(gw), "b": float(gb)}


def message(f: Failure, where: str, why: str) -> str:
    """The diagnosis of one failure: the numbers, then why (the exercise's own explanation, else
    gradcheck's hint, else the ratio); a NaN or an infinity is said first, with no reason read into it."""
    p = f.param
    yours, auto = f.yours[p], f.auto[p]
    at = f"at w={num(f.w)}, b={num(f.b)}, {where}"
    expected = f"autodiff says {num(auto)}, finite differences {f.numeric[p]:.6f}"
    bad = not_finite((f"dL/d{p}", yours), at=at, expected=expected)
    if bad:
        return bad
    text = (
        f"your dL/d{p} = {num(yours)} {at}; autodiff says "
        f"{num(auto)} (finite differences {f.numeric[p]:.6f})"
    )
    reason = _reason(f, why)
    return text + (f": {reason}" if reason else "")


def _reason(f: Failure, why: str) -> str:
    """Why a finite answer is wrong: the exercise's own explanation, else gradcheck's hint, else
    the ratio to autodiff's ("" when none applies)."""
    return why or f.hint or _ratio(f.yours[f.param], f.auto[f.param])


def _kind(reason: str) -> str:
    """A reason without its numbers and the parameter's name: the slip itself."""
    return re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?|dL/d[wb]", "#", reason)


def diagnosis(found: list[Failure], where: Callable[[Failure], str], why: Callable[[Failure], str]) -> str:
    """Every failure's :func:`message`, one per line, so two slips are both named; one slip seen in
    both gradients (a swap, a missing factor 2) is told once; NaN and inf come first."""
    if len(found) == 2 and _point(found[0]) == _point(found[1]):
        fw, fb = found
        if swapped(fw):
            return message(fw, where(fw), why(fw))
        if _kind(_reason(fw, why(fw))) == _kind(_reason(fb, why(fb))) != "":  # one slip, in both
            also = f"the same slip in dL/db (yours {num(fb.yours['b'])}, autodiff {num(fb.auto['b'])})"
            return f"{message(fw, where(fw), why(fw))}; {also}"
    found = sorted(found, key=lambda f: math.isfinite(f.yours[f.param]))
    return "\n".join(message(f, where(f), why(f)) for f in found)


def _point(f: Failure) -> tuple[float, float, list[float], list[float]]:
    return f.w, f.b, f.xs, f.ys


def _ratio(yours: float, auto: float) -> str:
    if auto != 0.0 and math.isfinite(yours):
        k = yours / auto
        if close(k, round(k)) and round(k) not in (0, 1):
            return f"yours is exactly {round(k)} times autodiff's"
    return ""


def swapped(f: Failure) -> bool:
    return (
        close(f.yours["w"], f.auto["b"])
        and close(f.yours["b"], f.auto["w"])
        and not close(f.auto["w"], f.auto["b"])
    )


def matches(value: float, target: float) -> bool:
    """``value`` equals a wrong answer ``target`` that differs from zero (a zero matches everything)."""
    return target != 0.0 and close(value, target)
