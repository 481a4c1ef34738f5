"""Anomaly mode: find the node where a NaN or an infinity first appears, and show it.

Inside ``with detect_anomaly():`` every backward pass (``backward()``, ``backward(create_graph=True)``
and :func:`~tinygrad_lr.grad`) checks its graph:

1. **forward**: before any gradient is computed, the nodes are visited in the order they were
   computed (parents first); the first *operation* whose result is NaN or infinite is the
   culprit (its inputs are finite, or are leaves: a parameter that is already ``inf`` shows up
   as the input of the first op that uses it);
2. **backward**: then, as the chain rule visits the nodes, the first node whose backward step
   hands a parent a NaN or infinite gradient is the culprit (``sqrt`` at 0: the value 0 is
   fine, the slope ``1/(2 sqrt a)`` is not);
3. **hooks**: a hook (``register_hook``) whose returned gradient is NaN or infinite is the
   culprit itself, named with the node it was registered on (``kind "hook"``), not the op
   below that would pass its number on.

Either raises :class:`AnomalyError`, which names the op, its inputs' values and the node's place
in the graph (its position in the order, the path from the loss down to it), and carries a
drawing of the graph with the node in red and the path from the loss to it in red:
``err.graph`` is a ``graphviz.Digraph`` (inline in Jupyter; :func:`~tinygrad_lr.save_graph` saves
it), and the error itself displays as that picture in Jupyter.

Off by default, and free when off: the backward pass tests one flag per pass
(:mod:`tinygrad_lr.graph`), never one per op.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import graphviz

from . import graph
from .graph import is_finite
from .ops import ATOM, INFIX, PREFIX, Op
from .viz import GraphTooLargeError, draw_graph

__all__ = ["AnomalyError", "detect_anomaly", "is_anomaly_enabled"]

_RED = "#d50000"
_NODE_RED = {"color": _RED, "fillcolor": "#ffcdd2", "penwidth": "3", "fontcolor": "#b71c1c"}
_OP_RED = {"color": _RED, "fillcolor": "#ffcdd2", "penwidth": "2.5", "fontcolor": "#b71c1c"}
_PATH_RED = {"color": _RED, "penwidth": "2.5"}
_EDGE_RED = f'color="{_RED}" penwidth=3'


class AnomalyError(FloatingPointError):
    """A NaN or an infinity appeared in the graph: where, and a picture of it.

    Attributes:
        kind: ``"forward"`` (the op's result is not finite), ``"backward"`` (the gradient
            the op's backward step handed to ``parent`` is not finite) or ``"hook"`` (a hook
            registered on ``node`` returned a gradient that is not finite).
        node: the node of the op at fault (for ``"hook"``, the node the hook is registered on).
        hook: for ``"hook"``, the hook at fault (else ``None``).
        parent: for ``"backward"``, the input whose gradient went bad (else ``None``).
        root: the node the backward pass started from (the loss).
        path: the nodes from ``root`` down to ``node`` (each computed from the next).
        position: ``node``'s index in the order the nodes were computed (parents first).
    """

    def __init__(
        self, message: str, *, kind: str, node: Any, parent: Any, root: Any, path: list[Any], position: int
    ) -> None:
        super().__init__(message)
        self.kind, self.node, self.parent, self.root = kind, node, parent, root
        self.path, self.position = path, position
        self.hook: Any = None
        self._graph: graphviz.Digraph | None = None

    @property
    def graph(self) -> graphviz.Digraph:
        """The graph from the loss, the node at fault and the path to it in red (drawn once)."""
        if self._graph is None:
            self._graph = _draw(self)
        return self._graph

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.graph._repr_mimebundle_(include, exclude)

    def _repr_svg_(self) -> str | None:
        svg = self.graph._repr_mimebundle_().get("image/svg+xml")  # no traceback without Graphviz
        return None if svg is None else str(svg)


class _Checker:
    """What ``graph`` calls during a watched backward pass while anomaly mode is on."""

    def check_forward(self, order: list[Any], root: Any) -> None:
        for position, node in enumerate(order):
            if node._prev and not is_finite(node.data):
                raise _error("forward", node, None, root, order, position)

    def check_backward(self, node: Any, root: Any, order: list[Any]) -> None:
        if node is None:  # the seed dL/dL
            if not is_finite(root.grad):
                raise _error("backward", root, None, root, order, len(order) - 1)
            return
        for parent in node._prev:
            if not is_finite(parent.grad):
                raise _error("backward", node, parent, root, order, order.index(node))

    def check_graph_backward(self, node: Any, root: Any, order: list[Any], grads: dict[Any, Any]) -> None:
        for parent in node._prev:
            if not is_finite(grads.get(parent)):
                raise _error("backward", node, parent, root, order, order.index(node))

    def check_hook(self, node: Any, hook: Any, given: Any, g: Any, root: Any, order: list[Any]) -> None:
        """``hook`` on ``node``, given the gradient ``given``, returned ``g``: it is at fault if
        ``g`` is NaN or infinite (``given`` was checked when it was made)."""
        if not is_finite(_numbers(g)):
            err = _error("hook", node, None, root, order, order.index(node), hook=hook, returned=(given, g))
            err.hook = hook
            raise err


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: every backward pass inside it stops at the first NaN or infinity.

    Raises :class:`AnomalyError` naming the op, its inputs and its place in the graph, with a
    picture (``err.graph``). Nested uses are fine; the mode is off again after the block.

    Example:
        >>> from tinygrad_lr import Value
        >>> x = Value(0.0, label="x")
        >>> with detect_anomaly():
        ...     try:
        ...         (x.sqrt() * 3).backward()
        ...     except AnomalyError as err:
        ...         print(err.kind, err.node.op)
        backward sqrt
    """
    previous = graph.set_observer(_Checker())
    try:
        yield
    finally:
        graph.set_observer(previous)


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()``."""
    return isinstance(graph.pass_observer, _Checker)


# --- the message ------------------------------------------------------------------------------


def _name(node: Any, depth: int = 3, top: bool = True) -> str:
    """What to call a node in the message: its label, else the expression that made it, as its op
    writes it (every operation inside another in brackets: ``((w * x) + b) - y``)."""
    if getattr(node, "label", None):
        return str(node.label)
    if not node._prev:  # an unnamed leaf: its number, or the shape of its array
        shape = getattr(node, "shape", ())
        return _number(node.data) if not shape or node.data.size == 1 else f"<array {shape}>"
    if depth == 0:
        return "(...)"
    args = [_name(p, depth - 1, top=False) for p in node._prev]
    fn = node.grad_fn
    if not isinstance(fn, Op):  # an opaque numpy Function
        return f"{node.op}({', '.join(args)})"
    text, _ = fn.formula(args, [ATOM] * len(args), code=True)
    return text if top or fn.form not in (INFIX, PREFIX) else f"({text})"


def _number(x: Any) -> str:
    if type(x) is float:
        return f"{x:.6g}"
    import numpy as np

    arr = np.asarray(x)
    if arr.size == 1:
        return f"{float(arr.reshape(())):.6g}"
    return np.array2string(arr, precision=4, threshold=6, separator=", ")


def _path(root: Any, node: Any, order: list[Any]) -> list[Any]:
    """The nodes from ``root`` down to ``node``, each computed from the next (shortest path)."""
    inside = {id(n) for n in order}
    came_from: dict[int, Any] = {id(root): None}
    frontier = [root]
    while frontier and id(node) not in came_from:
        nxt = []
        for n in frontier:
            for p in n._prev:
                if id(p) in inside and id(p) not in came_from:
                    came_from[id(p)] = n
                    nxt.append(p)
        frontier = nxt
    path = [node]
    while came_from.get(id(path[-1])) is not None:
        path.append(came_from[id(path[-1])])
    return path[::-1]


def _bare(node: Any) -> str:
    """A node's name fit to follow a ``d``: ``w``, ``L``, ``(t * 3)``."""
    return _name(node) if getattr(node, "label", None) or not node._prev else f"({_name(node)})"


