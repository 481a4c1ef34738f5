"""Each eigen-direction's error against the step, on a log axis: GD's are straight lines."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ....theory import number
from ..base import new_figure, target
from .bowl import FLAT, STEEP, legend_below
from .landscape import marker_steps

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ....theory import Prediction

OTHERS = ("tab:blue", "tab:orange", "tab:red", "tab:brown", "tab:pink", "tab:olive")
ROUNDING = 1e-12  # an error below this times the parameters' size is rounding: "0 (to rounding)"
ZOOM = 0.1  # a direction done within this fraction of the steps gets a panel of its own first steps


def _colors(n: int) -> list[str]:
    """The flattest direction green and the steepest purple, as in the landscape; others between."""
    if n == 1:
        return [FLAT]
    return [FLAT, *(OTHERS[i % len(OTHERS)] for i in range(n - 2)), STEEP]


@dataclass(frozen=True)
class _Errors:
    """What both panels draw: ``|e_ki|`` predicted and run, the rounding floor, the colours."""

    p: Prediction
    predicted: np.ndarray
    run: np.ndarray | None
    floor: float
    colors: list[str]


def error_directions(
    prediction: Prediction, actual: Any = None, *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """``|q_i . (theta_k - theta*)|`` against ``k`` for every eigen-direction ``q_i``, on a log axis.

    The prediction is a line per direction; for GD ``e0_i (1 - lr*lambda_i)^k``, a straight line
    whose slope is ``log |1 - lr*lambda_i|`` (written on it). For momentum the line may swell first
    and wiggle, and in the long run takes the slope of ``rho_i^k`` (dotted, ``rho_i`` the 2x2
    recurrence's spectral radius). ``actual``
    (parameter vectors per step, e.g. ``history.params``) is drawn as points on the lines. When a
    direction is done (0 to rounding, or a millionth of its start) within a tenth of the steps, a
    first panel shows the steps until then, so its line is seen (without ``ax``).

    Example:
        >>> from tinygrad_lr.theory import quadratic
        >>> q = quadratic(([1, 2, 3], [3, 5, 7]))
        >>> fig = error_directions(q.predict("gd", 0.1, 60))
    """
    p = prediction
    size = max(float(np.abs(p.minimizer).max()), float(np.abs(p.start).max()), 1e-300)
    run = None
    if actual is not None:
        run = (np.asarray(actual, dtype=np.float64).reshape(-1, p.start.size) - p.minimizer) @ p.eigenvectors
    data = _Errors(
        p, np.abs(p.errors), None if run is None else np.abs(run), ROUNDING * size, _colors(p.errors.shape[1])
    )
    quick = _quick(data)
    name = title or f"{p.title}: each eigen-direction on its own"
    if ax is None and quick is not None:
        fig, (first, whole) = new_figure(ncols=2, width=4.6, height=4.6)
        _panel(first, data, quick, f"the first {quick} steps")
        _panel(whole, data, p.steps, f"all {p.steps} steps")
        first.set_ylabel("|error along q_i|  =  |q_i . (theta_k - theta*)|")
        handles, labels = first.get_legend_handles_labels()
        labels = [textwrap.fill(text, 110, subsequent_indent="    ") for text in labels]
        fig.legend(handles, labels, loc="outside lower center", fontsize=7.5, frameon=False)
        fig.suptitle(name, fontsize=10)
        return fig
    own = ax is None
    fig, ax = target(ax, width=6.8, height=4.6)
    _panel(ax, data, p.steps, name)
    ax.set_ylabel("|error along q_i|  =  |q_i . (theta_k - theta*)|")
    legend_below(ax, own)
    return fig


def _quick(d: _Errors) -> int | None:
    """The steps a zoomed first panel shows: up to where the quickest direction is done, if that is
    within a tenth of the run; else ``None`` (one panel shows every line)."""
    e = d.predicted
    done = (e <= d.floor) | (e <= 1e-6 * np.maximum(e[:1], d.floor))
    ends = [int(np.argmax(col)) for col in done.T if col.any() and not col[0]]
    alive = np.flatnonzero(np.any(e > d.floor, axis=1))
    last = int(alive[-1]) + 1 if alive.size else 1  # the whole panel shows no further than this
    if not ends or min(ends) > ZOOM * last:
        return None
    return max(int(1.5 * min(ends)) + 2, 5)


def _panel(ax: Axes, d: _Errors, upto: int, title: str) -> None:
    e = d.predicted[: upto + 1]
    k = np.arange(e.shape[0])
    for i in range(e.shape[1]):
        run = None if d.run is None else d.run[: upto + 1, i]
        _direction(ax, d, i, k, e[:, i], run, full=d.run is None or d.run.shape[0] >= d.predicted.shape[0])
    ax.set_yscale("log")
    top = float(e.max()) * 4 or 1.0  # momentum's errors can grow before they shrink
    shown = e[e > d.floor]
    bottom = min(max(d.floor, (float(shown.min()) if shown.size else d.floor) / 3), top / 400)
    ax.set_ylim(bottom, top)
    for i in range(e.shape[1]):
        _drop(ax, e[:, i], d.floor, bottom, d.colors[i])
    alive = np.flatnonzero(np.any(e > d.floor, axis=1))
    ax.set_xlim(0, max(int(alive[-1]) + 1 if alive.size else 1, min(upto, 5), 1))
    ax.set_xlabel("step k")
    ax.locator_params(axis="x", nbins=5)  # 140000 and 160000 side by side must not touch
    ax.grid(True, which="major", alpha=0.3)
    ax.set_title(title, fontsize=9.5)


def _drop(ax: Axes, e: np.ndarray, floor: float, bottom: float, color: str) -> None:
    """Where a direction's error falls to 0 (to rounding): a dashed arrow off the bottom of the axis."""
    gone = np.flatnonzero((e <= floor) & (np.arange(e.size) > 0))
    if gone.size and e[gone[0] - 1] > floor:
        g = int(gone[0])
        ax.annotate(
            "",
            xy=(g, bottom),
            xytext=(g - 1, float(e[g - 1])),
            annotation_clip=False,
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.3, "ls": "--"},
            gid="drop",
        )


