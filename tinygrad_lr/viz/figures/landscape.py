"""The loss landscape: contours of ``Loss(w, b)`` with the paths optimizers took across them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .base import CYCLE, LINESTYLES, MARKERS, target
from .marks import mark_exit, nested_sizes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


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
    fig, ax = target(ax, width=6.5, height=5.0)
    ws = np.linspace(float(w_range[0]), float(w_range[1]), num)
    bs = np.linspace(float(b_range[0]), float(b_range[1]), num)
    _contours(fig, ax, loss_fn, ws, bs, levels, log_levels)
    paths = {
        label: np.asarray(path, dtype=float).reshape(-1, 2) for label, path in (trajectories or {}).items()
    }
    _paths(ax, paths, ws, bs)
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

        mark_exit(ax, pts[:, 0], pts[:, 1], CYCLE[i % len(CYCLE)], where)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper right")
    if title:
        ax.set_title(title)
    return fig


def _contours(
    fig: Figure,
    ax: Axes,
    loss_fn: Callable[[float, float], Any],
    ws: np.ndarray,
    bs: np.ndarray,
    levels: int,
    log_levels: bool,
) -> None:
    """Filled contours of the loss over the grid, with lines and a colour bar."""
    from matplotlib.colors import LogNorm

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
        ws, bs, Z, levels=lv, cmap="viridis", alpha=0.35, norm=LogNorm() if log_levels else None
    )
    ax.contour(ws, bs, Z, levels=filled.levels, colors="0.35", linewidths=0.5)
    fig.colorbar(filled, ax=ax, label="loss", format="%.3g")


def _paths(ax: Axes, paths: Mapping[str, np.ndarray], ws: np.ndarray, bs: np.ndarray) -> None:
    """Each path from its start (one hollow circle when all share it) to its end marker."""
    starts = [(float(p[0, 0]), float(p[0, 1])) for p in paths.values()]
    shared_start = len(set(starts)) == 1 and len(starts) > 1
    if shared_start:  # one hollow circle for a start all paths share, not several on top of each other
        ax.scatter([starts[0][0]], [starts[0][1]], s=70, facecolors="none", edgecolors="black",
                   linewidths=1.5, zorder=4, gid="start",
                   label=f"start ({starts[0][0]:.3g}, {starts[0][1]:.3g})")
    ends = [tuple(p[np.isfinite(p).all(axis=1)][-1]) for p in paths.values()]
    near = (0.02 * (ws[-1] - ws[0]), 0.02 * (bs[-1] - bs[0]))
    end_sizes = nested_sizes(ends, near, big=75.0)
    for i, (label, pts) in enumerate(paths.items()):
        color = CYCLE[i % len(CYCLE)]
        style: dict[str, Any] = {"color": color, "linestyle": LINESTYLES[i % len(LINESTYLES)],
                 "linewidth": 1.4 if len(pts) > 60 else 1.0}
        ax.plot(pts[:, 0], pts[:, 1], **style, marker="o" if len(pts) <= 60 else None, markersize=3,
                label="_nolegend_", gid=f"trajectory:{label}")
        # the legend's entry: the path's line with its end marker, so each end shape is named
        ax.plot([], [], **style, marker=MARKERS[i % len(MARKERS)], markersize=7, markeredgecolor="black",
                label=f"{label} ({len(pts) - 1} update{'s' if len(pts) != 2 else ''}), "
                f"ends at ({ends[i][0]:.3g}, {ends[i][1]:.3g})", gid=f"legend:{label}")
        if not shared_start:
            ax.scatter(pts[0, 0], pts[0, 1], s=50, facecolors="none", edgecolors=color, zorder=4)
        ax.scatter([ends[i][0]], [ends[i][1]], s=end_sizes[i], marker=MARKERS[i % len(MARKERS)], color=color,
                   edgecolors="black", zorder=6 + i, gid=f"end:{label}")
