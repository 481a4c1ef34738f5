"""The quadratic bowl drawn in the plane a learner can see: contours, the minimum and the eigen-directions.

Two parameters (``w``, ``b``) are drawn as they are. With three or more, the picture is the plane
through the minimum spanned by the steepest and the flattest eigen-direction, in which the
contours are ellipses with exactly those axes and every path is shown by its errors along them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ....theory import number
from ..landscape import loss_landscape

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ....theory import Quadratic

FLAT, STEEP = "#2e7d32", "#6a1b9a"  # the flattest and the steepest eigen-direction, in every picture


@dataclass(frozen=True)
class Plane:
    """Where the pictures put a parameter vector: two coordinates, their names, the loss over them."""

    q: Quadratic
    in_eigen: bool  # True: coordinates are errors along (steepest, flattest) from the minimum

    @property
    def labels(self) -> tuple[str, str]:
        if not self.in_eigen:
            return self.q.param_names[0], self.q.param_names[1]
        P = self.q.n_params
        return (f"error along q{P} (the steepest direction)", "error along q1 (the flattest direction)")

    def coords(self, thetas: Any) -> np.ndarray:
        """``(k, 2)`` coordinates of parameter vectors (rows)."""
        t = np.asarray(thetas, dtype=np.float64).reshape(-1, self.q.n_params)
        if not self.in_eigen:
            return t[:, :2].copy()
        Q = self.q.eigenvectors
        return (t - self.q.theta_star) @ Q[:, [-1, 0]]

    def loss(self, u: float, v: float) -> float:
        """The loss at ``(u, v)``; in the eigen-plane ``L* + (lambda_P u^2 + lambda_1 v^2) / 2``."""
        q = self.q
        if self.in_eigen:
            return q.loss_star + 0.5 * (q.lambda_max * u * u + float(q.eigenvalues[0]) * v * v)
        # L* + e^T H e / 2 in plain floats: the contours' grid calls this thousands of times
        (h11, h12), (_, h22) = q.hessian.tolist()
        du, dv = u - float(q.theta_star[0]), v - float(q.theta_star[1])
        return q.loss_star + 0.5 * (h11 * du * du + 2 * h12 * du * dv + h22 * dv * dv)

    def axis_vectors(self) -> list[tuple[int, np.ndarray]]:
        """Each eigen-direction shown (its index, 1-based) and its unit vector in the plane."""
        if self.in_eigen:
            return [(self.q.n_params, np.array([1.0, 0.0])), (1, np.array([0.0, 1.0]))]
        return [(i + 1, self.q.eigenvectors[:, i]) for i in range(2)]


def plane(q: Quadratic) -> Plane:
    return Plane(q, in_eigen=q.n_params != 2)


def window(points: np.ndarray, margin: float = 0.12) -> tuple[tuple[float, float], tuple[float, float]]:
    """A box around the finite points, ``margin`` of its size added on each side (never of size 0).

    Points far outside the rest (a diverging path) do not stretch it: the box is that of the
    first points and the last point no farther than 3 times the start's distance from the end.
    """
    pts = points[np.all(np.isfinite(points), axis=1)]
    anchor, start = pts[-1] if len(pts) else np.zeros(2), pts[0] if len(pts) else np.zeros(2)
    reach = 3.0 * max(float(np.abs(start - anchor).max()), 1e-12)
    pts = pts[np.all(np.abs(pts - anchor) <= reach, axis=1)]
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    size = np.maximum(hi - lo, 1e-9 + 0.05 * np.abs(hi).max())
    lo, hi = lo - margin * size, hi + margin * size
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


ROUND = 4.0
"""The landscape is drawn at one scale for both axes when ``kappa`` is at most this: the contours'
true shape fits the page (a narrower valley, drawn at one scale, would be a line)."""


def square(box: tuple[tuple[float, float], tuple[float, float]]) -> Any:
    """``box`` widened about its centre so that both sides have the longer side's length."""
    side = max(box[0][1] - box[0][0], box[1][1] - box[1][0]) / 2
    mid = [(lo + hi) / 2 for lo, hi in box]
    return (mid[0] - side, mid[0] + side), (mid[1] - side, mid[1] + side)


def draw_bowl(ax: Axes, pl: Plane, box: tuple[tuple[float, float], tuple[float, float]], **kw: Any) -> None:
    """Contours of the loss over ``box`` (the landscape figure's), the minimum and the axes labels."""
    q = pl.q
    star = pl.coords(q.theta_star)[0]
    loss_landscape(pl.loss, box[0], box[1], minimum=(float(star[0]), float(star[1])), ax=ax, **kw)
    ax.set_xlabel(pl.labels[0])
    ax.set_ylabel(pl.labels[1])