def _hook_name(hook: Any) -> str:
    """A hook as the message names it: ``double`` (in f.py:12), ``<lambda>`` (in f.py:30)."""
    name = getattr(hook, "__name__", None) or repr(hook)
    code = getattr(hook, "__code__", None)
    return f"{name} (in {code.co_filename}:{code.co_firstlineno})" if code is not None else str(name)


def _error(
    kind: str,
    node: Any,
    parent: Any,
    root: Any,
    order: list[Any],
    position: int,
    hook: Any = None,
    returned: Any = None,
) -> AnomalyError:
    path = _path(root, node, order)
    inputs = "; ".join(f"{_name(p)} = {_number(p.data)}" for p in node._prev) or "none (a leaf)"
    place = (
        f"node {position + 1} of {len(order)} in the order of computation, "
        f"{len(path) - 1} step{'s' if len(path) != 2 else ''} from the loss: "
        + " <- ".join(_name(n) for n in path)
    )
    if kind == "hook":
        given, g = returned
        what = (
            f"the hook {_hook_name(hook)} registered on {_name(node)} returned "
            f"d{_bare(root)}/d{_bare(node)} = {_number(_numbers(g))} "
            f"(it was given {_number(_numbers(given))}): the hook is the cause, not the op below it"
        )
    elif kind == "forward":
        what = f"the forward result of {node.op!r} ({_name(node)}) is {_number(node.data)}"
    elif parent is None:
        what = f"the gradient seeded into the loss ({_name(node)}) is {_number(node.grad)}"
    else:
        out_grad = node.grad
        what = (
            f"the backward step of {node.op!r} ({_name(node)}) handed d{_name(root)}/d{_name(parent)} = "
            f"{_number(_numbers(parent.grad))} to its input {_name(parent)} "
            f"(its output {_number(node.data)}, d{_name(root)}/d(output) = {_number(_numbers(out_grad))})"
        )
    message = f"detect_anomaly: {what}; its inputs: {inputs}; its place: {place}"
    return AnomalyError(message, kind=kind, node=node, parent=parent, root=root, path=path, position=position)