def _words(d: _Errors, i: int) -> tuple[str, str]:
    """The rate written on a line, and the legend's words for it."""
    p = d.p
    factor = p.factors[i] if p.factors is not None else None
    if factor is not None:
        rate = f"|1 - lr*lambda{i + 1}| = {number(abs(factor))}"
        flips = " (negative: the sign flips every step, the zig-zag)" if factor < -ROUNDING else ""
    else:
        rate = f"rho{i + 1} = {number(float(p.radii[i]))}"
        flips = " (dotted: e0 * rho^k, the slope the line takes in the long run)"
    gone = np.flatnonzero(~(d.predicted[:, i] > d.floor))
    tail = f"; 0 (to rounding) from step {int(gone[gone > 0][0])}" if np.any(gone > 0) else ""
    lam = number(float(p.eigenvalues[i]), 4)
    return rate, f"q{i + 1}, lambda{i + 1} = {lam}, predicted: {rate}{flips}{tail}"


def _direction(
    ax: Axes, d: _Errors, i: int, k: np.ndarray, e: np.ndarray, run: np.ndarray | None, full: bool
) -> None:
    """One direction: its predicted line, its rate written on it, the run's points on it."""
    color = d.colors[i]
    shown = np.where(e > d.floor, e, np.nan)  # 0 (to rounding) has no place on a log axis: the legend says
    rate, words = _words(d, i)
    ax.plot(k, shown, color=color, lw=1.6, gid=f"predicted:q{i + 1}", label=words)
    if d.p.factors is None and e[0] > d.floor:  # momentum: the slope rho sets, beside the line
        ax.plot(k, e[0] * float(d.p.radii[i]) ** k, color=color, lw=0.9, ls=":", gid=f"envelope:q{i + 1}")
    if run is not None:
        pick = marker_steps(len(run))
        pick = pick[run[pick] > d.floor]
        seen = "" if full else f" (its first {d.run.shape[0] - 1} steps)" if d.run is not None else ""
        ax.scatter(
            pick,
            run[pick],
            s=18,
            facecolors="none",
            edgecolors=color,
            lw=1.0,
            zorder=5,
            gid=f"actual:q{i + 1}",
            label=f"q{i + 1}: the engine's run{seen}",
        )
    drawn = np.flatnonzero(np.isfinite(shown))
    if 0 < drawn.size <= 2 or drawn.size > 2 and drawn[-1] >= 0.05 * k[-1]:  # a line to write on, or a point
        j = int(drawn[len(drawn) // 2]) if drawn.size > 2 else int(drawn[0])
        box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
        ax.annotate(
            rate,
            (float(k[j]), float(shown[j])),
            xytext=(0, -7) if drawn.size > 2 else (8, 0),
            textcoords="offset points",
            fontsize=8.5,
            color=color,
            gid=f"rate:q{i + 1}",
            ha="center" if drawn.size > 2 else "left",
            va="top" if drawn.size > 2 else "center",
            bbox=box,
        )
