"""The graph panel: the next update's loss graph as the pictures draw it, on a layout that holds still.

The graph is drawn by :func:`~tinygrad_lr.viz.draw_graph` (folded per sample past
:data:`~tinygrad_lr.viz.update_graphs.FOLD_ABOVE` samples, as the replay folds). Graphviz lays out
each graph shape once, a *template* whose boxes are as wide as their labels have been (numbers
padded to nine characters to begin with, all widened at once when one outgrows them); every
update after that only sends the label lines, which the page writes into the template's text,
as the replay page does. So dragging ``w`` changes numbers, not the picture's layout, and costs
no Graphviz run; a ``Value`` graph of a shape seen before is not even drawn again (:class:`_Labels`).

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
from ..viz.names import num, short_names
from ..viz.recording import fmt
from ..viz.render import run_graphviz
from ..viz.templates import NODE_LINE, Labels, labels_of, shape_key, widened
from ..viz.update_graphs import FOLD_ABOVE

__all__ = ["GraphPanel", "FOLD_ABOVE", "numbers"]

_VALUE_ID = re.compile(r"^n\d+$")  # a value's box (n7): the k-th node in topological order
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]\d+)?")
_MIN_DIGITS = 9  # numbers in a template are at least this wide: -1.23457 and two to spare
_TEMPLATES_KEPT = 64


def numbers(x: Any) -> Any:
    """A node's data or gradient for the page: a float, a (nested) list of floats, or None."""
    if x is None:
        return None
    arr = np.asarray(x, dtype=np.float64)
    return float(arr) if arr.ndim == 0 else arr.tolist()


def _padded(line: str, digits: int) -> str:
    """A ``data``/``grad`` line with every number widened to ``digits`` characters (titles stay)."""
    if not line.startswith(("data ", "grad ")):
        return line
    return _NUMBER.sub(lambda m: m.group(0) + "0" * max(0, digits - len(m.group(0))), line)


def _longest_number(labels: Labels) -> int:
    return max(
        (len(m) for lines in labels.values() for line in lines if line.startswith(("data ", "grad "))
         for m in _NUMBER.findall(line)),
        default=0,
    )  # fmt: skip


class _Template:
    """One laid-out shape: its id, the label lines it was laid out with, its number width, its SVG."""

    def __init__(self, tid: str, widest: Labels, digits: int, svg: str) -> None:
        self.tid, self.widest, self.digits, self.svg = tid, widest, digits, svg

    def fits(self, labels: Labels) -> bool:
        return all(
            nid in self.widest and all(len(a) <= len(b) for a, b in zip(lines, self.widest[nid]))
            for nid, lines in labels.items()
        )


class _Templates:
    """Laid-out graph shapes, shared by every session (a lock: requests run in threads).

    Every number of a template is as wide as the longest one seen in that shape (at least
    :data:`_MIN_DIGITS`) plus two: a number that outgrows it widens them all at once, so a run
    whose numbers grow a digit re-lays its graph out once, not once per box.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_shape: OrderedDict[str, _Template] = OrderedDict()
        self.count = 0

    def get(self, dot: graphviz.Digraph, labels: Labels) -> tuple[str, str]:
        """``(template id, svg)`` of a template for ``dot`` wide enough for ``labels``."""
        key = shape_key(dot, NODE_LINE)  # no labels' text, operations' neither: the page writes them
        with self.lock:
            known = self.by_shape.get(key)
            if known is not None and known.fits(labels):
                self.by_shape.move_to_end(key)
                return known.tid, known.svg
        digits = _MIN_DIGITS if known is None else max(known.digits, _longest_number(labels) + 2)
        widest = {nid: [_padded(line, digits) for line in lines] for nid, lines in labels.items()}
        if known is not None:  # titles and every line at least as wide as before
            for nid, lines in known.widest.items():
                new = widest.get(nid, lines)
                widest[nid] = [max(_padded(old, digits), n, key=len) for old, n in zip(lines, new)]
        svg = _layout(dot, widest)
        with self.lock:
            self.count += 1
            template = _Template(f"t{self.count}", widest, digits, svg)
            self.by_shape[key] = template
            self.by_shape.move_to_end(key)
            while len(self.by_shape) > _TEMPLATES_KEPT:
                self.by_shape.popitem(last=False)
        return template.tid, template.svg


def _layout(dot: graphviz.Digraph, widest: Labels) -> str:
    svg = run_graphviz(widened(dot, widest, NODE_LINE), "svg", "the lab's graph panel").decode("utf-8")
    return svg[svg.find("<svg") :]


TEMPLATES = _Templates()


class _Labels:
    """The label lines of each drawn node, from :func:`~tinygrad_lr.viz.draw_graph`.

    A ``Value`` graph of a shape drawn before (the same operations and names, in the same order)
    is not drawn again: its labels are the last drawing's with the numbers of the ``data`` and
    ``grad`` lines written anew, as the pictures write them (6 significant digits; the range
    ``lo ... hi`` over the samples in a folded box). A Tensor graph is small: it is drawn each time.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.drawn: OrderedDict[tuple[Any, ...], tuple[graphviz.Digraph, Labels, list[str]]] = OrderedDict()

    def draw(
        self, L: Any, order: list[Any], members: dict[str, list[Any]], fold: bool, params: list[Any]
    ) -> tuple[graphviz.Digraph, Labels, dict[int, str]]:
        """The drawing, its label lines and every node's short name (for the chain-rule steps)."""
        key = None if isinstance(L, Tensor) else _shape(order, fold)
        with self.lock:
            known = self.drawn.get(key) if key is not None else None
        if known is not None:
            dot, labels, names = known
            return dot, _renumbered(labels, order, members), dict(zip(map(id, order), names))
        dot = draw_graph(L, fold=fold, params=params)
        labels = labels_of(dot, NODE_LINE)
        named = short_names(order, L)
        if key is not None:
            with self.lock:
                self.drawn[key] = (dot, labels, [named[id(node)] for node in order])
                while len(self.drawn) > _TEMPLATES_KEPT:
                    self.drawn.popitem(last=False)
        return dot, labels, named