def _numbers(g: Any) -> Any:
    return g.data if hasattr(g, "_prev") else g


# --- the picture ------------------------------------------------------------------------------


def _draw(err: AnomalyError) -> graphviz.Digraph:
    """``draw_graph`` of the loss, then the node at fault, its op and the path to it in red."""
    root = err.root
    try:
        dot = draw_graph(root)
    except GraphTooLargeError:  # draw only what the node at fault was computed from
        root = err.node
        dot = draw_graph(root, grads=False)
    order = graph.topological_order(root)
    pos = {id(n): i for i, n in enumerate(order)}
    path = [n for n in err.path if id(n) in pos]
    red_nodes = list(path)
    if err.parent is not None:
        red_nodes.append(err.parent)
    red_edges = set()  # (parent id, child id, k): parent is the child's input k
    for child, parent in zip(red_nodes, red_nodes[1:]):
        k = next(i for i, p in enumerate(child._prev) if p is parent)
        red_edges.add((f"n{pos[id(parent)]}", f"n{pos[id(child)]}", k))
    _mark(dot, {f"n{pos[id(n)]}" for n in red_nodes}, red_edges, {f"n{pos[id(err.node)]}"})
    what = "result" if err.kind == "forward" else "gradient"
    source = "a hook on the node filled in red" if err.kind == "hook" else "the op filled in red"
    dot.attr(
        label=f"detect_anomaly: the first non-finite {what} comes from {source}",
        labelloc="t",
        fontcolor=_RED,
    )
    return dot


def _mark(
    dot: graphviz.Digraph, nodes: set[str], edges: set[tuple[str, str, int]], culprits: set[str]
) -> None:
    """Outline ``nodes`` in red, fill the ``culprits`` red, and draw the ``edges`` (parent,
    child, which input of the child) and the ops that made their children in red.

    ``draw_graph`` names a node ``n<position>`` and the op that made it ``n<position>op``; an
    input broadcast on its way in passes through ``n<position>opb<k>...`` first.
    """
    made = {c for _, c, _ in edges} | culprits  # nodes whose op (and the op's arrow to them) is red

    def red(src: str, dst: str) -> bool:
        if dst in made and src == dst + "op":
            return True
        for p, c, k in edges:
            via = f"{c}opb{k}"  # input k broadcast on its way into c's op: p -> via op -> via -> op
            if (src, dst) in ((p, c + "op"), (p, via + "op"), (via + "op", via), (via, c + "op")):
                return True
        return False

    lines = list(dot.body)
    for k, line in enumerate(lines):
        src, arrow, rest = line.strip().partition(" -> ")
        if arrow and red(src, rest.split(" ", 1)[0]):
            lines[k] = _with_attrs(line, _EDGE_RED)
    dot.body[:] = lines
    for nid in sorted(nodes):
        dot.node(nid, **(_NODE_RED if nid in culprits else _PATH_RED))
    for nid in sorted(made):
        dot.node(nid + "op", **(_OP_RED if nid in culprits else _PATH_RED))


def _with_attrs(line: str, attrs: str) -> str:
    line = line.rstrip("\n")
    if line.endswith("]"):
        return line[:-1] + f" {attrs}]\n"
    return f"{line} [{attrs}]\n"
