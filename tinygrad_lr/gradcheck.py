"""Gradient checks: is this gradient right?

There are three ways to get the gradient of the linear-regression loss
``L(w, b) = sum_i (w . x_i + b - y_i)^2`` (or its mean), and they must agree:

1. **autodiff** -- ``L.backward()`` through the graph the framework built from the model and loss;
2. **analytic** -- the chain rule done once by hand (docs/sources.md section 2). With the residual
   ``r_i = w . x_i + b - y_i``::

       dL/dw_j = sum_i 2 r_i x_ij        dL/db = sum_i 2 r_i        (divided by n for the mean)

3. **numerical** -- central finite differences, which need nothing but evaluations of ``L``::

       dL/dp ~ (L(p + h) - L(p - h)) / 2h

:func:`gradcheck` compares autodiff with the other two for every parameter entry and returns a
:class:`GradReport` (``.ok``, an aligned table, ``.to_dict()``). :func:`check_gradient_fn` turns
the tool around: it checks a learner's *hand-written* gradient function against autodiff, at the
given point and a few random ones, and says which parameter is wrong, by how much, where, and
-- for the classic mistakes -- why. :func:`per_sample_breakdown` shows the gradient of a shared
parameter as the sum of one contribution per sample.

Tolerances (see ``docs/gradcheck.md``): two exact computations of the same sums differ only by
float64 round-off, so they must agree to :data:`RTOL_EXACT`; finite differences carry their own
error, truncation ``~ h^2`` plus round-off ``~ u / h``, so they are held to :data:`RTOL_NUMERICAL`.
Every comparison also allows an absolute round-off term proportional to the *size of the
numbers the quantity was computed from* (not to its value, which can cancel to zero).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import graph
from .value import Value

__all__ = [
    "analytic_grads",
    "numerical_grads",
    "gradcheck",
    "check_linear_regression",
    "check_gradient_fn",
    "per_sample_breakdown",
    "Comparison",
    "GradReport",
    "Breakdown",
    "DEFAULT_EPS",
    "RTOL_EXACT",
    "RTOL_NUMERICAL",
]

# u: the gap between 1.0 and the next float64. Every float64 operation is exact up to a
# relative error of u/2, so u * (size of the numbers involved) is the scale of round-off.
MACHINE_EPS = float(np.finfo(np.float64).eps)  # 2.2e-16

# The relative finite-difference step. Central differences err by truncation ~ h^2 |L'''| / 6
# plus round-off ~ u |L| / h; the sum is smallest near h = cbrt(u) (times the parameter's scale:
# the step is DEFAULT_EPS * max(1, |p|)). Forward differences would need sqrt(u) and still be
# off by ~sqrt(u) ~ 1e-8 relative; central ones reach ~u^(2/3) ~ 4e-11.
DEFAULT_EPS = MACHINE_EPS ** (1.0 / 3.0)  # ~6.1e-6

# Autodiff vs an exact formula (analytic, or your hand-written gradient): the same sums done in
# float64, different only in the order of operations, so ~1e-15 relative in practice. 1e-9
# leaves a wide margin for round-off yet is a million times smaller than any real mistake
# (a missing factor 2, a lost sample, a flipped sign all change the gradient by O(1) relative).
RTOL_EXACT = 1e-9

# Autodiff vs central differences: at the default step the method's own error is ~1e-10
# relative; 1e-6 still exposes every real mistake, and a step far too coarse for the loss's
# curvature (truncation ~ h^2) fails it.
RTOL_NUMERICAL = 1e-6

# Round-off bounds are per operation; a loss over n samples takes ~n of them and their errors
# mostly cancel (growing like sqrt(n), n at worst). 1000 covers data sets of ~10^5 samples at
# worst-case growth and far more in practice, yet stays ~1e-13 of the numbers involved.
ROUNDOFF_SAFETY = 1000.0

# A learner's gradient function is tried at the given point and this many random ones, drawn
# around it with spread max(1, |value|): a bug that vanishes at one point (b = 0, say) shows
# at the others.
N_RANDOM_POINTS = 3

# A hand-written gradient this close to autodiff (relative) but still failing has the right
# formula and the wrong arithmetic: mistakes in the math change a gradient by O(1).
NEAR_MISS = 1e-3

REDUCTIONS = ("sum", "mean")
_LOSS_REDUCTION = {"sse": "sum", "mse": "mean"}


# --- the analytic formulas -------------------------------------------------------------------


def _as_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as an ``(n, d)`` float64 matrix and ``y`` as ``(n,)``, with precise errors."""
    from .data import from_arrays

    d = from_arrays(x, y)
    return d.X, d.y


