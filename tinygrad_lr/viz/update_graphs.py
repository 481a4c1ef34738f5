"""The computation graph of a recorded update, in three phases, on one fixed layout.

For a chosen subset of the updates (:func:`frame_updates`: the first ones, then log-spaced), the
loss of the update's batch is rebuilt on the ``Value`` engine from the recorded parameters and
batch, backpropagated, and drawn by :func:`~tinygrad_lr.viz.draw_graph` three times:

1. *forward*: every node's value, gradients not computed yet;
2. *backward*: the gradients too;
3. *update*: the parameters' new values ``p - lr * dL/dp``.

Graphviz lays out each distinct graph shape once (a *template*, with every label as wide as its
widest version); the frames only carry the label lines, which the replay page (or the widget,
with :func:`~tinygrad_lr.viz.svg_fill.fill_svg`) writes into the template's text. So the graph
keeps its layout while the numbers change. Large batches are folded per sample (``fold=True``);
for them every frame also carries each sample's own numbers, so a picker can show any one
sample's sub-graph in the folded box. The recording is read through
:class:`~tinygrad_lr.viz.recording.RecordedRun`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import graphviz
import numpy as np

from ..graph import topological_order
from ..losses import get_loss
from ..value import Value
from .draw import draw_graph
from .recording import RecordedRun, fmt, fmt_change
from .render import GraphvizError, GraphvizNotFoundError, graphviz_install_hint, run_graphviz
from .templates import labels_of, shape_key, widened

__all__ = [
    "GraphFrames",
    "frame_updates",
    "graph_frames",
    "update_loss_graph",
    "sample_labels",
    "missing_dot_error",
    "FOLD_ABOVE",
]

FOLD_ABOVE = 4  # batches of more samples are drawn folded, one sub-graph for all
PHASES = ("forward", "backward", "update")


def frame_updates(updates: int, first: int = 20, total: int = 60) -> list[int]:
    """Which updates (0-based) get a graph frame: all when at most ``total``, else the first
    ``first`` and then log-spaced ones up to the last.

    Example:
        >>> frame_updates(5)
        [0, 1, 2, 3, 4]
        >>> picks = frame_updates(1000); picks[:3], picks[-3:], len(picks) <= 60
        ([0, 1, 2], [770, 877, 999], True)
    """
    if updates <= total:
        return list(range(updates))
    rest = np.geomspace(first + 1, updates, total - first)
    picks = set(range(first)) | {int(round(v)) - 1 for v in rest}
    return sorted(p for p in picks if 0 <= p < updates)


def update_loss_graph(rec: RecordedRun, k: int) -> tuple[Value, list[Value], list[list[Value]]]:
    """Update ``k``'s loss rebuilt on the Value engine and backpropagated.

    Returns ``(L, params, own)``: the loss, the parameter leaves ``[w..., b]`` (at the update's
    ``before`` values) and, per sample of the batch, the nodes only that sample uses, in
    topological order (the same shape for every sample). Data leaves are named by their row:
    ``x3``, ``y3`` (``x1_3``, ``x2_3`` for two features), the prediction ``f3``, the squared
    error ``L3``.
    """
    d = rec.n_features
    p0 = rec.before[k]
    ws = [Value(float(v), label=name) for v, name in zip(p0[:d], rec.param_names[:d])]
    b = Value(float(p0[d]), label="b") if rec.bias else None
    preds: list[Value] = []
    targets: list[Value] = []
    rows = rec.batches[k].tolist()
    sample_of: dict[int, int] = {}  # data leaf -> its position in the batch
    for j, row in enumerate(rows):
        xs = [
            Value(float(rec.X[row, c]), label=f"x{row + 1}" if d == 1 else f"x{c + 1}_{row + 1}")
            for c in range(d)
        ]
        f = ws[0] * xs[0]  # f = ((w1*x1 + w2*x2) + ...) + b, as the model computes it
        for c in range(1, d):
            f = f + ws[c] * xs[c]
        if b is not None:
            f = f + b
        f.label = f"f{row + 1}"
        preds.append(f)
        targets.append(Value(float(rec.y[row]), label=f"y{row + 1}"))
        for leaf in (*xs, targets[-1]):
            sample_of[id(leaf)] = j
    _, loss_fn = get_loss(rec.loss_name)
    L = loss_fn(preds, targets)
    L.label = "L"
    # a node belongs to one sample when every data leaf it is computed from is that sample's
    uses: dict[int, frozenset[int]] = {}
    own: list[list[Value]] = [[] for _ in rows]
    for node in topological_order(L):
        if node._prev:
            uses[id(node)] = frozenset().union(*(uses[id(p)] for p in node._prev))
        else:
            uses[id(node)] = frozenset({sample_of[id(node)]}) if id(node) in sample_of else frozenset()
        if len(uses[id(node)]) == 1:
            (j,) = uses[id(node)]
            own[j].append(node)
            if node.op == "**2" and node._prev[0].op == "-":
                node.label = f"L{rows[j] + 1}"
    L.backward()
    return L, [*ws, *([b] if b is not None else [])], own


@dataclass
class GraphFrames:
    """The graph frames of a recording, ready for the page or the widget.

    Attributes:
        updates: the updates (0-based) that have a frame.
        templates: the SVG of each distinct graph shape (``None`` without Graphviz).
        dots: the DOT source of each template (what Graphviz was given).
        template: per frame, the index of its template.
        labels: per frame and phase, ``{node id: [label lines]}``.
        folded: per frame, whether the graph is folded per sample.
        samples: per frame (folded ones), ``{node id: [data list, grad list]}`` over the batch:
            each sample's own numbers for the picker.
        params: the node id of each parameter, per frame (``w``, ``b`` boxes).
        error: why the templates could not be drawn (Graphviz missing), else ``None``.
    """

    updates: list[int]
    templates: list[str | None] = field(default_factory=list)
    dots: list[str] = field(default_factory=list)
    template: list[int] = field(default_factory=list)
    labels: list[list[dict[str, list[str]]]] = field(default_factory=list)
    folded: list[bool] = field(default_factory=list)
    samples: list[dict[str, list[list[float]]]] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Frame:
    """One update's graph: its labels per phase, and what the page needs beside them."""

    phases: list[dict[str, list[str]]]
    dot: graphviz.Digraph  # the backward phase's drawing: the template's shape
    fold: bool
    params: dict[str, str]
    samples: dict[str, list[list[float]]]


