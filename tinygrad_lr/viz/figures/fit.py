"""The fitted line: training points, test points and ``y = w*x + b``, as the tutorial draws them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...value import Value
from .base import LINE_COLOR, TEST_COLOR, TRAIN_COLOR, floats, target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def coefficient(v: float) -> str:
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
    fig, ax = target(ax)
    w, b = float(w), float(b)
    xs, ys = floats(x_train, "x_train"), floats(y_train, "y_train")
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
        xt, yt = floats(x_test, "x_test"), floats(y_test, "y_test")
        if xt.shape != yt.shape:
            raise ValueError(f"x_test has {xt.size} values but y_test has {yt.size}")
        ax.scatter(xt, yt, color=TEST_COLOR, zorder=3, label="test points", gid="test")
    line_x = np.linspace(xlim[0], xlim[1], 2)
    sign = "+" if b >= 0 else "-"
    label = f"y = {coefficient(w)}x {sign} {coefficient(abs(b))}"
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
