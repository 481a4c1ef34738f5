"""Matplotlib figures for the examples: fitted lines, loss curves, loss(w) with its tangent, and
the loss landscape with the paths the optimizers took across it.

Plotting is an optional extra (``pip install 'tinygrad-lr[plot]'``): matplotlib is imported
only when a figure is made, never by ``import tinygrad_lr``.

Figures are built with :class:`matplotlib.figure.Figure`, not with ``pyplot``, so no window
ever pops up and no global "current figure" state is kept: every function returns its
``Figure`` (or draws onto the ``ax`` you pass) and :func:`save` writes it to PNG or SVG.
In Jupyter a returned figure left as a cell's last line displays inline as a PNG, once, with
no ``%matplotlib`` magic and no ``pyplot`` import.

Example:
    >>> from tinygrad_lr import plot
    >>> fig = plot.fit_line([1, 2, 3], [3, 5, 7], w=2.0, b=1.0, x_test=[4], y_test=[9])
    >>> plot.save(fig, "fit.png")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._files import atomic_file
from .value import Value

if TYPE_CHECKING:  # only for type hints; matplotlib is imported lazily at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "new_figure",
    "fit_line",
    "loss_curves",
    "loss_vs_w",
    "loss_landscape",
    "optimizer_paths",
    "lr_sweep",
    "save",
]

INSTALL_HINT = "plotting needs matplotlib: pip install 'tinygrad-lr[plot]'"

# the tutorial's colours (docs/sources.md section 2): training points blue, test points red, line black
TRAIN_COLOR = "tab:blue"
TEST_COLOR = "tab:red"
LINE_COLOR = "black"
# one colour per trajectory / curve, in order (GD, SGD, mini-batch, ...)
CYCLE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")

SAVE_FORMATS = ("png", "svg", "pdf")


def _figure_class() -> type[Figure]:
    """Import matplotlib's ``Figure`` on first use, with an actionable message if it is missing.

    The class is :class:`~tinygrad_lr._figure.NotebookFigure`, a ``Figure`` that displays
    itself in Jupyter.
    """
    try:
        from ._figure import NotebookFigure
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching in the tests
        raise ImportError(INSTALL_HINT) from exc
    return NotebookFigure


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 6.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A window-less figure with a grid of axes, ``(fig, axes)`` as ``plt.subplots`` returns them.

    ``width`` and ``height`` are per panel, in inches. ``axes`` is one ``Axes`` for a 1x1 grid,
    else a numpy array of them.

    Example:
        >>> fig, (left, right) = new_figure(ncols=2)
    """
    Figure = _figure_class()
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def _target(ax: Axes | None, **size: float) -> tuple[Figure, Axes]:
    if ax is not None:
        # the figure that can be saved: for axes inside a SubFigure, ax.figure is the SubFigure,
        # and .figure of that (of any figure) is the root Figure
        root: Figure = ax.figure.figure
        return root, ax
    return new_figure(1, 1, **size)


def _floats(values: Any, name: str) -> np.ndarray:
    arr = np.asarray([float(v) for v in np.ravel(np.asarray(values, dtype=object))], dtype=float)
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one number")
    return arr


# markers that stay tellable apart when several points sit on the same spot (drawn big to small)
MARKERS = ("o", "s", "D", "^", "v", "P")
LINESTYLES = ("-", "--", ":", "-.")


def _nested_sizes(
    points: Sequence[tuple[float, float]], near: tuple[float, float], big: float
) -> list[float]:
    """Marker areas such that points on (nearly) the same spot nest inside each other, all visible.

    A point within ``near`` (dx, dy) of k earlier points gets ``big * 0.5**k``: drawn in order
    with rising z-order, a smaller marker sits on top of the bigger one it would otherwise hide.
    """
    sizes = []
    for i, (x, y) in enumerate(points):
        k = sum(1 for (px, py) in points[:i] if abs(px - x) <= near[0] and abs(py - y) <= near[1])
        sizes.append(big * 0.5**k)
    return sizes