def _frame(rec: RecordedRun, k: int) -> _Frame:
    """Draw update ``k``'s graph in its three phases (labels only; no layout yet)."""
    L, params, own = update_loss_graph(rec, k)
    fold = len(own) > FOLD_ABOVE
    order = topological_order(L)
    pos = {id(node): f"n{i}" for i, node in enumerate(order)}
    forward = draw_graph(L, fold=fold, params=params, grads=False)
    backward = draw_graph(L, fold=fold, params=params, grads=True)
    phases = [labels_of(forward), labels_of(backward)]
    update = {key: list(lines) for key, lines in phases[1].items()}
    for p, new in zip(params, rec.after[k]):
        lines = update[pos[id(p)]]
        now, was = fmt_change(new, p.data)
        lines[1] = f"data {now} (was {was})"
    phases.append(update)
    samples: dict[str, list[list[float]]] = {}
    if fold:
        drawn = set(phases[1])
        for col in range(len(own[0])):
            nid = pos[id(own[0][col])]
            if nid in drawn:
                samples[nid] = [[float(s[col].data) for s in own], [float(s[col].grad) for s in own]]
    names = {name: pos[id(p)] for name, p in zip(rec.param_names, params)}
    return _Frame(phases, backward, fold, names, samples)


def graph_frames(rec: RecordedRun, updates: Sequence[int], *, render: bool = True) -> GraphFrames:
    """Draw the graph of every update in ``updates`` in its three phases (see the module doc).

    With ``render=False`` (or when Graphviz's ``dot`` is missing, which sets ``error``) the
    templates are not laid out; the labels are still computed.
    """
    frames = GraphFrames(updates=list(updates))
    shapes: dict[str, int] = {}
    widest: list[dict[str, list[str]]] = []
    first_dot: list[graphviz.Digraph] = []
    for k in updates:
        frame = _frame(rec, k)
        key = shape_key(frame.dot)
        if key not in shapes:
            shapes[key] = len(shapes)
            widest.append({})
            first_dot.append(frame.dot)
        t = shapes[key]
        for labels in frame.phases:
            for nid, lines in labels.items():
                have = widest[t].setdefault(nid, [])
                for i, line in enumerate(lines):
                    if i >= len(have):
                        have.append(line)
                    elif len(line) > len(have[i]):
                        have[i] = line
        frames.template.append(t)
        frames.labels.append(frame.phases)
        frames.folded.append(frame.fold)
        frames.params.append(frame.params)
        frames.samples.append(frame.samples)
    for t, dot in enumerate(first_dot):
        _add_template(frames, dot, widest[t], render)
    if frames.error is not None:
        frames.templates = [None] * len(frames.templates)
    return frames


def _add_template(
    frames: GraphFrames, dot: graphviz.Digraph, widest: dict[str, list[str]], render: bool
) -> None:
    """Lay out one graph shape with each label at its widest, and keep its SVG (or the error)."""
    tmpl = widened(dot, widest)
    frames.dots.append(tmpl.source)
    svg = None
    if render and frames.error is None:
        try:
            svg = run_graphviz(tmpl, "svg", "the graph panel").decode("utf-8")
        except GraphvizNotFoundError:
            frames.error = (
                "Graphviz's 'dot' program was not found, so the graph panel is empty; "
                f"install Graphviz with: {graphviz_install_hint()}"
            )
        except GraphvizError as exc:  # dot ran and failed: its own message, quoted
            frames.error = f"the graph panel is empty: {exc}"
    frames.templates.append(svg)


def missing_dot_error(frames: GraphFrames, where: str) -> GraphvizNotFoundError:
    """The one-line error for a replay written without its graph panel."""
    return GraphvizNotFoundError(f"{where} was written without the graph: {frames.error}")


def sample_labels(
    rec: RecordedRun, frames: GraphFrames, fi: int, phase: int, sample: int
) -> dict[str, list[str]]:
    """The label lines of frame ``fi`` in ``phase``; in a folded frame, the box shows the batch's
    ``sample``-th sample (``-1``: the ranges over all samples). The page's script does the same."""
    labels = {nid: list(lines) for nid, lines in frames.labels[fi][phase].items()}
    if not frames.folded[fi] or sample < 0:
        return labels
    row = int(rec.batches[frames.updates[fi]][sample]) + 1
    index = str(row) if rec.n_features == 1 else f"_{row}"
    for nid, (data, grad) in frames.samples[fi].items():
        lines = labels[nid]
        lines[0] = re.sub(r"_i\b", index, lines[0])
        lines[1] = f"data {fmt(data[sample])}"
        lines[2] = f"grad {fmt(grad[sample])}" if phase >= 1 else "grad ? (not computed yet)"
    return labels
