"""Each eigen-direction's error against the step, on a log axis: GD's are straight lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ....theory import number
from ..base import target
from .bowl import FLAT, STEEP, legend_below
from .landscape import marker_steps

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ....theory import Prediction

OTHERS = ("tab:blue", "tab:orange", "tab:red", "tab:brown", "tab:pink", "tab:olive")
ROUNDING = 1e-12  # an error below this times the parameters' size is rounding: "0 (to rounding)"


def _colors(n: int) -> list[str]:
    """The flattest direction green and the steepest purple, as in the landscape; others between."""
    if n == 1:
        return [FLAT]
    return [FLAT, *(OTHERS[i % len(OTHERS)] for i in range(n - 2)), STEEP]


def error_directions(
    prediction: Prediction, actual: Any = None, *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """``|q_i . (theta_k - theta*)|`` against ``k`` for every eigen-direction ``q_i``, on a log axis.

    The prediction is a line per direction; for GD ``e0_i (1 - lr*lambda_i)^k``, a straight line
    whose slope is ``log |1 - lr*lambda_i|`` (written on it). For momentum the line wiggles under
    its envelope ``rho_i^k`` (dotted, ``rho_i`` the 2x2 recurrence's spectral radius). ``actual``
    (parameter vectors per step, e.g. ``history.params``) is drawn as points on the lines.

    Example:
        >>> from tinygrad_lr.theory import quadratic
        >>> q = quadratic(([1, 2, 3], [3, 5, 7]))
        >>> fig = error_directions(q.predict("gd", 0.1, 60))
    """
    fig, ax = target(ax, width=6.8, height=4.6)
    p = prediction
    k = np.arange(p.steps + 1)
    size = max(float(np.abs(p.minimizer).max()), float(np.abs(p.start).max()), 1e-300)
    floor = ROUNDING * size  # an error this small next to the parameters is their rounding
    colors = _colors(p.errors.shape[1])
    run = None
    if actual is not None:
        run = (np.asarray(actual, dtype=np.float64).reshape(-1, p.start.size) - p.minimizer) @ p.eigenvectors
    for i in range(p.errors.shape[1]):
        _direction(ax, p, i, k, colors[i], floor, run)
    ax.set_yscale("log")
    top = float(np.abs(p.errors).max()) * 4 or 1.0  # momentum's errors can grow before they shrink
    bottom = min(max(floor, _lowest(p.errors, floor) / 3), top / 400)  # two decades at least
    ax.set_ylim(bottom, top)
    for i in range(p.errors.shape[1]):
        _drop(ax, np.abs(p.errors[:, i]), floor, bottom, colors[i])
    alive = np.flatnonzero(np.any(np.abs(p.errors) > floor, axis=1))
    ax.set_xlim(0, max(int(alive[-1]) + 1 if alive.size else 1, min(p.steps, 5), 1))
    ax.set_xlabel("step k")
    ax.set_ylabel("|error along q_i|  =  |q_i . (theta_k - theta*)|")
    ax.grid(True, which="major", alpha=0.3)
    legend_below(ax)
    ax.set_title(title or f"{p.title}: each eigen-direction on its own", fontsize=10)
    return fig


def _lowest(errors: np.ndarray, floor: float) -> float:
    shown = np.abs(errors[np.abs(errors) > floor])
    return float(shown.min()) if shown.size else floor


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


def _direction(
    ax: Axes, p: Prediction, i: int, k: np.ndarray, color: str, floor: float, run: np.ndarray | None
) -> None:
    """One direction: its predicted line, its label on the line, the run's points on it."""
    lam = float(p.eigenvalues[i])
    e = np.abs(p.errors[:, i])
    shown = np.where(e > floor, e, np.nan)  # 0 (to rounding) has no place on a log axis: the label says
    factor = p.factors[i] if p.factors is not None else None
    if factor is not None:
        rate = f"|1 - lr*lambda{i + 1}| = {number(abs(factor))}"
        flips = " (negative: the sign flips every step, the zig-zag)" if factor < -ROUNDING else ""
    else:
        rate, flips = f"rho{i + 1} = {number(float(p.radii[i]))}", " (dotted: rho^k, the envelope)"
    gone = np.flatnonzero(~(e > floor))
    tail = f"; 0 (to rounding) from step {int(gone[gone > 0][0])}" if np.any(gone > 0) else ""
    ax.plot(
        k,
        shown,
        color=color,
        lw=1.6,
        gid=f"predicted:q{i + 1}",
        label=f"q{i + 1}, lambda{i + 1} = {number(lam, 4)}, predicted: {rate}{flips}{tail}",
    )
    if factor is None and e[0] > floor:  # momentum: the envelope the wiggles stay under
        ax.plot(k, e[0] * float(p.radii[i]) ** k, color=color, lw=0.9, ls=":", gid=f"envelope:q{i + 1}")
    if run is not None:
        r = np.abs(run[:, i])
        pick = marker_steps(len(r))
        pick = pick[r[pick] > floor]
        ax.scatter(
            pick,
            r[pick],
            s=18,
            facecolors="none",
            edgecolors=color,
            lw=1.0,
            zorder=5,
            gid=f"actual:q{i + 1}",
            label=f"q{i + 1}: the engine's run"
            + (f" (its first {len(r) - 1} steps)" if len(r) < len(k) else ""),
        )
    drawn = np.flatnonzero(np.isfinite(shown))
    if drawn.size:  # on the line: half way along it, or beside its only point
        j = int(drawn[len(drawn) // 2]) if drawn.size > 2 else int(drawn[0])
        ax.annotate(
            rate,
            (float(k[j]), float(shown[j])),
            xytext=(0, 7) if drawn.size > 2 else (8, 0),
            textcoords="offset points",
            fontsize=8.5,
            color=color,
            gid=f"rate:q{i + 1}",
            ha="center" if drawn.size > 2 else "left",
            va="bottom" if drawn.size > 2 else "center",
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