def _edge_point(
    inside: tuple[float, float],
    outside: tuple[float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> tuple[float, float]:
    """Where the segment from a point inside the box to one outside crosses the box's edge."""
    (px, py), (qx, qy) = inside, outside
    t = 1.0
    for start, delta, lo, hi in ((px, qx - px, *xlim), (py, qy - py, *ylim)):
        if delta > 0:
            t = min(t, (hi - start) / delta)
        elif delta < 0:
            t = min(t, (lo - start) / delta)
    return px + t * (qx - px), py + t * (qy - py)


def _mark_exit(
    ax: Axes,
    xs: np.ndarray,
    ys: np.ndarray,
    color: str,
    describe: Callable[[int], str],
) -> int | None:
    """If a path leaves the axes, say so: an arrow onto the edge where it leaves and a note.

    The note names the first step outside and where it went (``describe(k)``), and how many of
    the remaining steps are off the picture too. Call it after the axes' limits are final.
    Returns the first step outside, or ``None`` when the whole path is in view.
    """
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    finite = np.isfinite(xs) & np.isfinite(ys)
    inside = finite & (xs >= min(xlim)) & (xs <= max(xlim)) & (ys >= min(ylim)) & (ys <= max(ylim))
    outside = np.flatnonzero(~inside)
    if outside.size == 0 or outside[0] == 0:
        return None
    k = int(outside[0])
    start = (float(xs[k - 1]), float(ys[k - 1]))
    edge = _edge_point(start, (float(xs[k]), float(ys[k])), xlim, ylim) if finite[k] else start
    ax.annotate(
        "",
        xy=edge,
        xytext=start,
        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.6, "mutation_scale": 14},
        annotation_clip=False,
        zorder=6,
    )
    later = int((~inside[k:]).sum())
    note = f"step {k} leaves the plot:\n{describe(k)}"
    if later > 1:
        note += f"\n({later} of {xs.size - 1} steps off the plot)"
    fx = (edge[0] - xlim[0]) / (xlim[1] - xlim[0])
    fy = (edge[1] - ylim[0]) / (ylim[1] - ylim[0])
    ax.annotate(
        note,
        edge,
        xytext=(-8 if fx > 0.5 else 8, -8 if fy > 0.5 else 8),
        textcoords="offset points",
        ha="right" if fx > 0.5 else "left",
        va="top" if fy > 0.5 else "bottom",
        fontsize=8,
        color=color,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": color, "alpha": 0.9},
        zorder=7,
        gid="exit",
    )
    return k


# --- the fitted line -------------------------------------------------------------------------


def _coefficient(v: float) -> str:
    """A line's coefficient as a learner reads it: 4 decimals (2.000148 -> 2.0001, not 2), or
    3 significant digits when it is smaller than that."""
    return f"{round(v, 4):g}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3g}"



def fit_line(
    x_train: Sequence[float],
    y_train: Sequence[float],
    w: float | Value,
    b: float | Value = 0.0,
    *,
    x_test: Sequence[float] | None = None,
    y_test: Sequence[float] | None = None,
    xlim: tuple[float, float] = (0.0, 5.0),
    ylim: tuple[float, float] = (0.0, 10.0),
    residuals: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Training points (blue), test points (red) and the line ``y = w*x + b`` (black).

    This is the tutorial's picture (docs/sources.md section 2): grid on, x in ``[0, 5]`` and y in
    ``[0, 10]`` by default. ``w`` and ``b`` may be floats or ``Value``s. With
    ``residuals=True`` each training point's error ``w*x + b - y`` is drawn as a vertical
    segment, as in the tadpole lesson (section 4).

    Example:
        >>> fig = fit_line([1, 2, 3], [3, 5, 7], w=2.0, b=1.0, x_test=[4], y_test=[9])
    """
    fig, ax = _target(ax)
    w, b = float(w), float(b)
    xs, ys = _floats(x_train, "x_train"), _floats(y_train, "y_train")
    if xs.shape != ys.shape:
        raise ValueError(f"x_train has {xs.size} values but y_train has {ys.size}")
    if residuals:
        pred = w * xs + b
        ax.vlines(
            xs,
            np.minimum(ys, pred),
            np.maximum(ys, pred),
            colors="tab:orange",
            linestyles="dashed",
            linewidths=1.5,
            label="error w*x + b - y",
            gid="residuals",
        )
    ax.scatter(xs, ys, color=TRAIN_COLOR, zorder=3, label="training points", gid="train")
    if x_test is not None or y_test is not None:
        xt, yt = _floats(x_test, "x_test"), _floats(y_test, "y_test")
        if xt.shape != yt.shape:
            raise ValueError(f"x_test has {xt.size} values but y_test has {yt.size}")
        ax.scatter(xt, yt, color=TEST_COLOR, zorder=3, label="test points", gid="test")
    line_x = np.linspace(xlim[0], xlim[1], 2)
    sign = "+" if b >= 0 else "-"
    label = f"y = {_coefficient(w)}x {sign} {_coefficient(abs(b))}"
    ax.plot(line_x, w * line_x + b, color=LINE_COLOR, label=label, gid="fit")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.grid(True)
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return fig


# --- loss curves -----------------------------------------------------------------------------


def loss_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    x: Mapping[str, Sequence[float]] | None = None,
    log: bool = False,
    xlog: bool = False,
    colors: Mapping[str, str] | None = None,
    xlabel: str = "iteration",
    ylabel: str = "loss",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several loss histories on one axes, one line per ``{label: losses}`` entry.

    By default the i-th loss is drawn at x = i; ``x`` maps a label to its own x values (for
    instance the epoch, fractional for per-sample updates, so one-sample SGD and full GD share
    an axis). ``log=True`` puts the loss on a log scale, where steady convergence is a
    straight line. ``xlog=True`` puts x on a log scale that still shows x = 0 (the start):
    linear from 0 to 1, logarithmic beyond, with a visible break mark at 1 on the axis. Where a
    run's loss becomes infinite or NaN (it diverged), or 0 on a log scale, its line ends in a
    cross with a note saying so. ``colors`` maps a label to its colour (default: the order of
    ``curves``), so one run keeps its colour across panels.

    Example:
        >>> fig = loss_curves({"GD": [29, 12.96, 5.8], "SGD": [29, 9.1, 3.3]}, log=True)
    """
    if not curves:
        raise ValueError("loss_curves needs at least one curve")
    fig, ax = _target(ax)
    for i, (label, losses) in enumerate(curves.items()):
        ys = _floats(losses, f"the losses of {label!r}")
        if x is not None and label in x:
            xs = _floats(x[label], f"the x values of {label!r}")
            if xs.shape != ys.shape:
                raise ValueError(f"{label!r}: {xs.size} x values for {ys.size} losses")
        else:
            xs = np.arange(ys.size, dtype=float)
        shown = np.isfinite(ys) & ((ys > 0) if log else True)
        color = (colors or {}).get(label, CYCLE[i % len(CYCLE)])
        ax.plot(
            xs,
            np.where(shown, ys, np.nan),
            color=color,
            label=label,
            gid=f"curve:{label}",
            marker="." if ys.size <= 30 else None,
        )
        gone = np.flatnonzero(~shown)
        if gone.size and gone[0] > 0:  # the line stops here: say why instead of just ending
            k = int(gone[0])
            why = "diverged" if not np.isfinite(ys[k]) else "0 (off the log scale)"
            ax.scatter([xs[k - 1]], [ys[k - 1]], marker="X", s=60, color=color, edgecolors="black",
                       zorder=5, gid=f"end:{label}")
            ax.annotate(f"{why} at {xs[k]:g}", (xs[k - 1], ys[k - 1]), xytext=(6, 0),
                        textcoords="offset points", fontsize=8, color=color, va="center")
    if log:
        ax.set_yscale("log")
    if xlog:
        _symlog_x_with_break(ax)
        xlabel += " (0 to 1 linear, then log scale)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" (log scale)" if log else ""))
    ax.grid(True, which="both" if log else "major", alpha=0.5)
    ax.legend()
    if title:
        ax.set_title(title)
    return fig


def _symlog_x_with_break(ax: Axes) -> None:
    """x on a log scale that keeps x = 0: linear on [0, 1], log beyond, the seam marked ``//``."""
    ax.set_xscale("symlog", linthresh=1.0, linscale=0.6)
    ax.set_xlim(left=0)
    ax.axvline(1.0, color="0.4", linestyle=(0, (2, 2)), linewidth=0.8, zorder=1, gid="axis-break")
    ax.text(1.0, 0.0, "//", transform=ax.get_xaxis_transform(), ha="center", va="center",
            fontsize=11, fontweight="bold", color="0.2", clip_on=False, zorder=8,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none"})


# --- loss(w) with its tangent -----------------------------------------------------------------


def _value_and_slope(loss_fn: Callable[[Value], Value], w: float) -> tuple[float, float]:
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
    fig, ax = _target(ax)
    grid = np.linspace(lo, hi, num)
    curve = np.array([_value_and_slope(loss_fn, w)[0] for w in grid])
    ax.plot(grid, curve, color=LINE_COLOR, label=ylabel, gid="curve")
    if trajectory is not None and len(trajectory) > 0:
        ws = _floats(trajectory, "trajectory")
        losses = np.array([_value_and_slope(loss_fn, w)[0] if np.isfinite(w) else np.nan for w in ws])
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
        from matplotlib import patheffects

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
    if at is not None:
        l0, g = _value_and_slope(loss_fn, at)
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
    if marks:
        # marks on (nearly) the same spot nest inside each other, big to small, so none is hidden
        spots = [(float(w), _value_and_slope(loss_fn, w)[0]) for w in marks.values()]
        span_y = float(np.nanmax(curve) - np.nanmin(curve)) or 1.0
        sizes = _nested_sizes(spots, (0.03 * (hi - lo), 0.05 * span_y), big=180.0)
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
    ax.set_xlim(lo, hi)
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:  # keep the curve in view even when a diverging path shoots off it
        span = np.nanmax(curve) - np.nanmin(curve)
        ax.set_ylim(np.nanmin(curve) - 0.05 * span, np.nanmax(curve) + 0.1 * span)
    if trajectory is not None and len(trajectory) > 0:
        _mark_exit(
            ax, ws, losses, TEST_COLOR, lambda k: f"{xlabel} = {ws[k]:.3g}, {ylabel} = {losses[k]:.3g}"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.5)
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return fig


# --- the loss landscape ------------------------------------------------------------------------


def loss_landscape(
    loss_fn: Callable[[float, float], Any],
    w_range: tuple[float, float],
    b_range: tuple[float, float],
    *,
    trajectories: Mapping[str, Any] | None = None,
    minimum: tuple[float, float] | None = None,
    num: int = 80,
    levels: int = 25,
    log_levels: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Contours of ``Loss(w, b)`` with the paths optimizers took across them.

    ``loss_fn(w, b)`` returns a number (a float or a ``Value``) and is evaluated on a
    ``num x num`` grid. Contour levels are spaced logarithmically by default, because a
    quadratic loss spans orders of magnitude between the valley floor and the corners.
    ``trajectories`` maps a label to a sequence of ``(w, b)`` pairs (array of shape (n, 2)),
    one per update; each is drawn from its start (hollow circle; one circle when all paths
    share it) to its end (a filled marker, a different shape per path; ends on the same spot
    nest inside each other, so none hides another). A path that leaves the picture gets an
    arrow where it leaves and a note of where it went. ``minimum`` marks the least-squares
    solution with a star.

    Example:
        >>> loss = lambda w, b: sum((w * x + b - y) ** 2 for x, y in [(1, 3), (2, 5), (3, 7)])
        >>> fig = loss_landscape(loss, (0, 3), (-1, 2), trajectories={"GD": [(1, 0), (1.4, 0.18)]})
    """
    fig, ax = _target(ax, width=6.5, height=5.0)
    ws = np.linspace(float(w_range[0]), float(w_range[1]), num)
    bs = np.linspace(float(b_range[0]), float(b_range[1]), num)
    Z = np.array([[float(loss_fn(w, b)) for w in ws] for b in bs])
    if log_levels:
        # the valley floor (often exactly 0) is clipped to a small positive level for the log scale
        zmin, zmax = float(np.nanmin(Z)), float(np.nanmax(Z))
        floor = max(zmin, zmax * 1e-4, 1e-12)
        Z = np.clip(Z, floor, None)
        lv: np.ndarray | int = np.geomspace(floor, zmax, levels)
    else:
        lv = levels
    filled = ax.contourf(
        ws, bs, Z, levels=lv, cmap="viridis", alpha=0.35, norm=_log_norm() if log_levels else None
    )
    ax.contour(ws, bs, Z, levels=filled.levels, colors="0.35", linewidths=0.5)
    fig.colorbar(filled, ax=ax, label="loss", format="%.3g")
    paths = {
        label: np.asarray(path, dtype=float).reshape(-1, 2) for label, path in (trajectories or {}).items()
    }
    starts = [(float(p[0, 0]), float(p[0, 1])) for p in paths.values()]
    shared_start = len(set(starts)) == 1 and len(starts) > 1
    if shared_start:  # one hollow circle for a start all paths share, not several on top of each other
        ax.scatter([starts[0][0]], [starts[0][1]], s=70, facecolors="none", edgecolors="black",
                   linewidths=1.5, zorder=4, gid="start",
                   label=f"start ({starts[0][0]:.3g}, {starts[0][1]:.3g})")
    ends = [tuple(p[np.isfinite(p).all(axis=1)][-1]) for p in paths.values()]
    near = (0.02 * (ws[-1] - ws[0]), 0.02 * (bs[-1] - bs[0]))
    end_sizes = _nested_sizes(ends, near, big=75.0)
    for i, (label, pts) in enumerate(paths.items()):
        color = CYCLE[i % len(CYCLE)]
        ax.plot(
            pts[:, 0],
            pts[:, 1],
            color=color,
            linestyle=LINESTYLES[i % len(LINESTYLES)],
            linewidth=1.4 if len(pts) > 60 else 1.0,
            marker="o" if len(pts) <= 60 else None,
            markersize=3,
            label=f"{label} ({len(pts) - 1} update{'s' if len(pts) != 2 else ''}), "
            f"ends at ({ends[i][0]:.3g}, {ends[i][1]:.3g})",
            gid=f"trajectory:{label}",
        )
        if not shared_start:
            ax.scatter(pts[0, 0], pts[0, 1], s=50, facecolors="none", edgecolors=color, zorder=4)
        ax.scatter([ends[i][0]], [ends[i][1]], s=end_sizes[i], marker=MARKERS[i % len(MARKERS)], color=color,
                   edgecolors="black", zorder=6 + i, gid=f"end:{label}")
    if minimum is not None:
        ax.scatter(
            [minimum[0]],
            [minimum[1]],
            marker="*",
            s=260,
            color="gold",
            edgecolors="black",
            zorder=5,  # under the paths' end markers, whose tips it frames
            label=f"minimum ({minimum[0]:.3g}, {minimum[1]:.3g})",
            gid="minimum",
        )
    ax.set_xlim(ws[0], ws[-1])  # a diverging path must not zoom the picture out ...
    ax.set_ylim(bs[0], bs[-1])
    for i, pts in enumerate(paths.values()):  # ... it gets an arrow where it leaves instead

        def where(k: int, pts: np.ndarray = pts) -> str:
            return f"w = {pts[k, 0]:.3g}, b = {pts[k, 1]:.3g}"

        _mark_exit(ax, pts[:, 0], pts[:, 1], CYCLE[i % len(CYCLE)], where)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def _log_norm() -> Any:
    from matplotlib.colors import LogNorm

    return LogNorm()


# --- saving ------------------------------------------------------------------------------------


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF, chosen by the file's extension.

    The figure is written to a temporary file in the same folder and then moved into place
    with ``os.replace``, so a reader never sees a half-written picture. Missing folders are
    created. Returns the path.

    Example:
        >>> save(fit_line([1, 2, 3], [3, 5, 7], w=2, b=1), "out/fit.svg")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot save a figure as {path.name!r}: use one of the extensions "
            + ", ".join("." + f for f in SAVE_FORMATS)
        )
    with atomic_file(path) as fh:
        fig.savefig(fh, format=fmt, dpi=dpi)
    return path



# --- comparing optimizers: their paths from one start, and the learning rate ------------------


def optimizer_paths(
    data: Any,
    optimizers: Mapping[str, Callable[[list[Any]], Any]],
    *,
    start: tuple[float, float] = (0.0, 0.0),
    epochs: int = 50,
    loss: str = "mse",
) -> dict[str, np.ndarray]:
    """Train one-feature linear regression from the same ``start = (w, b)`` with every optimizer.

    ``optimizers`` maps a label to a function building the optimizer on the model's parameters
    (``lambda p: Adam(p, lr=0.1)``). Returns ``{label: array of (w, b)}``, the start and the
    parameters after every update, ready for :func:`loss_landscape`'s ``trajectories``. A run
    that diverges keeps its path up to where it blew up.

    Example:
        >>> from tinygrad_lr import GD, Adam
        >>> paths = optimizer_paths(([1, 2, 3], [3, 5, 7]), {"GD": lambda p: GD(p, lr=0.05),
        ...                         "Adam": lambda p: Adam(p, lr=0.1)}, start=(1.0, 0.0), epochs=3)
        >>> paths["GD"].shape, paths["Adam"][0].tolist()
        ((4, 2), [1.0, 0.0])
    """
    from .models import LinearRegression
    from .train import DivergenceError, fit

    paths: dict[str, np.ndarray] = {}
    for label, make in optimizers.items():
        model = LinearRegression(w=float(start[0]), b=float(start[1]))
        try:
            history = fit(model, data, make(model.parameters()), loss=loss, epochs=epochs, record_params=True)
        except DivergenceError as err:
            assert err.history is not None
            history = err.history
        paths[label] = np.array(history.params, dtype=float).reshape(-1, 2)
    return paths


def lr_sweep(
    data: Any,
    lrs: Sequence[float],
    *,
    optimizer: str = "gd",
    epochs: int = 50,
    loss: str = "mse",
    above_minimum: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """The loss after ``epochs`` epochs of ``optimizer`` against the learning rate, log-log.

    Every run starts from ``w = b = 0``. With ``above_minimum`` (default) the loss is drawn
    minus the closed-form least-squares loss, so the log scale shows how close each run got
    (a run that reached the minimum to rounding is drawn at 1e-16). A run that diverges is
    drawn as a cross at the top edge. For gradient descent the largest stable learning rate ``2 / lambda_max``
    (:func:`~tinygrad_lr.max_stable_lr`) is marked with a vertical line: the sweep shows the
    loss falling as the lr grows, until just past that line every run blows up.

    Example:
        >>> fig = lr_sweep(([1, 2, 3], [3, 5, 7]), [0.01, 0.05, 0.1, 0.3], epochs=20)
    """
    from .closed_form import lstsq
    from .data import from_arrays
    from .models import LinearRegression, max_stable_lr
    from .optim import make_optimizer
    from .train import DivergenceError, fit

    ds = data if hasattr(data, "X") else from_arrays(*data)
    rates = _floats(lrs, "the learning rates")
    if rates.size == 0 or not np.all(rates > 0):
        raise ValueError("lr_sweep needs learning rates > 0")
    fig, ax = _target(ax, width=6.0, height=4.0)
    finals = []
    for lr in rates:
        model = LinearRegression(ds.n_features)
        try:
            opt = make_optimizer(optimizer, model.parameters(), float(lr))
            h = fit(model, ds, opt, loss=loss, epochs=epochs)
            finals.append(h.final_loss)
        except DivergenceError:
            finals.append(np.inf)
    ys = np.array(finals)
    if above_minimum:
        ys = np.maximum(ys - lstsq(ds.X, ds.y, loss=loss).loss, 1e-16)
    ok = np.isfinite(ys)
    what = "loss - least-squares loss" if above_minimum else "loss"
    ax.plot(rates[ok], ys[ok], marker="o", color=CYCLE[0], label=f"{what} after {epochs} epochs",
            gid="sweep")
    if (~ok).any():
        top = float(ys[ok].max()) if ok.any() else 1.0
        ax.scatter(rates[~ok], np.full((~ok).sum(), top), marker="X", s=60, color=CYCLE[3],
                   edgecolors="black", zorder=5, label="diverged", gid="diverged")
    if optimizer == "gd":
        bound = max_stable_lr(ds.X, loss)
        ax.axvline(bound, color="black", linestyle="--", gid="stable-bound",
                   label=f"largest stable lr 2/lambda_max = {bound:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"{loss.upper()}{' above the minimum' if above_minimum else ''} (log scale)")
    ax.grid(True, which="both", alpha=0.4)
    ax.legend(fontsize=8, loc="lower left")
    if title:
        ax.set_title(title)
    return fig
