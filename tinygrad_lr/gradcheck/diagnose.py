"""Checking a learner's hand-written gradient function, and saying what is wrong with it."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..compare import isclose
from ..errors import InputError, describe
from .numeric import (
    MACHINE_EPS,
    ROUNDOFF_SAFETY,
    RTOL_EXACT,
    as_bias,
    as_data,
    as_weights,
    autodiff,
    build_loss,
    data_scales,
    reduction_of,
)
from .report import Breakdown, Comparison, GradReport

# A learner's gradient function is tried at the given point and this many random ones, drawn
# around it with spread max(1, |value|): a bug that vanishes at one point (b = 0, say) shows
# at the others.
N_RANDOM_POINTS = 3

# A hand-written gradient this close to autodiff (relative) but still failing has the right
# formula and the wrong arithmetic: mistakes in the math change a gradient by O(1).
NEAR_MISS = 1e-3

# How closely a wrong gradient must equal a classic mistake (half, twice, one sample's term) to be
# named as it: the learner's arithmetic may round differently from ours, but a slip is O(1) away.
HINT_RTOL = 1e-6


def _hint(yours: float, auto: float, contributions: np.ndarray, n: int) -> str:
    """The classic mistake ``yours`` matches, if any (``contributions``: this entry's per-sample
    terms of the true gradient, already reduced, so ``auto == contributions.sum()``)."""

    if not (math.isfinite(yours) and math.isfinite(auto)):
        return ""  # inf matches every multiple of everything; the verdict says it is not a number

    def close(a: float, b: float) -> bool:
        return b != 0.0 and bool(isclose(a, b, rtol=HINT_RTOL))

    if n > 1 and close(yours, float(contributions[-1])):
        return (
            "yours equals the LAST sample's term alone: inside the loop over samples the gradient "
            "is assigned (=) instead of accumulated (+=), so only the last point counts"
        )
    if close(yours, -auto):
        return (
            "yours has the wrong sign: d(r^2)/dr = 2r with r = prediction - target (not target - prediction)"
        )
    if close(yours, auto / 2):
        return "yours is half the true gradient: d(r^2)/dr = 2r, is the factor 2 missing?"
    if close(yours, 2 * auto):
        return "yours is twice the true gradient: is the factor 2 applied twice?"
    if n > 1 and close(yours, auto * n):
        return f"yours is n = {n} times the true gradient: the mean loss divides the sum by n"
    if n > 1 and close(yours, auto / n):
        return f"yours is 1/n = 1/{n} of the true gradient: the sum loss does not divide by n"
    for i in range(n - 1):
        if close(yours, float(contributions[i])):
            return f"yours equals sample {i}'s term alone: the other samples' terms are missing"
    if isclose(yours, auto, rtol=NEAR_MISS):
        return (
            f"yours is within {NEAR_MISS:.0e} (relative) of autodiff: too close for a wrong formula, too "
            "far for float64 round-off; float32 arithmetic, or a rounded constant (0.33 for 1/3)?"
        )
    return ""


def check_gradient_fn(
    fn: Callable[..., Any],
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    loss: str = "mse",
    *,
    n_random: int = N_RANDOM_POINTS,
    rng: np.random.Generator | int | None = 0,
    engine: str = "value",
    rtol: float = RTOL_EXACT,
) -> GradReport:
    """Check a hand-written gradient ``fn(w, b, x, y) -> (dw, db)`` against autodiff.

    ``fn`` may be plain Python or numpy. It is called with ``w`` (a float, or an array for several
    features), ``b`` (a float, or ``None`` without bias) and copies of ``x`` and ``y`` as numpy
    arrays, at the given point and at ``n_random`` random points drawn from ``rng`` (a seeded
    ``numpy.random.Generator``, or a seed). Its answer is compared with the framework's autodiff
    of ``loss`` (``"mse"``: ``(1/n) sum_i r_i^2``, or ``"sse"``: ``sum_i r_i^2``), entry by entry.

    A disagreement names the parameter, the point, the error and, when the wrong answer matches
    a classic mistake (a gradient assigned instead of accumulated, a sign, a factor 2, sum vs
    mean), a hint.

    Example:
        >>> def grad(w, b, x, y):   # correct: mean of 2 r x and of 2 r
        ...     r = w * x + b - y
        ...     return (2 * r * x).mean(), (2 * r).mean()
        >>> check_gradient_fn(grad, 1.0, 0.0, [1, 2, 3], [3, 5, 7]).ok
        True
    """
    from ..data import as_generator

    if not callable(fn):
        raise InputError(
            f"check_gradient_fn: fn must be your function fn(w, b, x, y) -> (dw, db), got {describe(fn)}"
        )
    reduction = reduction_of(loss)
    X, Y = as_data(x, y)
    n, d = X.shape
    wv, bf = as_weights(w, d), as_bias(b)
    scalar_w = np.ndim(w) == 0
    x_given = np.array(x, dtype=np.float64)  # the shape the learner passed: (n,) or (n, d)
    gen = as_generator(rng)
    if isinstance(n_random, bool) or not isinstance(n_random, int) or n_random < 0:
        raise ValueError(f"n_random must be a whole number >= 0, got {n_random!r}")

    points = _points(wv, bf, n_random, gen)

    w_names = ["w"] if scalar_w else [f"w[{j}]" for j in range(d)]
    names = w_names + ([] if bf is None else ["b"])
    report_points, losses, comparisons = [], [], []
    for k, (wk, bk) in enumerate(points):
        f, params = build_loss(wk, bk, X, Y, loss.lower(), engine)
        lk, auto_rows = autodiff(f, params)
        auto = [g for row in auto_rows for g in row]
        yours = _call_learner(
            fn, float(wk[0]) if scalar_w else wk.copy(), bk, x_given.copy(), Y.copy(), d, bk is not None
        )
        _, grad_scale = data_scales(X, Y, wk, bk, reduction)
        shares = Breakdown(X, Y, wk, bk, reduction).shares  # each sample's part, for the hints
        for j, name in enumerate(names):
            atol = ROUNDOFF_SAFETY * MACHINE_EPS * float(grad_scale[j])
            c = Comparison(k, name, auto[j], "yours", yours[j], atol, rtol)
            if not c.ok:
                c = Comparison(
                    k, name, auto[j], "yours", yours[j], atol, rtol, _hint(yours[j], auto[j], shares[:, j], n)
                )
            comparisons.append(c)
        report_points.append(dict(zip(names, [*wk.tolist(), *([] if bk is None else [bk])])))
        losses.append(lk)
    title = (
        f"check_gradient_fn: your {getattr(fn, '__name__', 'gradient function')} vs autodiff, "
        f"{loss.lower()} loss, {n} sample(s), {d} feature(s), {len(points)} point(s) "
        "(0: the one given, then random)"
    )
    return GradReport(title, report_points, comparisons, losses)


def _points(
    wv: np.ndarray, bf: float | None, n_random: int, gen: np.random.Generator
) -> list[tuple[np.ndarray, float | None]]:
    """The point given, then ``n_random`` random ones around it (each coordinate moved by a
    normal step at least 1 wide)."""
    points: list[tuple[np.ndarray, float | None]] = [(wv, bf)]
    for _ in range(n_random):
        wk = wv + np.maximum(1.0, np.abs(wv)) * gen.standard_normal(len(wv))
        bk = None if bf is None else bf + max(1.0, abs(bf)) * float(gen.standard_normal())
        points.append((wk, bk))
    return points


def _floats(v: Any) -> np.ndarray:
    """``v`` as float64, a whole number too large for a float (``10**400``) as +-inf, so that the
    verdict says "inf" instead of the check crashing."""
    try:
        return np.asarray(v, dtype=np.float64)
    except OverflowError:
        return np.vectorize(_float, otypes=[np.float64])(np.asarray(v, dtype=object))


def _float(x: Any) -> float:
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _call_learner(
    fn: Callable[..., Any], w: Any, b: float | None, x: np.ndarray, y: np.ndarray, d: int, bias: bool
) -> list[float]:
    out = fn(w, b, x, y)
    try:
        dw, db = out
    except (TypeError, ValueError):
        raise ValueError(f"your gradient function must return (dw, db), got {out!r}") from None
    try:
        dw_arr = _floats(dw).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"your gradient function returned dw = {dw!r}; dw must be numbers") from None
    if dw_arr.size != d:
        raise ValueError(f"your gradient function returned dw with {dw_arr.size} number(s); w has {d}")
    values = dw_arr.tolist()
    if bias:
        try:
            db_arr = _floats(db)
        except (TypeError, ValueError):
            db_arr = np.zeros(0)
        if db is None or db_arr.size != 1:
            raise ValueError(f"your gradient function must return one number for db, got {db!r}")
        values.append(float(db_arr.reshape(())))
    return values
