"""Logistic regression's pictures: ``sigmoid(z)`` with the samples on it, the data in two colours
with the decision boundary as training moves it, and the cross-entropy's landscape (convex, but
not a bowl). The graph of one sample's loss is the walkthrough's (:mod:`tinygrad_lr.viz`).

A sample of class 0 is a blue circle and one of class 1 an orange triangle everywhere, so the
two classes differ in shape as well as colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...logistic import sigmoid
from .base import CYCLE, new_figure, target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["CLASS_STYLES", "sigmoid_samples", "decision_boundaries", "bce_landscape", "scatter_classes"]

# class 0, class 1: colour and marker (shape too, for readers who do not tell the colours apart)
CLASS_STYLES: tuple[dict[str, Any], ...] = (
    {"color": "tab:blue", "marker": "o"},
    {"color": "tab:orange", "marker": "^"},
)


def _classes(y: Any) -> np.ndarray:
    yv = np.asarray(y, dtype=np.float64).reshape(-1)
    if yv.size == 0:
        raise ValueError("y is empty; give at least one sample")
    if not np.all((yv == 0.0) | (yv == 1.0)):
        bad = yv[~((yv == 0.0) | (yv == 1.0))][0]
        raise ValueError(f"y holds the classes 0 and 1, got {bad!r}")
    return yv


def scatter_classes(ax: Axes, x: np.ndarray, y2: np.ndarray, classes: np.ndarray, **kw: Any) -> None:
    """Each class's points at ``(x, y2)`` in its own colour and shape, labelled for the legend."""
    for c, style in enumerate(CLASS_STYLES):
        rows = classes == c
        if rows.any():
            ax.scatter(
                x[rows],
                y2[rows],
                s=kw.get("s", 30),
                edgecolors="black",
                linewidths=0.5,
                zorder=3,
                label=f"class {c} ({int(rows.sum())} samples)",
                gid=f"class:{c}",
                **style,
            )


def sigmoid_samples(
    z: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """``p = sigmoid(z)`` against the logit ``z``, with each sample at its logit: its class ``y``
    (0 or 1) as a marker, its probability on the curve, and the dashed gap ``p - y`` between them
    -- the factor every sample's gradient carries (``dL/dz = p - y``).

    Example:
        >>> fig = sigmoid_samples([-2.0, 0.5, 3.0], [0, 1, 1])
    """
    fig, ax = target(ax, width=6.5, height=4.2)
    zs = np.asarray(z, dtype=np.float64).reshape(-1)
    ys = _classes(y)
    if zs.size != ys.size:
        raise ValueError(f"z has {zs.size} values but y has {ys.size}")
    if not np.all(np.isfinite(zs)):
        raise ValueError("z must be finite: a logit of inf or NaN has no place on the curve")
    reach = max(6.0, float(np.max(np.abs(zs))) * 1.1)
    grid = np.linspace(-reach, reach, 400)
    ax.plot(
        grid,
        sigmoid(grid),
        color="black",
        linewidth=2,
        label="p = sigmoid(z) = 1 / (1 + e^-z)",
        gid="sigmoid",
    )
    p = sigmoid(zs)
    ax.vlines(
        zs,
        np.minimum(p, ys),
        np.maximum(p, ys),
        colors="0.45",
        linestyles="dashed",
        linewidths=1,
        label="p - y, each sample's dL/dz",
        gid="gaps",
    )
    scatter_classes(ax, zs, ys, ys.astype(int))
    ax.scatter(zs, p, s=12, color="black", zorder=4, label="each sample's p on the curve", gid="on-curve")
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":")
    ax.axvline(0.0, color="0.6", linewidth=0.8, linestyle=":")
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-0.08, 1.08)
    ax.set_xlabel("logit z = w . x + b")
    ax.set_ylabel("p (class 1)   and the class y")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(0.0, 0.62))
    ax.set_title(title or "sigmoid(z): logits to probabilities; z > 0 means class 1")
    return fig


def _boundary(
    ax: Axes, theta: np.ndarray, xlim: tuple[float, float], ylim: tuple[float, float], **style: Any
) -> None:
    """The line ``w1 x1 + w2 x2 + b = 0`` across the picture (nothing when ``w`` is 0)."""
    w1, w2, b = (float(v) for v in theta)
    if w2 != 0.0:
        xs = np.array(xlim)
        ax.plot(xs, -(w1 * xs + b) / w2, **style)
    elif w1 != 0.0:
        ax.plot([-b / w1] * 2, list(ylim), **style)
    else:
        ax.plot([], [], **style)  # no line yet (w = 0): kept in the legend