def _as_weights(w: Any, d: int) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(w, dtype=np.float64))
    if arr.ndim != 1 or arr.size != d:
        raise ValueError(f"w needs {d} number(s), one per feature of x, got shape {np.shape(w)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"w must be finite numbers, got {arr.tolist()}")
    return arr


def _as_bias(b: Any) -> float | None:
    if b is None:
        return None
    bf = float(b)
    if not math.isfinite(bf):
        raise ValueError(f"b must be a finite number (or None for no bias), got {b!r}")
    return bf


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")


def analytic_grads(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    reduction: str = "sum",
) -> tuple[float | np.ndarray, float | None]:
    """The closed-form gradient of the linear-regression squared loss.

    With ``r_i = w . x_i + b - y_i`` and ``L = sum_i r_i^2`` (``reduction="sum"``, the SSE) or
    ``L = (1/n) sum_i r_i^2`` (``"mean"``, the MSE), the chain rule gives::

        dL/dw_j = sum_i 2 r_i x_ij        dL/db = sum_i 2 r_i        (each / n for the mean)

    Args:
        w: one number (one feature, ``x`` of shape ``(n,)``) or ``d`` numbers (``x`` ``(n, d)``).
        b: the bias, or ``None`` for the model ``f(x) = w . x`` without one.
        x, y: the samples and targets.
        reduction: ``"sum"`` or ``"mean"``.

    Returns:
        ``(dw, db)``: ``dw`` a float for a single number ``w``, else an array of shape ``(d,)``;
        ``db`` a float, or ``None`` without bias.

    Example (the worked example, docs/sources.md section 2):
        >>> analytic_grads(1.0, 0.0, [1, 2, 3], [3, 5, 7])
        (-40.0, -18.0)
    """
    _check_reduction(reduction)
    X, Y = _as_data(x, y)
    wv = _as_weights(w, X.shape[1])
    bf = _as_bias(b)
    r = X @ wv + (bf or 0.0) - Y  # r_i = w . x_i + b - y_i
    scale = 2.0 / len(Y) if reduction == "mean" else 2.0
    dw = scale * (X.T @ r)  # dL/dw_j = sum_i 2 r_i x_ij
    db = None if bf is None else scale * float(r.sum())  # dL/db = sum_i 2 r_i
    return (float(dw[0]) if np.ndim(w) == 0 else dw), db


# --- parameters: Values and Tensors, entry by entry ------------------------------------------


def _is_value(p: Any) -> bool:
    return isinstance(p, Value)


def _check_param(p: Any) -> None:
    if _is_value(p):
        return
    data = getattr(p, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"parameters must be Values or Tensors, got {type(p).__name__}")
    if data.dtype != np.float64:
        raise TypeError(
            f"gradient checks need float64 parameters, got a {data.dtype} Tensor: in lower precision "
            "round-off swamps finite differences (see docs/gradcheck.md, 'Why float64')"
        )


def _param_name(p: Any, i: int) -> str:
    name = getattr(p, "label", None) if _is_value(p) else getattr(p, "name", None)
    return name or f"p{i}"


def _entries(p: Any) -> list[tuple[int, ...]]:
    """The indices of a parameter's entries: ``[()]`` for a Value or a 0-d Tensor."""
    return [()] if _is_value(p) else list(np.ndindex(p.data.shape))


def _entry_name(p: Any, i: int, idx: tuple[int, ...]) -> str:
    name = _param_name(p, i)
    if not idx or p.data.size == 1:  # a one-entry Tensor (w of a one-feature model) reads as its name
        return name
    return f"{name}[{', '.join(map(str, idx))}]"


def _get(p: Any, idx: tuple[int, ...]) -> float:
    return p.data if _is_value(p) else float(p.data[idx])


def _set(p: Any, idx: tuple[int, ...], v: float) -> None:
    if _is_value(p):
        p.data = v
    else:
        p.data[idx] = v


def _scalar(out: Any) -> float:
    """The number a loss function returned (a Value, a one-entry Tensor, or a plain number)."""
    if _is_value(out):
        return out.data
    arr = np.asarray(getattr(out, "data", out), dtype=np.float64)
    if arr.size != 1:
        raise ValueError(
            f"the loss must be a single number, got shape {arr.shape}; reduce it with .sum() or .mean()"
        )
    return float(arr.reshape(()))


# --- finite differences ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Difference:
    grad: float  # (L(p + h) - L(p - h)) / ((p + h) - (p - h))
    step: float  # h actually taken
    loss_scale: float  # max |L| over the two evaluations, for the round-off bound


def _central_differences(f: Callable[[], Any], params: Sequence[Any], eps: float) -> list[list[_Difference]]:
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0.0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    result: list[list[_Difference]] = []
    with graph.no_grad():
        for i, p in enumerate(params):
            _check_param(p)
            row = []
            for idx in _entries(p):
                x0 = _get(p, idx)
                h = eps * max(1.0, abs(x0))
                up, down = x0 + h, x0 - h
                if up == down:
                    raise ValueError(f"eps={eps:g} is too small to move {_entry_name(p, i, idx)}={x0!r}")
                try:
                    _set(p, idx, up)
                    f_up = _scalar(f())
                    _set(p, idx, down)
                    f_down = _scalar(f())
                finally:
                    _set(p, idx, x0)  # restored exactly: x0 itself, not x0 + h - h
                # divide by the step actually taken: (x0 + h) - (x0 - h) is exact, 2h may not be
                row.append(
                    _Difference((f_up - f_down) / (up - down), (up - down) / 2, max(abs(f_up), abs(f_down)))
                )
            result.append(row)
    return result


def _shaped(p: Any, values: list[float]) -> float | np.ndarray:
    return values[0] if _is_value(p) else np.array(values, dtype=np.float64).reshape(p.data.shape)


def numerical_grads(
    f: Callable[[], Any], params: Sequence[Any], eps: float = DEFAULT_EPS
) -> list[float | np.ndarray]:
    """Central finite differences of a scalar function of ``Value`` or ``Tensor`` parameters.

    For each parameter entry ``p`` (every entry of a Tensor), with the step
    ``h = eps * max(1, |p|)``::

        dL/dp ~ (L(p + h) - L(p - h)) / 2h      (error ~ h^2 |L'''| / 6 + u |L| / h)

    ``f`` takes no arguments: it reads the parameters' current values. Each entry is changed in
    place, ``f`` is evaluated under :class:`~tinygrad_lr.no_grad` (no graph is built), and the
    entry is restored to exactly its old value.

    Returns:
        one gradient per parameter, shaped like its ``.grad``: a float for a ``Value``, an
        array of the Tensor's shape for a ``Tensor``.

    Example:
        >>> w = Value(3.0)
        >>> [round(g, 6) for g in numerical_grads(lambda: w ** 2, [w])]   # d(w^2)/dw = 2w
        [6.0]
    """
    diffs = _central_differences(f, params, eps)
    return [_shaped(p, [d.grad for d in row]) for p, row in zip(params, diffs)]


# --- autodiff --------------------------------------------------------------------------------


def _autodiff(f: Callable[[], Any], params: Sequence[Any]) -> tuple[float, list[list[float]]]:
    """``(L, [gradient entries per parameter])`` by backpropagation, leaving ``.grad`` untouched."""
    if not graph.is_grad_enabled():
        raise RuntimeError("gradcheck needs autodiff: call it outside a no_grad() block")
    saved = [p.grad if _is_value(p) else (None if p.grad is None else np.array(p.grad)) for p in params]
    try:
        for p in params:
            p.zero_grad()
        out = f()
        loss = _scalar(out)
        if not hasattr(out, "backward"):
            raise TypeError(f"the loss function must return a Value or a Tensor, got {type(out).__name__}")
        out.backward()
        grads = []
        for p in params:
            if _is_value(p):
                grads.append([p.grad])
            else:
                g = np.zeros_like(p.data) if p.grad is None else np.asarray(p.grad, dtype=np.float64)
                grads.append([float(g[idx]) for idx in _entries(p)])
    finally:
        for p, g in zip(params, saved):
            p.zero_grad()
            p.grad = g  # a Tensor treats an assigned gradient as shared: it never writes into it
    return loss, grads


# --- the report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """One gradient entry at one point, autodiff against another method.

    ``ok`` when ``abs_err <= atol + rtol * max(|autodiff|, |other|)``: a relative tolerance plus
    an absolute round-off allowance ``atol`` that scales with the size of the numbers the
    gradient was computed from.
    """

    point: int  # which evaluation point (0: the one given)
    param: str  # "w", "w[1]", "b", ...
    autodiff: float
    method: str  # "analytic", "numerical" or "yours"
    other: float
    atol: float
    rtol: float
    hint: str = ""  # for a failing hand-written gradient: the classic mistake it matches

    @property
    def abs_err(self) -> float:
        return abs(self.autodiff - self.other)

    @property
    def rel_err(self) -> float:
        size = max(abs(self.autodiff), abs(self.other))
        return 0.0 if self.abs_err == 0.0 else self.abs_err / size

    @property
    def allowed(self) -> float:
        """The largest absolute error that passes."""
        return self.atol + self.rtol * max(abs(self.autodiff), abs(self.other))

    @property
    def ok(self) -> bool:
        return bool(self.abs_err <= self.allowed)  # False for NaN

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "param": self.param,
            "autodiff": _json_float(self.autodiff),
            "method": self.method,
            "value": _json_float(self.other),
            "abs_err": _json_float(self.abs_err),
            "rel_err": _json_float(self.rel_err),
            "atol": self.atol,
            "rtol": self.rtol,
            "allowed": _json_float(self.allowed),
            "ok": self.ok,
            "hint": self.hint,
        }


def _json_float(v: float) -> float | str:
    return v if math.isfinite(v) else str(v)  # JSON has no NaN or inf


def _g(v: float) -> str:
    return f"{v + 0.0:.12g}"  # + 0.0 turns -0.0 (2 * r * 0 with r < 0) into 0


def _e(v: float) -> str:
    return "0" if v == 0.0 else f"{v:.1e}"


def _point_text(point: dict[str, float]) -> str:
    return ", ".join(f"{k}={_g(v)}" for k, v in point.items())


@dataclass
class GradReport:
    """The result of a gradient check: one :class:`Comparison` per parameter entry, method and point.

    ``ok`` is True when every comparison passes. ``str(report)`` is an aligned table followed by
    a verdict naming each disagreeing parameter, the point, and the size of the error;
    ``report.to_dict()`` is the same for JSON.
    """

    title: str
    points: list[dict[str, float]]  # the parameter values at each point
    comparisons: list[Comparison]
    losses: list[float] = field(default_factory=list)  # L at each point
    eps: float | None = None  # the finite-difference step (relative), if used

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.comparisons)

    @property
    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.ok]

    def autodiff(self, point: int = 0) -> dict[str, float]:
        """``{param: dL/dparam}`` by autodiff at a point (default: the one given)."""
        return {c.param: c.autodiff for c in self.comparisons if c.point == point}

    def verdict(self) -> str:
        """One line when all agree; otherwise which parameter disagrees, where, by how much, and why."""
        n = len(self.comparisons)
        if self.ok:
            return f"OK: all {n} comparisons agree."
        bad = self.failures
        params = list(dict.fromkeys(c.param for c in bad))
        lines = [f"FAILED: {len(bad)} of {n} comparisons disagree, for {', '.join(params)}."]
        for c in bad:
            lines.append(
                f"  {c.param} at point {c.point} ({_point_text(self.points[c.point])}): "
                f"{c.method} = {_g(c.other)}, autodiff = {_g(c.autodiff)}; off by {_e(c.abs_err)} "
                f"(relative error {c.rel_err:.3g}, allowed {_e(c.allowed)})"
            )
        for param in params:
            for hint in dict.fromkeys(c.hint for c in bad if c.param == param and c.hint):
                lines.append(f"  hint for {param}: {hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [self.title]
        for k, point in enumerate(self.points):
            loss = f"   L = {_g(self.losses[k])}" if k < len(self.losses) else ""
            lines.append(f"point {k}: {_point_text(point)}{loss}")
        if self.eps is not None:
            lines.append(f"finite differences: central, step h = {self.eps:.2g} * max(1, |p|)")
        lines.append("")
        header = ["point", "param", "autodiff", "method", "value", "abs err", "rel err", "allowed", "result"]
        rows = [
            [
                str(c.point),
                c.param,
                _g(c.autodiff),
                c.method,
                _g(c.other),
                _e(c.abs_err),
                _e(c.rel_err),
                _e(c.allowed),
                "ok" if c.ok else "FAIL",
            ]
            for c in self.comparisons
        ]
        lines += _table(header, rows, right={2, 4, 5, 6, 7})
        lines.append("")
        lines.append(self.verdict())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "ok": self.ok,
            "points": self.points,
            "losses": [_json_float(v) for v in self.losses],
            "eps": self.eps,
            "comparisons": [c.to_dict() for c in self.comparisons],
            "verdict": self.verdict(),
        }


def _table(header: list[str], rows: list[list[str]], right: Collection[int] = ()) -> list[str]:
    widths = [max(len(r[j]) for r in [header, *rows]) for j in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if j in right else c.ljust(w) for j, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return [line(header), *(line(r) for r in rows)]


# --- gradcheck -------------------------------------------------------------------------------


def _data_scales(
    X: np.ndarray, Y: np.ndarray, w: np.ndarray, b: float | None, reduction: str
) -> tuple[float, np.ndarray]:
    """Sizes of the numbers the loss and its gradient are computed from, for round-off bounds.

    With ``M_i = sum_j |w_j x_ij| + |b| + |y_i|`` (which bounds ``|r_i|``): the loss is built from
    numbers of size ``sum_i M_i^2``, ``dL/dw_j`` from ``sum_i 2 M_i |x_ij|``, ``dL/db`` from
    ``sum_i 2 M_i`` (each / n for the mean). Unlike ``|L|`` or ``|dL/dw|``, these do not cancel.
    """
    M = np.abs(X) @ np.abs(w) + abs(b or 0.0) + np.abs(Y)
    k = 1.0 / len(Y) if reduction == "mean" else 1.0
    loss_scale = k * float(M @ M)
    grad_scale = 2.0 * k * (np.abs(X).T @ M)
    if b is not None:
        grad_scale = np.append(grad_scale, 2.0 * k * float(M.sum()))
    return loss_scale, grad_scale


def gradcheck(
    f: Callable[[], Any],
    params: Sequence[Any],
    *,
    data: tuple[Any, Any] | None = None,
    reduction: str = "sum",
    eps: float = DEFAULT_EPS,
    rtol_exact: float = RTOL_EXACT,
    rtol_numerical: float = RTOL_NUMERICAL,
    title: str | None = None,
) -> GradReport:
    """Check the autodiff gradient of a loss against finite differences (and the analytic formula).

    ``f()`` builds the loss from the current values of ``params`` (``Value`` or ``Tensor`` leaves)
    with the framework's operations and returns it (a ``Value`` or one-entry ``Tensor``). For every
    parameter entry the report compares autodiff with

    * central finite differences, ``(L(p + h) - L(p - h)) / 2h`` (always);
    * the analytic formula ``dL/dw_j = sum_i 2 r_i x_ij``, ``dL/db = sum_i 2 r_i`` (/ n for
      ``reduction="mean"``), when ``data=(x, y)`` is given: then ``f`` must be the linear-regression
      loss on that data, and the parameter entries, in order, are ``w_1 .. w_d`` then ``b``
      (``b`` optional).

    The parameters' values and ``.grad`` are left as they were.

    Example (the worked example, docs/sources.md section 2):
        >>> w, b = Value(1.0, label="w"), Value(0.0, label="b")
        >>> xs, ys = [1, 2, 3], [3, 5, 7]
        >>> report = gradcheck(lambda: sum((w * x + b - y) ** 2 for x, y in zip(xs, ys)), [w, b],
        ...                    data=(xs, ys))
        >>> report.ok, report.autodiff()
        (True, {'w': -40.0, 'b': -18.0})
    """
    params = list(params)
    if not params:
        raise ValueError("gradcheck needs at least one parameter")
    for p in params:
        _check_param(p)
    names = [_entry_name(p, i, idx) for i, p in enumerate(params) for idx in _entries(p)]
    values = [_get(p, idx) for p in params for idx in _entries(p)]

    loss, auto_rows = _autodiff(f, params)
    auto = [g for row in auto_rows for g in row]
    diffs = [d for row in _central_differences(f, params, eps) for d in row]

    analytic: list[float] | None = None
    grad_scale: np.ndarray | None = None
    loss_scale: float | None = None
    if data is not None:
        _check_reduction(reduction)
        X, Y = _as_data(*data)
        d = X.shape[1]
        if len(values) not in (d, d + 1):
            raise ValueError(
                f"with data of {d} feature(s) the parameters must be w_1..w_{d} and optionally b "
                f"({d} or {d + 1} entries), got {len(values)}: {', '.join(names)}"
            )
        w = np.array(values[:d])
        b = values[d] if len(values) == d + 1 else None
        dw, db = analytic_grads(w, b, X, Y, reduction)
        analytic = list(np.atleast_1d(dw)) + ([] if db is None else [db])
        loss_scale, grad_scale = _data_scales(X, Y, w, b, reduction)

    comparisons = []
    for k, (name, a, diff) in enumerate(zip(names, auto, diffs)):
        if analytic is not None and grad_scale is not None:
            atol = ROUNDOFF_SAFETY * MACHINE_EPS * float(grad_scale[k])
            comparisons.append(Comparison(0, name, a, "analytic", float(analytic[k]), atol, rtol_exact))
        # round-off in L(p +- h) is ~u * (size of L's numbers); dividing by 2h magnifies it
        scale = max(diff.loss_scale, loss_scale or 0.0)
        atol = ROUNDOFF_SAFETY * MACHINE_EPS * scale / diff.step
        comparisons.append(Comparison(0, name, a, "numerical", diff.grad, atol, rtol_numerical))

    if title is None:
        what = (
            "autodiff vs analytic formula and finite differences"
            if data is not None
            else ("autodiff vs finite differences")
        )
        title = f"gradcheck: {what}"
    return GradReport(title, [dict(zip(names, values))], comparisons, [loss], eps)


# --- the linear-regression loss, built by the framework --------------------------------------


def _build_loss(w: np.ndarray, b: float | None, X: np.ndarray, Y: np.ndarray, loss: str, engine: str):
    """``(f, params)``: the framework's model and loss on ``(X, Y)``, parameters set to ``w, b``."""
    from .losses import get_loss
    from .models import LinearRegression

    _, loss_fn = get_loss(loss)
    model = LinearRegression(X.shape[1], bias=b is not None, w=w, b=b, engine=engine)
    return (lambda: loss_fn(model(X), Y)), model.parameters()


def _reduction_of(loss: str) -> str:
    key = loss.lower() if isinstance(loss, str) else loss
    if key not in _LOSS_REDUCTION:
        raise ValueError(f"loss must be 'sse' or 'mse', got {loss!r}")
    return _LOSS_REDUCTION[key]


def check_linear_regression(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    *,
    loss: str = "sse",
    engine: str = "value",
    eps: float = DEFAULT_EPS,
) -> GradReport:
    """:func:`gradcheck` of the framework's own linear-regression model and loss at ``(w, b)``.

    Builds :class:`~tinygrad_lr.models.LinearRegression` on ``engine`` (``"value"`` or
    ``"tensor"``) and the loss ``"sse"`` (sum) or ``"mse"`` (mean) from
    :mod:`tinygrad_lr.losses`, then compares autodiff with the analytic formula and finite
    differences for every parameter.

    Example (the worked example: ``dL/dw = -40``, ``dL/db = -18``):
        >>> report = check_linear_regression(1.0, 0.0, [1, 2, 3], [3, 5, 7])
        >>> report.ok, report.autodiff()
        (True, {'w': -40.0, 'b': -18.0})
    """
    reduction = _reduction_of(loss)
    X, Y = _as_data(x, y)
    wv, bf = _as_weights(w, X.shape[1]), _as_bias(b)
    f, params = _build_loss(wv, bf, X, Y, loss.lower(), engine)
    title = (
        f"gradcheck: {loss.lower()} loss, {engine} engine, {len(Y)} sample(s), {X.shape[1]} feature(s): "
        "autodiff vs analytic formula and finite differences"
    )
    return gradcheck(f, params, data=(X, Y), reduction=reduction, eps=eps, title=title)


# --- checking a learner's gradient function ---------------------------------------------------


def _hint(yours: float, auto: float, contributions: np.ndarray, n: int) -> str:
    """The classic mistake ``yours`` matches, if any (``contributions``: this entry's per-sample
    terms of the true gradient, already reduced, so ``auto == contributions.sum()``)."""

    def close(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b)) and b != 0.0

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
    rel = abs(yours - auto) / max(abs(yours), abs(auto))
    if rel < NEAR_MISS:
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
    from .data import as_generator

    reduction = _reduction_of(loss)
    X, Y = _as_data(x, y)
    n, d = X.shape
    wv, bf = _as_weights(w, d), _as_bias(b)
    scalar_w = np.ndim(w) == 0
    x_given = np.array(x, dtype=np.float64)  # the shape the learner passed: (n,) or (n, d)
    gen = as_generator(rng)
    if isinstance(n_random, bool) or not isinstance(n_random, int) or n_random < 0:
        raise ValueError(f"n_random must be a whole number >= 0, got {n_random!r}")

    points: list[tuple[np.ndarray, float | None]] = [(wv, bf)]
    for _ in range(n_random):
        wk = wv + np.maximum(1.0, np.abs(wv)) * gen.standard_normal(d)
        bk = None if bf is None else bf + max(1.0, abs(bf)) * float(gen.standard_normal())
        points.append((wk, bk))

    w_names = ["w"] if scalar_w else [f"w[{j}]" for j in range(d)]
    names = w_names + ([] if bf is None else ["b"])
    report_points, losses, comparisons = [], [], []
    for k, (wk, bk) in enumerate(points):
        f, params = _build_loss(wk, bk, X, Y, loss.lower(), engine)
        lk, auto_rows = _autodiff(f, params)
        auto = [g for row in auto_rows for g in row]
        yours = _call_learner(
            fn, float(wk[0]) if scalar_w else wk.copy(), bk, x_given.copy(), Y.copy(), d, bk is not None
        )
        _, grad_scale = _data_scales(X, Y, wk, bk, reduction)
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


