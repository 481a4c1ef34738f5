"""``loss(w)`` over a range of ``w``, with the tangent backpropagation computes and a path along it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...value import Value
from .base import CYCLE, LINE_COLOR, MARKERS, TEST_COLOR, TRAIN_COLOR, floats, target
from .marks import mark_exit, nested_sizes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def value_and_slope(loss_fn: Callable[[Value], Value], w: float) -> tuple[float, float]:
    """``loss_fn(w)`` and ``dloss/dw`` at ``w``, the slope computed by backpropagation."""
    wv = Value(float(w), label="w")
    out = loss_fn(wv)
    if not isinstance(out, Value):
        raise TypeError(
            f"loss_fn must build its loss from the Value it is given (got {type(out).__name__}); "
            "the tangent's slope is that Value's gradient"
        )
    out.backward()
    return out.data, wv.grad


def loss_vs_w(
    loss_fn: Callable[[Value], Value],
    w_range: tuple[float, float],
    *,
    at: float | None = None,
    trajectory: Sequence[float] | None = None,
    marks: Mapping[str, float] | None = None,
    num: int = 200,
    ylim: tuple[float, float] | None = None,
    xlabel: str = "w",
    ylabel: str = "loss(w)",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The curve ``loss(w)`` over ``w_range``, with the tangent at ``at`` and a path along it.

    ``loss_fn`` takes a ``Value`` ``w`` and returns the loss as a ``Value``; the tangent's
    slope at ``at`` is ``dloss/dw`` computed by backpropagation (not by finite differences),
    so the picture shows exactly the number gradient descent uses. ``trajectory`` is the
    sequence of ``w`` an optimizer visited (drawn as numbered points on the curve, joined by
    lines; if it leaves the picture an arrow on the edge says at which step and where it went);
    ``marks`` labels single points (``{"GD": 0.9, "annealing": -1.3}``), each with its own
    shape, marks on the same spot nested inside each other so none is hidden.

    Example:
        >>> xs, ys = [1, 2, 3], [2, 4, 6]
        >>> mse = lambda w: sum((w * x - y) ** 2 for x, y in zip(xs, ys)) / 3
        >>> fig = loss_vs_w(mse, (0, 4), at=1.0, trajectory=[1.0, 1.5, 1.8])
    """
    lo, hi = float(w_range[0]), float(w_range[1])
    if not lo < hi:
        raise ValueError(f"w_range must be (low, high) with low < high, got {w_range!r}")
    fig, ax = target(ax)
    grid = np.linspace(lo, hi, num)
    curve = np.array([value_and_slope(loss_fn, w)[0] for w in grid])
    ax.plot(grid, curve, color=LINE_COLOR, label=ylabel, gid="curve")
    path = None
    if trajectory is not None and len(trajectory) > 0:
        path = _trajectory(ax, loss_fn, floats(trajectory, "trajectory"), (lo, hi))
    if at is not None:
        _tangent(ax, loss_fn, at, (lo, hi), xlabel)
    if marks:
        _marks(ax, loss_fn, marks, (lo, hi), curve, xlabel, ylabel)
    ax.set_xlim(lo, hi)
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:  # keep the curve in view even when a diverging path shoots off it
        span = np.nanmax(curve) - np.nanmin(curve)
        ax.set_ylim(np.nanmin(curve) - 0.05 * span, np.nanmax(curve) + 0.1 * span)
    if path is not None:
        ws, losses = path
        mark_exit(
            ax, ws, losses, TEST_COLOR, lambda k: f"{xlabel} = {ws[k]:.3g}, {ylabel} = {losses[k]:.3g}"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.5)
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return fig


def _trajectory(
    ax: Axes, loss_fn: Callable[[Value], Value], ws: np.ndarray, w_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """The path an optimizer took along the curve, its steps numbered; returns ``(ws, losses)``."""
    from matplotlib import patheffects

    lo, hi = w_range
    losses = np.array([value_and_slope(loss_fn, w)[0] if np.isfinite(w) else np.nan for w in ws])
    shown = np.isfinite(losses)
    ax.plot(
        ws[shown],
        losses[shown],
        color=TEST_COLOR,
        marker="o",
        markersize=4,
        linewidth=0.8,
        alpha=0.9,
        label=f"path ({len(ws) - 1} steps)",
        gid="trajectory",
    )
    # number the steps, skipping points that would sit on top of the last number written;
    # the last step in view is always numbered (it replaces a number too close to it)
    in_view = [int(k) for k in np.flatnonzero(shown) if lo <= ws[k] <= hi]
    numbered: list[int] = []
    for k in in_view:
        if numbered and abs(ws[k] - ws[numbered[-1]]) < 0.04 * (hi - lo):
            if k == in_view[-1] and len(numbered) > 1:
                numbered[-1] = k
            continue
        numbered.append(k)
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for k in numbered:
        ax.annotate(
            str(k),
            (ws[k], losses[k]),
            textcoords="offset points",
            xytext=(5, 3),
            fontsize=8,
            color=TEST_COLOR,
            path_effects=halo,
            zorder=6,
        )
    return ws, losses


def _tangent(
    ax: Axes, loss_fn: Callable[[Value], Value], at: float, w_range: tuple[float, float], xlabel: str
) -> None:
    """The tangent at ``at``, its slope the gradient backpropagation computes."""
    lo, hi = w_range
    l0, g = value_and_slope(loss_fn, at)
    half = 0.15 * (hi - lo)
    tx = np.array([at - half, at + half])
    ax.plot(
        tx,
        l0 + g * (tx - at),
        color=TRAIN_COLOR,
        linewidth=2,
        gid="tangent",
        label=f"tangent at {xlabel}={at:.3g}: slope {g:.4g}",
    )
    ax.scatter([at], [l0], color=TRAIN_COLOR, zorder=4, gid="tangent_point")


def _marks(
    ax: Axes,
    loss_fn: Callable[[Value], Value],
    marks: Mapping[str, float],
    w_range: tuple[float, float],
    curve: np.ndarray,
    xlabel: str,
    ylabel: str,
) -> None:
    """Single labelled points on the curve; marks on (nearly) one spot nest, big to small."""
    lo, hi = w_range
    spots = [(float(w), value_and_slope(loss_fn, w)[0]) for w in marks.values()]
    span_y = float(np.nanmax(curve) - np.nanmin(curve)) or 1.0
    sizes = nested_sizes(spots, (0.03 * (hi - lo), 0.05 * span_y), big=180.0)
    for i, (label, (w, lw)) in enumerate(zip(marks, spots)):
        ax.scatter(
            [w],
            [lw],
            s=sizes[i],
            marker=MARKERS[i % len(MARKERS)],
            zorder=5 + i,
            color=CYCLE[(i + 1) % len(CYCLE)],
            edgecolors="black",
            label=f"{label}: {xlabel}={w:.3g}, {ylabel}={lw:.3g}",
            gid=f"mark:{label}",
        )
