"""An optimizer race: several runs from one start on one landscape, shown at any step."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..base import CYCLE, LINESTYLES, new_figure
from .bowl import draw_bowl, plane, window

if TYPE_CHECKING:
    from ....theory import Prediction, Quadratic

NO_THEORY = (
    "no closed-form prediction (its step divides by running averages of the gradient and its "
    "square: not one fixed linear map per step)"
)


class RaceFigure:
    """The landscape with each run's path so far (left) and each run's loss above its minimum (right).

    ``paths`` maps a label to the run's parameter vectors, one per step from the shared start;
    ``predictions`` maps a label to its :class:`~tinygrad_lr.theory.Prediction`, drawn faint and
    dashed under the run, or to ``None`` for a method the theory cannot predict (Adam: the picture
    says so). :meth:`show` moves every run to step ``k``; the replay's animation writer calls it
    once per frame.

    Example:
        >>> from tinygrad_lr.theory import quadratic
        >>> q = quadratic(([1, 2, 3], [3, 5, 7]))
        >>> p = q.predict("gd", 0.1, 30)
        >>> view = RaceFigure(q, {"GD": p.iterates}, {"GD": p})
        >>> view.show(30)
    """

    def __init__(
        self,
        q: Quadratic,
        paths: Mapping[str, Any],
        predictions: Mapping[str, Prediction | None],
        *,
        width: float = 5.2,
        height: float = 4.6,
    ) -> None:
        self.q = q
        self.plane = plane(q)
        self.paths = {k: np.asarray(v, dtype=np.float64).reshape(-1, q.n_params) for k, v in paths.items()}
        if not self.paths:
            raise ValueError("a race needs at least one run")
        self.steps = max(len(p) for p in self.paths.values()) - 1
        self.fig, (self.land, self.curve) = new_figure(ncols=2, width=width, height=height)
        coords = {k: self.plane.coords(v) for k, v in self.paths.items()}
        box = window(np.vstack([*coords.values(), self.plane.coords(q.theta_star)]))
        draw_bowl(self.land, self.plane, box)
        self._lines: dict[str, Any] = {}
        for i, (label, pts) in enumerate(coords.items()):
            self._add_run(i, label, pts, predictions.get(label))
        self.land.scatter(
            *coords[next(iter(coords))][0],
            s=70,
            facecolors="none",
            edgecolors="black",
            lw=1.5,
            zorder=6,
            label="the start",
        )
        self.land.set_xlim(box[0])
        self.land.set_ylim(box[1])
        if self.land.get_legend() is not None:
            self.land.get_legend().remove()  # one legend for both panels, under them
        handles, labels = self.land.get_legend_handles_labels()
        labels = [textwrap.fill(text, 62, subsequent_indent="    ") for text in labels]
        self.fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=7.5, frameon=False)
        self.curve.set_yscale("log")
        self.curve.set_xlim(0, max(self.steps, 1))
        self.curve.set_xlabel("step k")
        self.curve.set_ylabel(f"{q.loss_name.upper()} - {q.loss_name.upper()}* (log)")
        self.curve.grid(True, alpha=0.3)
        # the step, as plain text at a fixed place (a title would be placed anew at every drawing)
        self._step = self.curve.text(
            0.5, 1.02, "", transform=self.curve.transAxes, ha="center", va="bottom", fontsize=10, gid="step"
        )
        self.show(self.steps)  # the layout with the longest title, then kept: frames differ in data only
        self.fig.draw_without_rendering()
        self.fig.set_layout_engine("none")
        self.show(0)

    def _add_run(self, i: int, label: str, pts: np.ndarray, prediction: Prediction | None) -> None:
        color, style = CYCLE[i % len(CYCLE)], LINESTYLES[i % len(LINESTYLES)]
        if prediction is not None:
            pred = self.plane.coords(prediction.iterates)
            self.land.plot(pred[:, 0], pred[:, 1], color=color, lw=0.8, ls=":", alpha=0.7, zorder=4)
            tag = f"{label} (dotted: predicted)"
        else:
            tag = f"{label}: {NO_THEORY}"
        gaps = np.maximum(self.q.loss(self.paths[label]) - self.q.loss_star, 1e-300)
        lw = 0.6 if len(pts) > 200 else 1.3  # long zig-zags: thin, so their strokes stay apart
        path = self.land.plot(
            [], [], color=color, lw=lw, alpha=0.75, zorder=5, label=tag, gid=f"path:{label}"
        )[0]
        head = self.land.scatter([], [], s=60, color=color, edgecolors="black", zorder=7, gid=f"head:{label}")
        curve = self.curve.plot([], [], color=color, ls=style, lw=1.4, label=label)[0]
        self.curve.set_ylim(*_range(self.curve.get_ylim() if self._lines else None, gaps))
        self._lines[label] = (pts, gaps, path, head, curve)

    def freeze(self, dpi: float) -> None:
        """Draw what never moves once, at ``dpi``, as one image behind the rest: afterwards a frame
        redraws only the paths, the heads, the loss curves and the step, so an animation's frames
        cost a fraction of a full drawing. The figure then draws right at this ``dpi`` only (the
        animation writer's), so this is for writing frames, not for showing the figure."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        moving = {a for *_, path, head, curve in self._lines.values() for a in (path, head, curve)}
        moving.add(self._step)
        for a in moving:
            a.set_visible(False)
        self.fig.set_dpi(dpi)
        canvas = FigureCanvasAgg(self.fig)
        canvas.draw()
        background = np.asarray(canvas.buffer_rgba()).copy()
        for a in moving:
            a.set_visible(True)
        for ax in self.fig.axes:
            for child in ax.get_children():
                if child not in moving:
                    child.set_visible(False)
        for legend in self.fig.legends:
            legend.set_visible(False)
        self.fig.patch.set_visible(False)
        self.fig.figimage(background, 0, 0, origin="upper", zorder=-1)

    def show(self, k: int) -> None:
        """Every run up to step ``k`` (a run that ended earlier stays at its last step)."""
        k = int(k)
        for pts, gaps, path, head, curve in self._lines.values():
            j = min(k, len(pts) - 1)
            path.set_data(pts[: j + 1, 0], pts[: j + 1, 1])
            head.set_offsets(pts[j : j + 1])
            curve.set_data(np.arange(j + 1), gaps[: j + 1])
        self._step.set_text(f"step {k} of {self.steps}")


def _range(old: tuple[float, float] | None, gaps: np.ndarray) -> tuple[float, float]:
    """The loss panel's limits: every run's gaps from the largest down to 1e-12 of it at most."""
    finite = gaps[np.isfinite(gaps)]
    hi = float(finite.max())
    lo = max(float(finite.min()), hi * 1e-12)
    if old is not None:
        lo, hi = min(lo, old[0]), max(hi, old[1])
    return lo / 2, hi * 2
