"""Marks that keep a figure honest: points on one spot nested so none hides another, and an arrow
where a path leaves the axes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def nested_sizes(
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


def edge_point(
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


def mark_exit(
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
    edge = edge_point(start, (float(xs[k]), float(ys[k])), xlim, ylim) if finite[k] else start
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
