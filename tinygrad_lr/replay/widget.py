"""The replay in Jupyter: an ipywidgets view driven by the same recording as the HTML page.

Controls: play/pause with a speed, previous/next phase and update, a slider over the updates,
the phase, and (for folded graphs) which sample's sub-graph to show. Panels: the update written
out with real numbers, the computation graph (the page's templates and labels, filled in here
by :func:`~tinygrad_lr.viz.svg_fill.fill_svg`), and the data, landscape and loss-curve panels
of :class:`~tinygrad_lr.viz.figures.MomentFigure`. Needs the ``widget`` extra
(``pip install 'tinygrad-lr[widget]'``: ipywidgets and matplotlib).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

from ..viz.figures.moment import PHASES, MomentFigure, moment_text
from ..viz.recording import fmt
from ..viz.svg_fill import fill_svg
from ..viz.update_graphs import frame_updates, graph_frames, sample_labels
from .page import asked_updates
from .record import Recording

__all__ = ["ReplayWidget", "replay_widget", "INSTALL_HINT"]

INSTALL_HINT = "the replay widget needs ipywidgets and matplotlib: pip install 'tinygrad-lr[widget]'"
SPEEDS = {"1/s": 1000, "3/s": 333, "10/s": 100, "30/s": 33}  # phases per second -> ms per phase


class ReplayWidget:
    """An interactive replay of ``rec`` for Jupyter; display it by leaving it as a cell's value.

    :meth:`show` moves every panel to a moment, as the controls do; ``update`` (0-based),
    ``phase`` (0 forward, 1 backward, 2 update) and ``sample`` tell where it is.
    The graph is drawn for the first ``first`` updates, log-spaced ones up to ``frames`` in all,
    and every update in ``detail`` (0-based), as on the page.

    Example:
        >>> from tinygrad_lr import LinearRegression
        >>> from tinygrad_lr.replay import record
        >>> rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd",
        ...              lr=0.01, loss="sse", epochs=50)
        >>> view = ReplayWidget(rec)               # doctest: +SKIP
        >>> view.show(0, 2); view.params_text      # doctest: +SKIP
        'w = 1.4, b = 0.18'
    """

    def __init__(
        self,
        rec: Recording,
        *,
        frames: int = 60,
        first: int = 20,
        axes: tuple[int, int] | None = None,
        detail: Sequence[int] = (),
    ) -> None:
        try:
            import ipywidgets as W  # type: ignore[import-untyped]
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        if rec.updates == 0:
            raise ValueError("the recording has no updates to replay")
        self.rec = rec
        asked = asked_updates(rec, detail)  # drawn in full detail too, as on the page
        picks = sorted(set(frame_updates(rec.updates, first=first, total=frames)) | set(asked))
        self.frames = graph_frames(rec, picks)
        self.frame_of = {u: i for i, u in enumerate(picks)}
        self.view = MomentFigure(rec, axes=axes)
        self.update, self.phase, self.sample = 0, 0, 0
        U = rec.updates
        self._busy = False
        self.play = W.Play(value=0, min=0, max=3 * U - 1, step=1, interval=333, description="play")
        self.speed = W.Dropdown(
            options=list(SPEEDS), value="3/s", description="speed", layout=W.Layout(width="160px")
        )
        self.slider = W.IntSlider(
            value=1, min=1, max=U, description="update", continuous_update=True, layout=W.Layout(width="100%")
        )
        self.phase_buttons = W.ToggleButtons(options=[("1 forward", 0), ("2 backward", 1), ("3 update", 2)])
        buttons = {
            "prev_update": W.Button(description="« update"),
            "prev_phase": W.Button(description="‹ phase"),
            "next_phase": W.Button(description="phase ›"),
            "next_update": W.Button(description="update »"),
        }
        self.buttons = buttons
        self.sample_picker = W.Dropdown(
            description="sample", options=[("-", 0)], layout=W.Layout(width="360px")
        )
        self.text = W.HTML()
        self.graph = W.HTML(layout=W.Layout(overflow="auto", max_height="420px"))
        self.image = W.Image(format="png")
        self.notes = W.HTML(value=self._notes())
        self.box = W.VBox(
            [
                W.HTML(
                    f"<b>{html.escape(rec.description)}</b>, {rec.loss_name.upper()} loss, "
                    f"{U} updates on {rec.n_samples} samples ({rec.engine} engine)"
                ),
                self.notes,
                W.HBox(
                    [
                        self.play,
                        self.speed,
                        buttons["prev_update"],
                        buttons["prev_phase"],
                        buttons["next_phase"],
                        buttons["next_update"],
                    ]
                ),
                self.slider,
                W.HBox([self.phase_buttons, self.sample_picker]),
                self.text,
                self.graph,
                self.image,
            ]
        )
        self.play.observe(lambda ch: self._from_tick(ch["new"]), names="value")
        self.speed.observe(lambda ch: setattr(self.play, "interval", SPEEDS[ch["new"]]), names="value")
        self.slider.observe(lambda ch: self._from_controls(ch["new"] - 1, self.phase), names="value")
        self.phase_buttons.observe(lambda ch: self._from_controls(self.update, ch["new"]), names="value")
        self.sample_picker.observe(lambda ch: self._pick(ch["new"]), names="value")
        buttons["prev_update"].on_click(lambda _: self.show(self.update - 1, self.phase))
        buttons["next_update"].on_click(lambda _: self.show(self.update + 1, self.phase))
        buttons["prev_phase"].on_click(lambda _: self._tick(-1))
        buttons["next_phase"].on_click(lambda _: self._tick(+1))
        self.show(0, 0)

    # --- moving -------------------------------------------------------------------------------

    def _tick(self, d: int) -> None:
        t = max(0, min(3 * self.rec.updates - 1, 3 * self.update + self.phase + d))
        self.show(t // 3, t % 3)

    def _from_tick(self, t: int) -> None:
        if not self._busy:
            self.show(t // 3, t % 3)

    def _from_controls(self, k: int, phase: int) -> None:
        if not self._busy:
            self.show(k, phase)

    def _pick(self, sample: int) -> None:
        if not self._busy:
            self.sample = sample
            self._draw_graph()

    def show(self, update: int, phase: int = 0) -> None:
        """Show update ``update`` (0-based) in ``phase`` (0 forward, 1 backward, 2 update)."""
        rec = self.rec
        self.update = max(0, min(rec.updates - 1, int(update)))
        self.phase = max(0, min(2, int(phase)))
        self._busy = True
        try:
            self.slider.value = self.update + 1
            self.phase_buttons.value = self.phase
            self.play.value = 3 * self.update + self.phase
            self._set_picker()
        finally:
            self._busy = False
        self._draw_text()
        self._draw_graph()
        self.view.show(self.update, self.phase)
        buf = io.BytesIO()
        self.view.fig.savefig(buf, format="png", dpi=80)
        self.image.value = buf.getvalue()

    # --- panels -------------------------------------------------------------------------------

    @property
    def params_text(self) -> str:
        """The parameters at this moment, as the text panel shows them: ``'w = 1.4, b = 0.18'``."""
        p = (self.rec.before if self.phase < 2 else self.rec.after)[self.update]
        return ", ".join(f"{n} = {fmt(v)}" for n, v in zip(self.rec.param_names, p))

    def _notes(self) -> str:
        rec, notes = self.rec, []
        if len(self.frames.updates) < rec.updates:
            notes.append(
                f"Graph frames are drawn for {len(self.frames.updates)} of the {rec.updates} updates "
                "(the first ones, then log-spaced); the other panels show every update."
            )
        if rec.diverged:
            bound = f" Stable-lr bound: lr < {fmt(rec.max_stable_lr)}." if rec.max_stable_lr else ""
            message = html.escape(rec.diverged)
            notes.append(f"<span style='color:#b71c1c'>This run diverged: {message}.{bound}</span>")
        return "<br>".join(notes)

    def _draw_text(self) -> None:
        k, ph = self.update, self.phase
        lines = moment_text(self.rec, k, 2)

        def look(i: int) -> str:  # the current phase bold, the phases to come grey
            return "font-weight:bold;color:#212121" if i == ph else "color:#9e9e9e" if i > ph else ""

        def item(i: int, line: str) -> str:  # the update may take a line per quantity of its rule
            return f"<li style='{look(i)}'>{html.escape(line).replace(chr(10), '<br>')}</li>"

        items = "".join(item(i, line) for i, line in enumerate(lines))
        when = "after" if ph == 2 else "before"
        self.text.value = (
            "<div style='font-family:monospace;background:#fffde7;border-left:4px solid #f9a825;"
            "padding:4px 8px'>"
            f"<b>update {k + 1} of {self.rec.updates}, epoch {int(self.rec.epoch[k])}, phase {ph + 1}/3 "
            f"{PHASES[ph]}: {html.escape(self.params_text)} ({when} this update)</b><ol>{items}</ol></div>"
        )

    def _set_picker(self) -> None:
        fi = self.frame_of.get(self.update)
        if fi is None or not self.frames.folded[fi]:
            self.sample_picker.layout.display = "none"
            return
        rows = self.rec.batches[self.update]
        options = [(f"all {len(rows)} samples (ranges)", -1)] + [
            (
                f"sample {int(r) + 1}: "
                + ", ".join(f"{n} = {fmt(v)}" for n, v in zip(self.rec.feature_names, self.rec.X[r]))
                + f", {self.rec.target_name} = {fmt(self.rec.y[r])}",
                j,
            )
            for j, r in enumerate(rows)
        ]
        if [v for _, v in self.sample_picker.options] != [v for _, v in options]:
            self.sample_picker.options = options
        self.sample = min(self.sample, len(rows) - 1)
        self.sample_picker.value = self.sample
        self.sample_picker.layout.display = None

    def _draw_graph(self) -> None:
        fr, k = self.frames, self.update
        fi = self.frame_of.get(k)
        if fr.error is not None:
            self.graph.value = f"<p>{html.escape(fr.error)}</p>"
            return
        if fi is None:
            near = [u + 1 for u in fr.updates if abs(u - k) == min(abs(v - k) for v in fr.updates)]
            self.graph.value = (
                f"<p>No graph frame for update {k + 1}: graphs are drawn for {len(fr.updates)} of the "
                f"{self.rec.updates} updates (the first ones, then log-spaced). "
                f"Nearest: update {near[0]}.</p>"
            )
            return
        labels = sample_labels(self.rec, fr, fi, self.phase, self.sample)
        svg = fr.templates[fr.template[fi]]
        cluster = None
        if fr.folded[fi] and self.sample >= 0:
            rows = self.rec.batches[k]
            shown = int(rows[self.sample]) + 1
            cluster = f"x{len(rows)} (one subgraph per sample, folded: showing sample {shown})"
        if svg is not None:
            self.graph.value = fill_svg(svg, labels, cluster)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)


def replay_widget(rec: Recording, **kwargs: Any) -> ReplayWidget:
    """The Jupyter view of a recording: ``replay_widget(record(...))`` as a cell's last line."""
    return ReplayWidget(rec, **kwargs)
