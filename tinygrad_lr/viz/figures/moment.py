"""The replay's data, landscape and loss-curve panels as one matplotlib figure, for any moment.

:class:`MomentFigure` draws what does not change once (the points, the loss landscape, the loss
curve) and moves the rest when :meth:`MomentFigure.show` is called with an update and a phase:
the line and its residuals, the highlighted batch, the path, the current point and the step
arrow, the cursor on the loss curve, and the title with the update written out. The replay's
GIF/MP4 writer and its Jupyter widget both draw with it. It reads the recording through
:class:`~tinygrad_lr.viz.recording.RecordedRun`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..recording import (
    RecordedRun,
    fmt,
    landscape_axes,
    landscape_ranges,
    least_squares_minimum,
    update_lines,
)
from .base import new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["MomentFigure", "moment_text", "PHASES"]

PHASES = ("forward", "backward", "update")
# text sizes in points: at the GIF's 80 dpi, 10 pt is 11 px, the least a learner reads with ease
TICK_PT, LABEL_PT, LEGEND_PT = 11, 11, 10
BATCH, OTHER, LINE, PATH, STEP = "#d84315", "#90a4ae", "#1565c0", "#e65100", "#d50000"


def moment_text(rec: RecordedRun, k: int, phase: int, *, side_by_side: bool = True) -> list[str]:
    """The three lines the page shows for update ``k`` (0-based): forward, backward, update.

    Example:
        >>> from tinygrad_lr import LinearRegression
        >>> from tinygrad_lr.replay import record
        >>> rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01,
        ...              loss="sse", epochs=1)
        >>> print("\\n".join(moment_text(rec, 0, 2)))
        forward: L = SSE = 29 on all 3 samples at w = 1, b = 0
        backward: dL/dw = -40, dL/db = -18
        update: w <- 1 - 0.01 * (-40) = 1.4   b <- 0 - 0.01 * (-18) = 0.18

    The update line is the optimizer's own formula with its numbers (:func:`update_lines`): one
    line for gradient descent, one per quantity for momentum, Adam, Newton ...
    """
    names, b, g = rec.param_names, rec.before[k], rec.grads[k]
    rows = rec.batches[k]
    if len(rows) == rec.n_samples and np.array_equal(rows, np.arange(rec.n_samples)):
        on = f"all {rec.n_samples} samples"
    else:
        shown = ", ".join(str(int(r) + 1) for r in rows[:8]) + (", ..." if len(rows) > 8 else "")
        on = f"sample {shown}" if len(rows) == 1 else f"{len(rows)} samples: {shown}"
    at = ", ".join(f"{n} = {fmt(v)}" for n, v in zip(names, b))
    return [
        f"forward: L = {rec.loss_name.upper()} = {fmt(rec.losses[k])} on {on} at {at}",
        "backward: " + ", ".join(f"dL/d{n} = {fmt(v)}" for n, v in zip(names, g)),
        # the rule's own numbers, line by line (side_by_side=False: a line per parameter)
        "update: " + "\n        ".join(update_lines(rec, k, side_by_side=side_by_side)),
    ][: phase + 1]


TITLE_LINE_IN = 10 * 1.2 / 72  # a line of the 10 pt title, in inches (matplotlib's line spacing 1.2)


def _fits(rec: RecordedRun, width_in: float) -> bool:
    """Whether the update's lines, parameters side by side, fit a title ``width_in`` wide at
    10 pt monospace (0.6 em a character), at a dozen updates spread over the run."""
    chars = int(width_in * 72 / (10 * 0.6)) - 2
    picks = np.unique(np.linspace(0, rec.updates - 1, 12).astype(int))
    return all(len("update: " + line) <= chars for k in picks for line in update_lines(rec, int(k)))


class MomentFigure:
    """The three linked matplotlib panels of a replay; :meth:`show` moves them to a moment.

    For three or more parameters the landscape is drawn over ``axes`` (default: the first two
    weights) with the other parameters held at their values at the moment shown.
    """

    def __init__(
        self,
        rec: RecordedRun,
        *,
        axes: tuple[int, int] | None = None,
        width: float = 3.3,
        height: float = 3.4,
    ) -> None:
        if rec.updates == 0:
            raise ValueError("the recording has no updates to show")
        self.rec = rec
        self.axes_idx = landscape_axes(rec) if axes is None else axes
        # the update written out takes a line per quantity of the rule (Adam: five), and a line
        # per parameter when the parameters side by side would run out of the picture
        self.side_by_side = _fits(rec, 3 * width)
        lines = sum(len(rec.param_names) if "{p}" in f and not self.side_by_side else 1 for f in rec.formula)
        if lines > 1:  # gradient descent's one line fits the panel's height; measured: 0.03 in more
            height += TITLE_LINE_IN * (lines - 1) + 0.03
        fig, (ax_data, ax_land, ax_loss) = new_figure(ncols=3, width=width, height=height)
        self.fig: Figure = fig
        self.title = fig.suptitle("", fontsize=10, family="monospace", ha="left", x=0.01)
        self.ax_data, self.ax_land, self.ax_loss = ax_data, ax_land, ax_loss
        self._data_panel(ax_data)
        self._landscape_panel(ax_land)
        self._loss_panel(ax_loss)
        for ax in (ax_data, ax_land, ax_loss):
            ax.tick_params(labelsize=TICK_PT)
            ax.xaxis.label.set_size(LABEL_PT)
            ax.yaxis.label.set_size(LABEL_PT)
        # lay the panels out once, for the longest title, then keep them still: a moving frame
        # would distract, and the layout costs more than drawing a frame
        self.show(rec.updates - 1, 2)
        fig.draw_without_rendering()
        fig.set_layout_engine("none")

    def _data_panel(self, ax: Axes) -> None:
        """The points, the residuals and the lines (moved by :meth:`show`), on fixed limits."""
        from matplotlib.collections import LineCollection

        rec = self.rec
        d = rec.n_features
        xs = rec.X[:, 0] if d == 1 else rec.y
        self.scatter = ax.scatter(xs, rec.y, s=14, color=OTHER, zorder=3)
        self.resid = LineCollection([], colors=OTHER, linewidths=1, zorder=2)
        ax.add_collection(self.resid)
        (self.line,) = ax.plot([], [], color=LINE, linewidth=2)
        (self.old,) = ax.plot([], [], color=LINE, linewidth=1, linestyle="--", alpha=0.6)
        pad_x = 0.08 * (xs.max() - xs.min() or 1.0)
        ys = [rec.y]  # and the first and last lines, unless a diverging run flung them far away
        span = rec.y.max() - rec.y.min() or 1.0
        with np.errstate(over="ignore", invalid="ignore"):
            for p in (rec.before[0], rec.after[-1]):
                f = rec.design() @ p
                ys.append(f[np.isfinite(f) & (np.abs(f - rec.y.mean()) < 2 * span)])
        ally = np.concatenate(ys)
        pad_y = 0.08 * (ally.max() - ally.min() or 1.0)
        ax.set_xlim(xs.min() - pad_x, xs.max() + pad_x)
        ax.set_ylim(ally.min() - pad_y, ally.max() + pad_y)
        ax.set_xlabel(rec.feature_names[0] if d == 1 else "prediction f")
        ax.set_ylabel(rec.target_name)
        ax.set_title("data, line, residuals", fontsize=LABEL_PT)
        if d > 1:
            lo, hi = ax.get_xlim()
            ax.plot([lo, hi], [lo, hi], color="0.7", linestyle=":")

    def _landscape_panel(self, ax: Axes) -> None:
        """The loss over two parameters (or one), the minimum, and the path, point and step arrow."""
        from matplotlib.patches import FancyArrowPatch

        rec = self.rec
        self.contour_sets: list[Any] = []
        i, j = self.axes_idx
        final = rec.after[-1] if np.all(np.isfinite(rec.after[-1])) else rec.before[0]
        (lo_i, hi_i), (lo_j, hi_j) = landscape_ranges(rec, (i, j))
        if i == j:
            ws = np.linspace(lo_i, hi_i, 200)
            thetas = np.tile(final, (ws.size, 1))
            thetas[:, i] = ws
            ls = rec.full_loss(thetas)
            ax.plot(ws, ls, color="0.3")
            ax.set_ylabel("loss")
        else:
            self.grid = np.meshgrid(np.linspace(lo_i, hi_i, 60), np.linspace(lo_j, hi_j, 60))
            self._contours(final)
            ax.set_ylabel(rec.param_names[j])
            ax.set_ylim(lo_j, hi_j)
        ax.set_xlim(lo_i, hi_i)
        ax.set_xlabel(rec.param_names[i])
        ax.set_title("loss landscape, path, step", fontsize=LABEL_PT)
        minimum = least_squares_minimum(rec)
        if minimum is not None:
            ax.plot(
                [minimum[i]],
                [rec.full_loss(np.array(minimum)) if i == j else minimum[j]],
                "*",
                color="gold",
                markeredgecolor="black",
                markersize=13,
                zorder=4,
            )
        (self.path,) = ax.plot([], [], color=PATH, linewidth=1.2)
        (self.point,) = ax.plot([], [], "o", color=PATH, markeredgecolor="black", zorder=5)
        self.arrow = FancyArrowPatch((0, 0), (0, 0), arrowstyle="-|>", mutation_scale=12, color=STEP, lw=2)
        ax.add_patch(self.arrow)

    def _loss_panel(self, ax: Axes) -> None:
        """Every update's batch loss and the loss after each epoch, with a cursor (moved by show)."""
        rec = self.rec
        u = np.arange(1, rec.updates + 1)
        ax.plot(u, rec.losses, color="#90caf9", linewidth=1, label="batch loss")
        if rec.history is not None and rec.history.losses:
            ends = [
                int(np.flatnonzero(rec.epoch == e)[-1]) + 1 for e in range(1, len(rec.history.losses) + 1)
            ]
            ax.plot(ends, rec.history.losses, color=LINE, linewidth=1.5, label="loss after each epoch")
        finite = rec.losses[np.isfinite(rec.losses)]
        if finite.size and np.all(finite > 0):
            from matplotlib.ticker import LogFormatter, NullLocator

            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(LogFormatter())  # 0.01, not mathtext's 10^-2: ~2x faster frames
            ax.yaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("update")
        ax.set_ylabel(f"loss ({rec.loss_name.upper()})")
        ax.set_title("loss, update by update", fontsize=LABEL_PT)
        ax.legend(fontsize=LEGEND_PT, loc="upper right")
        self.cursor = ax.axvline(1, color=STEP, linewidth=1.2)
        (self.dot,) = ax.plot([], [], "o", color=PATH, markeredgecolor="black")

    def _contours(self, at: np.ndarray) -> None:
        """The loss over the two landscape axes, the other parameters held at ``at``'s values."""
        from matplotlib.colors import LogNorm

        i, j = self.axes_idx
        gi, gj = self.grid
        thetas = np.tile(at, (gi.size, 1))
        thetas[:, i], thetas[:, j] = gi.ravel(), gj.ravel()
        Z = self.rec.full_loss(thetas).reshape(gi.shape)
        Z = np.clip(Z, max(Z.min(), Z.max() * 1e-6, 1e-300), None)
        levels = np.geomspace(Z.min(), Z.max(), 20)
        for old in self.contour_sets:
            old.remove()
        self.contour_sets = [
            self.ax_land.contourf(gi, gj, Z, levels=levels, norm=LogNorm(), cmap="viridis", alpha=0.5),
            self.ax_land.contour(gi, gj, Z, levels=levels, colors="0.4", linewidths=0.4),
        ]

    def _point(self, p: np.ndarray) -> tuple[float, float]:
        i, j = self.axes_idx
        return float(p[i]), float(self.rec.full_loss(p) if i == j else p[j])

    def show(self, k: int, phase: int = 2) -> Figure:
        """Move every panel to update ``k`` (0-based) in ``phase`` (0 forward, 1 backward,
        2 update); returns the figure."""
        rec = self.rec
        if not 0 <= k < rec.updates or phase not in (0, 1, 2):
            raise ValueError(f"no moment ({k}, {phase}): updates are 0 to {rec.updates - 1}, phases 0 to 2")
        p = rec.before[k] if phase < 2 else rec.after[k]
        i, j = self.axes_idx
        if len(p) > 2 and i != j and np.all(np.isfinite(p)):
            # three or more parameters: the others are held at their values at this moment
            self._contours(p)
        self._show_data(k, phase, p)
        pts = [self._point(rec.before[u]) for u in range(k + 1)] + (
            [self._point(rec.after[k])] if phase == 2 else []
        )
        self.path.set_data([a for a, _ in pts], [c for _, c in pts])
        self.point.set_data(*([v] for v in self._point(p)))
        start, end = self._point(rec.before[k]), self._point(rec.after[k])
        if self.axes_idx[0] == self.axes_idx[1]:
            end = (end[0], start[1])
        self.arrow.set_positions(start, end)
        # the head never outgrows the step on the picture; a step under 2 px is not drawn at all
        a, b = self.ax_land.transData.transform([start, end])
        pixels = float(np.hypot(*(b - a))) if np.all(np.isfinite([a, b])) else 0.0
        self.arrow.set_mutation_scale(max(3.0, min(12.0, 0.6 * pixels)))
        self.arrow.set_visible(phase >= 1 and pixels >= 2)
        self.cursor.set_xdata([k + 1, k + 1])
        self.dot.set_data([k + 1], [rec.losses[k]])
        lines = moment_text(rec, k, 2, side_by_side=self.side_by_side)
        head = f"update {k + 1} of {rec.updates} (epoch {int(rec.epoch[k])}), "
        head += f"phase {phase + 1}/3 {PHASES[phase]}"
        self.title.set_text("\n".join([head, *lines[: phase + 1]]))
        return self.fig

    def _show_data(self, k: int, phase: int, p: np.ndarray) -> None:
        """The data panel at the moment: the batch highlighted, residuals, the line (and the old one)."""
        rec = self.rec
        A = rec.design()
        with np.errstate(over="ignore", invalid="ignore"):
            f = A @ p
        xs = rec.X[:, 0] if rec.n_features == 1 else f
        inb = np.zeros(rec.n_samples, dtype=bool)
        inb[rec.batches[k]] = True
        colors = [BATCH if b else OTHER for b in inb]
        self.scatter.set_offsets(np.column_stack([xs, rec.y]))
        self.scatter.set_color(colors)
        self.resid.set_segments([[(x, y), (x, fi)] for x, y, fi in zip(xs, rec.y, f)])
        self.resid.set_color(colors)
        self.resid.set_linewidth([2.0 if b else 1.0 for b in inb])
        lo, hi = self.ax_data.get_xlim()
        if rec.n_features == 1:
            c = p[-1] if rec.bias else 0.0
            self.line.set_data([lo, hi], [p[0] * lo + c, p[0] * hi + c])
            q = rec.before[k]
            cq = q[-1] if rec.bias else 0.0
            self.old.set_data(*(([lo, hi], [q[0] * lo + cq, q[0] * hi + cq]) if phase == 2 else ([], [])))
