"""The graph panel: the next update's loss graph as the pictures draw it, on a layout that holds still.

The graph is drawn by :func:`~tinygrad_lr.viz.draw_graph` (folded per sample past
:data:`~tinygrad_lr.viz.update_graphs.FOLD_ABOVE` samples, as the replay folds). Graphviz lays out
each graph shape once, a *template* whose boxes are as wide as their labels have been (numbers
padded to eight characters to begin with); every update after that only sends the label lines,
which the page writes into the template's text, as the replay page does. So dragging ``w``
changes numbers, not the picture's layout, and costs no Graphviz run.

Every drawn node also carries its numbers at full precision (``data`` and ``grad``: a float, a
list for a Tensor, the ``[min, max]`` over the samples of a folded box) and its chain-rule step
from :func:`~tinygrad_lr.viz.backward_steps`.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any

import graphviz
import numpy as np

from ..graph import topological_order
from ..tensor import Tensor
from ..viz import GraphTooLargeError, GraphvizError, GraphvizNotFoundError, backward_steps, draw_graph
from ..viz.render import run_graphviz
from ..viz.update_graphs import FOLD_ABOVE

__all__ = ["GraphPanel", "FOLD_ABOVE", "numbers"]

_NODE_LINE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")
_MIN_DIGITS = 8  # a template's numbers are at least this wide (-1.23457), so most drags fit its boxes
_PAD = "\u00a0" * 2  # a margin Graphviz measures, as the replay's templates have
_TEMPLATES_KEPT = 64
_SPARE = "0000"  # a widened line gets four characters more than it needs


def numbers(x: Any) -> Any:
    """A node's data or gradient for the page: a float, a (nested) list of floats, or None."""
    if x is None:
        return None
    arr = np.asarray(x, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr.tolist()


def _unquote(text: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", line) for line in text.split("\\n")]


def _quote(lines: list[str]) -> str:
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'


def _padded(line: str) -> str:
    """A ``data``/``grad`` line with its numbers widened to :data:`_MIN_DIGITS` (titles stay)."""
    if not line.startswith(("data ", "grad ")):
        return line
    return _NUMBER.sub(lambda m: m.group(0) + "0" * max(0, _MIN_DIGITS - len(m.group(0))), line)


class _Templates:
    """Laid-out graph shapes, shared by every session (a lock: requests run in threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_shape: OrderedDict[str, tuple[str, dict[str, list[str]], str]] = OrderedDict()
        self.svgs: OrderedDict[str, str] = OrderedDict()
        self.count = 0

    def get(self, dot: graphviz.Digraph, labels: dict[str, list[str]]) -> tuple[str, str]:
        """``(template id, svg)`` of a template for ``dot`` wide enough for ``labels``."""
        key = "".join(_NODE_LINE.sub(lambda m: m.group(1), line) for line in dot.body)
        with self.lock:
            known = self.by_shape.get(key)
            if known is not None and _fits(known[1], labels):
                self.by_shape.move_to_end(key)
                return known[0], known[2]
        widest = {nid: [_padded(line) for line in lines] for nid, lines in labels.items()}
        if known is not None:  # widen what no longer fits, with room to spare: fewer layouts
            for nid, lines in known[1].items():
                new = widest.get(nid, lines)
                widest[nid] = [old if len(n) <= len(old) else n + _SPARE for old, n in zip(lines, new)]
        svg = _layout(dot, widest)
        with self.lock:
            self.count += 1
            tid = f"t{self.count}"
            self.by_shape[key] = (tid, widest, svg)
            self.by_shape.move_to_end(key)
            while len(self.by_shape) > _TEMPLATES_KEPT:
                self.by_shape.popitem(last=False)
        return tid, svg


def _fits(widest: dict[str, list[str]], labels: dict[str, list[str]]) -> bool:
    return all(
        nid in widest and all(len(a) <= len(b) for a, b in zip(lines, widest[nid]))
        for nid, lines in labels.items()
    )


def _layout(dot: graphviz.Digraph, widest: dict[str, list[str]]) -> str:
    tmpl = dot.copy()
    body = []
    for line in tmpl.body:
        m = _NODE_LINE.match(line)
        if m and m.group(1) in widest:
            lines = [text + _PAD for text in widest[m.group(1)]]
            line = line[: m.start(2) - 1] + _quote(lines) + line[m.end(2) + 1 :]
        body.append(line)
    tmpl.body = body
    svg = run_graphviz(tmpl, "svg", "the lab's graph panel").decode("utf-8")
    return svg[svg.find("<svg") :]


TEMPLATES = _Templates()


class GraphPanel:
    """The graph panel's part of a view (see the module docstring)."""

    def __init__(self) -> None:
        self.error: str | None = None

    def frame(self, L: Any, params: list[Any], batch: int) -> dict[str, Any]:
        """Labels, numbers and chain-rule steps of the drawn nodes of ``L`` (backpropagated)."""
        fold = not isinstance(L, Tensor) and batch > FOLD_ABOVE
        try:
            dot = draw_graph(L, fold=fold, params=params)
        except GraphTooLargeError as exc:
            return {"error": str(exc)}
        labels = {}
        for line in dot.body:
            m = _NODE_LINE.match(line)
            if m:
                labels[m.group(1)] = _unquote(m.group(2))
        try:
            tid, svg = TEMPLATES.get(dot, labels)
        except (GraphvizNotFoundError, GraphvizError) as exc:  # no dot, or dot failed: its own words
            return {"error": f"the graph panel is empty: {exc}"}
        order = topological_order(L)
        members = _members(L, order, params) if fold else {}
        steps = backward_steps(L)
        last = len(steps) - 1
        nodes = {}
        for nid in labels:
            k = int(nid[1:])
            node = order[k]
            step = steps[last - k]
            entry: dict[str, Any] = {
                "name": step.name,
                "data": numbers(node.data),
                "grad": numbers(node.grad),
            }
            if nid in members:
                column = members[nid]
                entry["range"] = {
                    "data": [min(c.data for c in column), max(c.data for c in column)],
                    "grad": [min(c.grad for c in column), max(c.grad for c in column)],
                    "samples": len(column),
                }
            entry["step"] = {
                "caption": step.caption,
                "grad": numbers(step.grad),
                "terms": [
                    {
                        "consumer": c.consumer_name,
                        "upstream": numbers(c.upstream),
                        "local": None if c.local is None else float(c.local),
                        "local_expr": c.local_expr,
                        "value": numbers(c.value),
                    }
                    for c in step.contributions
                ],
            }
            nodes[nid] = entry
        return {"template": tid, "svg": svg, "labels": labels, "nodes": nodes, "folded": fold}


def _members(L: Any, order: list[Any], params: list[Any]) -> dict[str, list[Any]]:
    """For a loss summed over samples: each drawn node of sample 1 -> that node in every sample.

    A sample's own nodes are those its squared error is computed from, but the parameters; every
    sample builds them the same way, so a node of sample 1 is found in sample ``j`` by the same
    path of parent indices from ``j``'s squared error (one walk per sample, no sorting).
    """
    pos = {id(node): k for k, node in enumerate(order)}
    shared = {id(p) for p in params}
    roots = [node for node in order if node.op == "**2"]
    if not roots:
        return {}
    paths: dict[int, tuple[int, ...]] = {}
    stack: list[tuple[Any, tuple[int, ...]]] = [(roots[0], ())]
    first: list[Any] = []
    while stack:
        node, path = stack.pop()
        if id(node) in paths or id(node) in shared:
            continue
        paths[id(node)] = path
        first.append(node)
        stack += [(p, (*path, i)) for i, p in enumerate(node.parents)]

    def follow(root: Any, path: tuple[int, ...]) -> Any:
        for i in path:
            root = root.parents[i]
        return root

    return {f"n{pos[id(node)]}": [follow(r, paths[id(node)]) for r in roots] for node in first}