def ellipse(pl: Plane, box: tuple[tuple[float, float], tuple[float, float]]) -> tuple[np.ndarray, list]:
    """One contour ``L - L* = c`` around the minimum, sized to a third of ``box``: its outline and its
    axes, ``[(i, unit vector, semi-axis)]`` for each eigen-direction ``q_i`` shown.

    The ellipse has semi-axes ``sqrt(2 c / lambda_i)`` along ``q_i``: the eigen-directions are its axes.
    """
    q = pl.q
    axes = pl.axis_vectors()
    inv = [1.0 / np.sqrt(max(float(q.eigenvalues[i - 1]), 1e-300)) for i, _ in axes]  # semi-axes at c = 1/2
    half = np.array([box[0][1] - box[0][0], box[1][1] - box[1][0]]) / 2
    extent = np.sqrt(sum((s * u) ** 2 for s, (_, u) in zip(inv, axes)))  # per coordinate, at c = 1/2
    scale = float(np.min(0.35 * half / np.maximum(extent, 1e-300)))
    t = np.linspace(0, 2 * np.pi, 240)
    centre = pl.coords(q.theta_star)[0]
    (_, ua), (_, ub) = axes
    ring = centre + np.outer(np.cos(t) * inv[0] * scale, ua) + np.outer(np.sin(t) * inv[1] * scale, ub)
    return ring, [(i, u, s * scale) for (i, u), s in zip(axes, inv)]


def grow(box: tuple[tuple[float, float], tuple[float, float]], pts: np.ndarray, margin: float = 0.05) -> Any:
    """``box`` widened to hold ``pts`` too, with ``margin`` of the new size around them."""
    lo = np.minimum([box[0][0], box[1][0]], pts.min(axis=0))
    hi = np.maximum([box[0][1], box[1][1]], pts.max(axis=0))
    pad = margin * (hi - lo)
    grown = [lo[j] - pad[j] if lo[j] < (box[0][0], box[1][0])[j] else lo[j] for j in range(2)]
    top = [hi[j] + pad[j] if hi[j] > (box[0][1], box[1][1])[j] else hi[j] for j in range(2)]
    return (float(grown[0]), float(top[0])), (float(grown[1]), float(top[1]))


def draw_axes(ax: Axes, pl: Plane, ring: np.ndarray, axes: list, lr: float | None = None) -> None:
    """The ellipse and its axes along the eigen-directions, each in the legend with its eigenvalue
    (and GD's factor ``1 - lr*lambda_i`` when ``lr`` is given)."""
    q = pl.q
    centre = pl.coords(q.theta_star)[0]
    ax.plot(
        ring[:, 0],
        ring[:, 1],
        color="black",
        lw=1.0,
        ls="--",
        zorder=3,
        gid="ellipse",
        label="a contour L - L* = c: an ellipse whose axes are the eigen-directions",
    )
    flat = min(i for i, _, _ in axes) if len(axes) else 1
    longest = max(s for _, _, s in axes)
    for i, u, s in sorted(axes, key=lambda a: a[0]):
        lam = float(q.eigenvalues[i - 1])
        color = FLAT if i == flat else STEEP
        lams = q.eigenvalues[q.eigenvalues > 0]
        round_bowl = lams.size > 0 and lams[-1] - lams[0] <= 1e-12 * lams[-1]
        what = "equal eigenvalues: a round bowl" if round_bowl else ("flattest" if i == flat else "steepest")
        text = f"q{i} ({what}): lambda{i} = {number(lam, 4)}"
        if lr is not None:
            text += f", 1 - lr*lambda{i} = {number(1 - lr * lam)}"
        if s < longest / 20:  # sqrt(kappa) shorter than the other: a needle
            text += f"; its axis is {number(longest / s, 3)} times shorter (sqrt(kappa)), too short to see"
        ends = np.array([centre - s * u, centre + s * u])
        ax.plot(ends[:, 0], ends[:, 1], color=color, lw=2.4, zorder=4, gid=f"axis:q{i}", label=text)


def legend_below(ax: Axes, own: bool, width: int = 80) -> None:
    """The axes' legend under the picture, each label wrapped at ``width`` characters: the whole
    figure's legend when the figure is ours (``own``), so a long label never narrows the axes; the
    axes' own, below them, when the caller's figure holds other things."""
    handles, labels = ax.get_legend_handles_labels()
    labels = [textwrap.fill(text, width, subsequent_indent="    ") for text in labels]
    if own:
        drawn = ax.get_legend()
        if drawn is not None:
            drawn.remove()
        ax.figure.legend(handles, labels, fontsize=7.5, loc="outside lower left", frameon=False)
    else:
        ax.legend(handles, labels, fontsize=7.5, loc="upper left", bbox_to_anchor=(0.0, -0.12), frameon=False)
