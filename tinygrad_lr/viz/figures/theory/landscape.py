"""The loss landscape with its eigen-directions as the ellipses' axes, the predicted path and the
engine's actual one over it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ....theory import number
from ..base import CYCLE, target
from ..marks import mark_exit
from .bowl import ROUND, draw_axes, draw_bowl, ellipse, grow, legend_below, plane, square, window

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ....theory import Prediction, Quadratic

PREDICTED, ACTUAL = CYCLE[0], CYCLE[1]
MAX_MARKERS = 40  # the actual run's points drawn: enough to see them sit on the line, few enough to see it


def marker_steps(n: int, most: int = MAX_MARKERS) -> np.ndarray:
    """Which of steps ``0..n-1`` get a marker: the first ones, then spread out evenly on a log scale."""
    if n <= most:
        return np.arange(n)
    first = np.arange(most // 2)
    rest = np.unique(np.geomspace(most // 2, n - 1, most - most // 2).astype(int))
    return np.unique(np.concatenate([first, rest]))


def agreement(predicted: np.ndarray, actual: np.ndarray) -> float:
    """The largest difference between the two paths, relative to the size of the actual point."""
    n = min(len(predicted), len(actual))
    diff = np.abs(predicted[:n] - actual[:n]).max(axis=1)
    size = np.maximum(np.abs(actual[:n]).max(axis=1), 1e-300)
    return float((diff / size).max()) if n else 0.0


def theory_landscape(
    q: Quadratic,
    prediction: Prediction,
    actual: Any = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Contours of the loss, its eigen-directions as the axes of one ellipse, the predicted path
    (a line) and the engine's actual parameters (markers) over it.

    ``actual`` is the engine's run: parameter vectors, one per step from the start (a ``fit`` with
    ``record_params=True`` gives them as ``history.params``). With three or more parameters the
    picture is the plane of the steepest and the flattest direction (errors along them).

    Example:
        >>> from tinygrad_lr.theory import quadratic
        >>> q = quadratic(([1, 2, 3], [3, 5, 7]))
        >>> fig = theory_landscape(q, q.predict("gd", 0.1, 50))
    """
    own = ax is None
    fig, ax = target(ax, width=6.8, height=5.2)
    if q.n_params == 1:
        return _landscape_1d(fig, ax, q, prediction, actual, title)
    pl = plane(q)
    path = pl.coords(prediction.iterates)
    box = window(np.vstack([path, pl.coords(q.minimizer(prediction.start))]))
    round_enough = q.condition_number <= ROUND  # a bowl that fits the page at one scale
    if round_enough:
        box = square(box)
    ring, axes = ellipse(pl, box)
    box = grow(box, ring)
    draw_bowl(ax, pl, box)
    draw_axes(ax, pl, ring, axes, prediction.lr if prediction.method == "gd" else None)
    dense = len(path) > 200  # a long zig-zag: thin, so its strokes stay apart
    ax.plot(
        path[:, 0],
        path[:, 1],
        color=PREDICTED,
        lw=0.5 if dense else 1.1,
        alpha=0.7 if dense else 1.0,
        zorder=5,
        gid="predicted",
        label=f"predicted: {prediction.steps} steps from the eigenvalues" + _zigzag(prediction, dense),
    )
    ax.scatter(
        path[:1, 0],
        path[:1, 1],
        s=70,
        facecolors="none",
        edgecolors="black",
        lw=1.5,
        zorder=6,
        label=f"start ({', '.join(number(v, 3) for v in prediction.start)})",
    )
    if actual is not None:
        run = np.asarray(actual, dtype=np.float64).reshape(-1, q.n_params)
        pts = pl.coords(run)
        pick = marker_steps(len(pts))
        ax.scatter(
            pts[pick, 0],
            pts[pick, 1],
            s=22,
            marker="o",
            facecolors="none",
            edgecolors=ACTUAL,
            lw=1.2,
            zorder=7,
            gid="actual",
            label=_actual_label(len(pick), len(pts) - 1, prediction.steps)
            + f"; largest difference {agreement(prediction.iterates, run):.1g} (relative)",
        )
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])
    if round_enough:  # w and b at one scale: a round bowl is drawn round, its axes at right angles
        ax.set_aspect("equal")
    mark_exit(ax, path[:, 0], path[:, 1], PREDICTED, lambda k: f"loss {prediction.losses[k]:.3g}")
    legend_below(ax, own)
    ax.set_title(title or f"{prediction.title}, {prediction.loss_name.upper()}", fontsize=10)
    return fig


def _actual_label(shown: int, steps: int, predicted: int) -> str:
    """``actual: fit's run (autodiff), 40 of its 5001 points (steps 0 to 5000 of 145142)``."""
    of = f" of {predicted}" if steps < predicted else ""
    return f"actual: fit's run (autodiff), {shown} of its {steps + 1} points (steps 0 to {steps}{of})"


def _zigzag(p: Prediction, dense: bool) -> str:
    """Why a long GD path fills a shape: the steep direction flips sign every step and shrinks slowly."""
    if p.factors is None or not dense or p.factors[-1] > -0.9:
        return ""
    return (
        f" (its strokes fill the shape: 1 - lr*lambda{p.factors.size} = {number(float(p.factors[-1]))} "
        "flips the sign of the error across the valley every step and shrinks it slowly)"
    )


def _landscape_1d(
    fig: Figure, ax: Axes, q: Quadratic, prediction: Prediction, actual: Any, title: str | None
) -> Figure:
    """One parameter: the parabola ``L(w)``, with the path as points on it."""
    w = prediction.iterates[:, 0]
    (lo, hi), _ = window(np.column_stack([w, w]))
    grid = np.linspace(lo, hi, 300)
    ax.plot(grid, q.loss(grid[:, None]), color="0.3", lw=1.2, label=f"{q.loss_name.upper()}(w)")
    ax.plot(w, prediction.losses, color=PREDICTED, lw=1.0, marker=".", label="predicted path")
    if actual is not None:
        run = np.asarray(actual, dtype=np.float64).reshape(-1)
        pick = marker_steps(len(run))
        ax.scatter(
            run[pick],
            q.loss(run[pick, None]),
            s=30,
            facecolors="none",
            edgecolors=ACTUAL,
            label="actual: fit's run (autodiff)",
            zorder=5,
        )
    ax.set_xlim(lo, hi)
    ax.set_xlabel(q.param_names[0])
    ax.set_ylabel("loss")
    lam = float(q.eigenvalues[0])
    ax.legend(fontsize=8)
    ax.set_title(title or f"{prediction.title}: lambda = {number(lam, 4)}", fontsize=10)
    return fig