def _shape(order: list[Any], fold: bool) -> tuple[Any, ...]:
    """What a Value graph's drawing and names depend on but its numbers: each node's operation,
    label and parents' places, and an unlabelled leaf's value (it is named by its number)."""
    pos = {id(node): k for k, node in enumerate(order)}
    return (
        fold,
        *(
            (node.op, node.label, tuple(pos[id(p)] for p in node._prev))
            if node._prev or node.label
            else ("", num(node.data))
            for node in order
        ),
    )


_DATA_GRAD = re.compile(r"^(data|grad) (\S+(?: \.\.\. \S+)?)(.*)$")


def _text(values: list[float]) -> str:
    lo, hi = fmt(min(values)), fmt(max(values))
    return lo if lo == hi else f"{lo} ... {hi}"


def _renumbered(labels: Labels, order: list[Any], members: dict[str, list[Any]]) -> Labels:
    out = {}
    for nid, lines in labels.items():
        if not _VALUE_ID.match(nid):  # an operation's symbol: it does not change
            out[nid] = lines
            continue
        node = order[int(nid[1:])]
        column = members.get(nid, [node])
        new = {"data": _text([c.data for c in column]), "grad": _text([c.grad for c in column])}
        fresh = []
        for line in lines:
            m = _DATA_GRAD.match(line)
            fresh.append(f"{m.group(1)} {new[m.group(1)]}{m.group(3)}" if m else line)
        out[nid] = fresh
    return out


LABELS = _Labels()


class GraphPanel:
    """The graph panel's part of a view (see the module docstring)."""

    def __init__(self) -> None:
        self.error: str | None = None

    def frame(self, L: Any, params: list[Any], batch: int) -> dict[str, Any]:
        """Labels, numbers and chain-rule steps of the drawn nodes of ``L`` (backpropagated)."""
        fold = not isinstance(L, Tensor) and batch > FOLD_ABOVE
        order = topological_order(L)
        members = _members(L, order, params) if fold else {}
        try:
            dot, labels, names = LABELS.draw(L, order, members, fold, params)
        except GraphTooLargeError as exc:
            return {"error": str(exc)}
        try:
            tid, svg = TEMPLATES.get(dot, labels)
        except (GraphvizNotFoundError, GraphvizError) as exc:  # no dot, or dot failed: its own words
            return {"error": f"the graph panel is empty: {exc}"}
        drawn = [order[int(nid[1:])] for nid in filter(_VALUE_ID.match, labels)]
        # any node clicked shows its step, the data's too
        steps = {id(step.node): step for step in backward_steps(L, only=drawn, names=names, every_node=True)}
        nodes = {}
        for nid in filter(_VALUE_ID.match, labels):
            node = order[int(nid[1:])]
            step = steps[id(node)]
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