def _call_learner(
    fn: Callable[..., Any], w: Any, b: float | None, x: np.ndarray, y: np.ndarray, d: int, bias: bool
) -> list[float]:
    out = fn(w, b, x, y)
    try:
        dw, db = out
    except (TypeError, ValueError):
        raise ValueError(f"your gradient function must return (dw, db), got {out!r}") from None
    dw_arr = np.asarray(dw, dtype=np.float64).ravel()
    if dw_arr.size != d:
        raise ValueError(f"your gradient function returned dw with {dw_arr.size} number(s); w has {d}")
    values = dw_arr.tolist()
    if bias:
        if db is None or np.size(db) != 1:
            raise ValueError(f"your gradient function must return one number for db, got {db!r}")
        values.append(float(np.asarray(db, dtype=np.float64).reshape(())))
    return values


# --- per-sample breakdown --------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """Each sample's term of the gradient, and their sum (or mean): see :func:`per_sample_breakdown`."""

    X: np.ndarray  # (n, d)
    y: np.ndarray  # (n,)
    w: np.ndarray  # (d,)
    b: float | None
    reduction: str

    @property
    def predictions(self) -> np.ndarray:
        return self.X @ self.w + (self.b or 0.0)

    @property
    def residuals(self) -> np.ndarray:
        """``r_i = w . x_i + b - y_i``."""
        return self.predictions - self.y

    @property
    def terms_w(self) -> np.ndarray:
        """``dL_i/dw_j = 2 r_i x_ij``, shape ``(n, d)``."""
        return 2.0 * self.residuals[:, None] * self.X

    @property
    def terms_b(self) -> np.ndarray | None:
        """``dL_i/db = 2 r_i``, shape ``(n,)`` (``None`` without bias)."""
        return None if self.b is None else 2.0 * self.residuals

    @property
    def grad_w(self) -> np.ndarray:
        """``dL/dw_j``: the sum of the terms (or their mean)."""
        total = self.terms_w.sum(axis=0)
        return total / len(self.y) if self.reduction == "mean" else total

    @property
    def grad_b(self) -> float | None:
        if self.terms_b is None:
            return None
        total = float(self.terms_b.sum())
        return total / len(self.y) if self.reduction == "mean" else total

    @property
    def shares(self) -> np.ndarray:
        """Each sample's share of every gradient entry, ``(n, d)`` or ``(n, d + 1)`` with ``b``:
        the terms, divided by n for the mean, so each column sums to the gradient."""
        terms = self.terms_w if self.terms_b is None else np.column_stack([self.terms_w, self.terms_b])
        return terms / len(self.y) if self.reduction == "mean" else terms

    def _w_names(self) -> list[str]:
        d = self.X.shape[1]
        return ["w"] if d == 1 else [f"w{j + 1}" for j in range(d)]

    def __str__(self) -> str:
        d, n = self.X.shape[1], len(self.y)
        wn = self._w_names()
        xn = ["x"] if d == 1 else [f"x{j + 1}" for j in range(d)]
        loss = "sum_i" if self.reduction == "sum" else f"(1/{n}) sum_i"
        model = " + ".join(f"{a}*x_i{a[1:]}" for a in wn) + (" + b" if self.b is not None else "")
        at = ", ".join(f"{a}={_g(v)}" for a, v in zip(wn, self.w)) + (
            "" if self.b is None else f", b={_g(self.b)}"
        )
        lines = [
            f"per-sample gradient of L = {loss} r_i^2, r_i = {model} - y_i, at {at}",
            (
                "each sample's term: dL_i/dw = 2*r_i*x_i"
                if d == 1
                else "each sample's term: dL_i/dw_j = 2*r_i*x_ij"
            )
            + (", dL_i/db = 2*r_i" if self.b is not None else ""),
            "",
        ]
        header = ["i", *xn, "y", "f", "r = f - y", *[f"2*r*{c}" for c in xn]]
        if self.b is not None:
            header.append("2*r")
        rows = []
        tb = self.terms_b
        for i in range(n):
            row = [
                str(i),
                *(_g(v) for v in self.X[i]),
                _g(self.y[i]),
                _g(self.predictions[i]),
                _g(self.residuals[i]),
                *(_g(v) for v in self.terms_w[i]),
            ]
            if tb is not None:
                row.append(_g(tb[i]))
            rows.append(row)
        blank = [""] * (d + 3)
        sums = self.terms_w.sum(axis=0)
        total = ["sum", *blank, *(_g(v) for v in sums)] + ([] if tb is None else [_g(float(tb.sum()))])
        rows.append(total)
        if self.reduction == "mean":
            gb = self.grad_b
            rows.append(["mean", *blank, *(_g(v) for v in self.grad_w)] + ([] if gb is None else [_g(gb)]))
        lines += _table(header, rows, right=set(range(1, len(header))))
        grads = [f"dL/d{a} = {_g(v)}" for a, v in zip(wn, self.grad_w)]
        if self.grad_b is not None:
            grads.append(f"dL/db = {_g(self.grad_b)}")
        lines += ["", "  ".join(grads)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reduction": self.reduction,
            "w": self.w.tolist(),
            "b": self.b,
            "samples": [
                {
                    "x": self.X[i].tolist(),
                    "y": float(self.y[i]),
                    "prediction": float(self.predictions[i]),
                    "residual": float(self.residuals[i]),
                    "dw": self.terms_w[i].tolist(),
                    "db": None if self.terms_b is None else float(self.terms_b[i]),
                }
                for i in range(len(self.y))
            ],
            "grad_w": self.grad_w.tolist(),
            "grad_b": self.grad_b,
        }


def per_sample_breakdown(
    w: float | Sequence[float] | np.ndarray,
    b: float | None,
    x: Any,
    y: Any,
    reduction: str = "sum",
) -> Breakdown:
    """Each sample's term of the gradient, so a shared parameter's gradient is seen as a sum.

    ``w`` and ``b`` are used by every sample, so (with ``r_i = w . x_i + b - y_i``)::

        dL/dw = sum_i dL_i/dw = sum_i 2 r_i x_i        dL/db = sum_i 2 r_i     (/ n for the mean)

    One-sample SGD steps along a single term; a mini-batch along the sum of a few.
    ``str()`` of the result is a table, one row per sample, then the sum (and the mean).

    Example (the worked example):
        >>> bd = per_sample_breakdown(1.0, 0.0, [1, 2, 3], [3, 5, 7])
        >>> bd.terms_w[:, 0].tolist(), bd.terms_b.tolist(), bd.grad_w.tolist(), bd.grad_b
        ([-4.0, -12.0, -24.0], [-4.0, -6.0, -8.0], [-40.0], -18.0)
    """
    _check_reduction(reduction)
    X, Y = _as_data(x, y)
    return Breakdown(X, Y, _as_weights(w, X.shape[1]), _as_bias(b), reduction)