def decision_boundaries(
    X: Any,
    y: Any,
    boundaries: dict[str, Sequence[float]],
    *,
    feature_names: Sequence[str] = ("x1", "x2"),
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Two features' samples in two colours and the decision boundaries ``w1 x1 + w2 x2 + b = 0``
    given by ``boundaries`` (label -> ``[w1, w2, b]``), earliest first: faint to dark, the last one
    solid -- how training moves the line where ``p = 1/2``.

    Example:
        >>> fig = decision_boundaries([[0, 0], [1, 1]], [0, 1], {"w = (1, 1), b = -1": [1, 1, -1]})
    """
    fig, ax = target(ax, width=6.5, height=5.0)
    Xa = np.asarray(X, dtype=np.float64)
    ys = _classes(y)
    if Xa.ndim != 2 or Xa.shape[1] != 2 or Xa.shape[0] != ys.size:
        raise ValueError(f"X must be (n, 2) for the {ys.size} targets, got shape {Xa.shape}")
    pad = 0.06 * (Xa.max(axis=0) - Xa.min(axis=0) + 1e-12)
    xlim = (float(Xa[:, 0].min() - pad[0]), float(Xa[:, 0].max() + pad[0]))
    ylim = (float(Xa[:, 1].min() - pad[1]), float(Xa[:, 1].max() + pad[1]))
    scatter_classes(ax, Xa[:, 0], Xa[:, 1], ys.astype(int))
    k = len(boundaries)
    for i, (label, theta) in enumerate(boundaries.items()):
        last = i == k - 1
        shade = 0.75 * (1 - i / max(k - 1, 1))  # grey 0.75 (early) to black (late)
        _boundary(
            ax,
            np.asarray(theta, dtype=np.float64),
            xlim,
            ylim,
            color=str(shade),
            linewidth=2.2 if last else 1.4,
            linestyle="-" if last else "--",
            label=label,
            gid=f"boundary:{i}",
        )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.legend(fontsize=8, loc="lower left", framealpha=0.9)
    ax.set_title(title or "the decision boundary p = 1/2 as training moves it")
    return fig


def bce_landscape(
    loss_fn: Callable[[float, float], float],
    minimum: tuple[float, float],
    w_range: tuple[float, float],
    b_range: tuple[float, float],
    *,
    paths: dict[str, Any] | None = None,
    hessian: Any = None,
    names: tuple[str, str] = ("w", "b"),
    num: int = 80,
) -> Figure:
    """The cross-entropy over two parameters, two panels. Left: its contours with the paths
    ``paths`` (label -> ``(n, 2)`` points) and the minimum. Right: the loss along the first
    parameter through the minimum, next to the bowl ``L* + H11 (w - w*)^2 / 2`` that matches its
    curvature there (``hessian``, the 2x2 Hessian at the minimum): convex, one valley, but not a
    quadratic bowl -- far from the minimum it rises along a straight line, not a parabola.

    Example:
        >>> loss = lambda w, b: float(np.mean(np.logaddexp(0, w * np.array([-1, 1.0]) + b)
        ...                                    - np.array([0, 1.0]) * (w * np.array([-1, 1.0]) + b)))
        >>> fig = bce_landscape(loss, (0.0, 0.0), (-3, 3), (-3, 3), hessian=[[0.25, 0], [0, 0.25]])
    """
    from .landscape import loss_landscape

    fig, (left, right) = new_figure(ncols=2, width=5.6, height=4.6)
    loss_landscape(
        loss_fn,
        w_range,
        b_range,
        trajectories=paths,
        minimum=minimum,
        num=num,
        levels=20,
        log_levels=False,
        ax=left,
    )
    left.legend(fontsize=8, loc="lower left")
    left.set_xlabel(names[0])
    left.set_ylabel(names[1])
    left.set_title("contours of the loss: one valley", fontsize=10)
    ws = np.linspace(float(w_range[0]), float(w_range[1]), 300)
    along = np.array([loss_fn(w, minimum[1]) for w in ws])
    lmin = loss_fn(*minimum)
    right.plot(
        ws, along, color="black", linewidth=2, label=f"the loss at {names[1]} = {minimum[1]:.3g}", gid="slice"
    )
    if hessian is not None:
        h11 = float(np.asarray(hessian, dtype=np.float64)[0, 0])
        right.plot(
            ws,
            lmin + 0.5 * h11 * (ws - minimum[0]) ** 2,
            color=CYCLE[3],
            linestyle="--",
            label=f"the bowl with its curvature at the minimum ({h11:.3g})",
            gid="bowl",
        )
    right.scatter(
        [minimum[0]],
        [lmin],
        marker="*",
        s=220,
        color="gold",
        edgecolors="black",
        zorder=5,
        label=f"minimum {names[0]} = {minimum[0]:.3g}",
    )
    right.set_ylim(0.0, float(np.max(along)) * 1.05)
    right.set_xlim(ws[0], ws[-1])
    right.set_xlabel(names[0])
    right.set_ylabel("loss (mean cross-entropy)")
    right.legend(fontsize=8, loc="upper center")
    right.set_title("a slice through the minimum: convex, not a bowl", fontsize=10)
    return fig

