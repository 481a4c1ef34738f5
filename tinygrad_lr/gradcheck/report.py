"""How a gradient check reads: one :class:`Comparison` per entry, the :class:`GradReport` table
and verdict, and the per-sample :class:`Breakdown` of a shared parameter's gradient."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..compare import isclose
from .numeric import as_bias, as_data, as_weights, check_reduction


@dataclass(frozen=True)
class Comparison:
    """One gradient entry at one point, autodiff against another method.

    ``ok`` by the project's one comparison, :func:`tinygrad_lr.compare.isclose`: both numbers are
    finite and ``abs_err <= atol + rtol * max(|autodiff|, |other|)``, a relative tolerance plus an
    absolute round-off allowance ``atol`` that scales with the size of the numbers the gradient was
    computed from. A NaN or an infinity never passes: ``inf`` against ``inf`` (or against a finite
    number, where the allowance itself becomes ``inf``) compares nothing.
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
        if not self.finite:  # nothing to compare (and nan / 0 is no number either)
            return math.nan
        size = max(abs(self.autodiff), abs(self.other))
        return 0.0 if self.abs_err == 0.0 else self.abs_err / size

    @property
    def allowed(self) -> float:
        """The largest absolute error that passes."""
        return self.atol + self.rtol * max(abs(self.autodiff), abs(self.other))

    @property
    def finite(self) -> bool:
        """Both gradients are finite numbers (neither NaN nor +-inf)."""
        return math.isfinite(self.autodiff) and math.isfinite(self.other)

    @property
    def ok(self) -> bool:
        if not math.isfinite(self.atol):  # a round-off scale that overflowed would pass anything
            return False
        return bool(isclose(self.autodiff, self.other, rtol=self.rtol, atol=self.atol))

    def nonfinite_reason(self) -> str:
        """Which number is not finite and the likely cause ("" when both are finite)."""
        if self.finite:
            return ""
        parts = []
        if not math.isfinite(self.autodiff):
            parts.append(f"autodiff gave {self.autodiff}")
        if not math.isfinite(self.other):
            parts.append(f"{_METHOD_NAME[self.method]} gave {self.other}")
        causes = {
            "numerical": "the loss overflowed float64 (beyond ~1.8e308) or is undefined a step h away",
            "yours": "an overflow or a division by zero in your gradient function?",
        }
        cause = causes.get(self.method, "the loss or its gradient overflowed float64 (beyond ~1.8e308)")
        return f"{' and '.join(parts)}: not a finite number, so nothing can be compared ({cause})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point,
            "param": self.param,
            "autodiff": _json_float(self.autodiff),
            "method": self.method,
            "value": _json_float(self.other),
            "abs_err": _json_float(self.abs_err),
            "rel_err": _json_float(self.rel_err),
            "atol": _json_float(self.atol),
            "rtol": self.rtol,
            "allowed": _json_float(self.allowed),
            "ok": self.ok,
            "hint": self.hint,
            "problem": self.nonfinite_reason(),
        }


_METHOD_NAME = {"numerical": "finite differences", "analytic": "the analytic formula", "yours": "yours"}


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
    overflow: str = ""  # where the numbers overflow float64 ("": nowhere); then nothing can be checked

    @property
    def ok(self) -> bool:
        """Every comparison passes and every loss is finite (a NaN or inf never passes)."""
        return all(c.ok for c in self.comparisons) and all(map(math.isfinite, self.losses))

    @property
    def failures(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.ok]

    def autodiff(self, point: int = 0) -> dict[str, float]:
        """``{param: dL/dparam}`` by autodiff at a point (default: the one given)."""
        return {c.param: c.autodiff for c in self.comparisons if c.point == point}

    def overflow_sentence(self) -> str:
        """What the overflow means, in a sentence (``""`` when the numbers did not overflow)."""
        if not self.overflow:
            return ""
        return (
            f"{self.overflow}: the numbers overflow float64 (beyond ~1.8e308), so no gradient can be "
            "checked here; choose smaller parameter values or rescale the data"
        )

    def verdict(self) -> str:
        """One line when all agree; otherwise which parameter disagrees, where, by how much, and why."""
        n = len(self.comparisons)
        if self.ok:
            return f"OK: all {n} comparisons agree."
        bad = self.failures
        params = list(dict.fromkeys(c.param for c in bad))
        if self.overflow:  # no gradient disagreed: none could be checked; the non-finite numbers say where
            bad = [c for c in bad if not c.finite]
            params = []
            lines = [f"FAILED: {self.overflow_sentence()}"]
        elif bad:
            lines = [f"FAILED: {len(bad)} of {n} comparisons disagree, for {', '.join(params)}."]
        else:
            lines = [f"FAILED: the gradients agree in all {n} comparisons, but the loss is not finite."]
        for k, loss in enumerate(self.losses):
            if not math.isfinite(loss):
                lines.append(
                    f"  the loss at point {k} ({_point_text(self.points[k])}) is {loss}: a gradient "
                    "check needs a finite loss (rescale the data or choose smaller parameters)"
                )
        for c in bad:
            if not c.finite:
                lines.append(
                    f"  {c.param} at point {c.point} ({_point_text(self.points[c.point])}): "
                    f"{c.nonfinite_reason()}"
                )
                continue
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
            "points": [{k: _json_float(v) for k, v in p.items()} for p in self.points],
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
    check_reduction(reduction)
    X, Y = as_data(x, y)
    return Breakdown(X, Y, as_weights(w, X.shape[1]), as_bias(b), reduction)
