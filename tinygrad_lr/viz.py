"""Pictures of a computation graph, and the backward pass one chain-rule step at a time.

* :func:`draw_graph` turns the graph behind a ``Value`` or a ``Tensor`` into a
  ``graphviz.Digraph`` (it displays inline in Jupyter as it is); :func:`save_graph` writes it
  as ``.svg``, ``.png``, ``.pdf`` or ``.dot``, chosen by the file name's extension.
* :func:`backward_steps` replays the backward pass node by node, in the order the chain rule
  visits the nodes (the reverse of :func:`~tinygrad_lr.graph.topological_order`), with a
  caption per step such as ``dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4``;
  :func:`walkthrough_text` prints it one line per step, :func:`walkthrough_frames` draws it one
  picture per step and :func:`write_walkthrough` writes the pictures plus one self-contained
  HTML page that steps through them.

What a picture shows:

* a box per value: its name, ``data`` and ``grad``; parameters (orange, double border), data
  (blue) and constants (grey, dashed) are told apart; the loss has a bold border;
* an ellipse per operation, between its inputs and its output;
* an honest gradient: before ``backward()`` it reads ``grad ? (not computed yet)``, never 0.

When is a gradient "computed"?  A ``Tensor``'s ``grad`` is ``None`` until backward reaches it,
so each node says so itself.  A ``Value``'s ``grad`` is ``0.0`` both before backward and when
the gradient really is 0, so the picture asks the *root* instead: ``backward()`` always seeds
``dL/dL = 1`` into the node it is called on (``graph.run_backward``), and nothing else ever
writes into the gradient of a node that no other node was computed from.  So a ``Value``
graph counts as backpropagated exactly when its root's ``grad`` is not 0; pass
``grads=True`` or ``grads=False`` to override the rule (for instance for a root that is itself
part of a larger graph which was backpropagated).

Which leaves are parameters?  ``Tensor`` leaves with ``requires_grad``.  ``Value`` has no such
flag, so by default a ``Value`` leaf is a parameter when its label is one of the model's names
``w``, ``b``, ``theta`` (also indexed: ``w1``, ``w_2``, ``b[0]``); other labelled leaves are
data, unlabelled leaves are constants.  Pass ``params=[...]`` to say exactly which nodes are
parameters.

Every file is written whole or not at all: to a temporary file in the same folder, then moved
into place with :func:`os.replace`.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphviz

from ._files import atomic_file
from .graph import topological_order
from .tensor import Tensor

__all__ = [
    "DEFAULT_MAX_NODES",
    "WALKTHROUGH_MAX_NODES",
    "BackwardStep",
    "Contribution",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "draw_graph",
    "save_graph",
    "backward_steps",
    "walkthrough_text",
    "walkthrough_frames",
    "write_walkthrough",
    "graphviz_install_hint",
]

DEFAULT_MAX_NODES = 500  # boxes + ellipses; Graphviz lays out ~500 in about a second, 10,000 in minutes
WALKTHROUGH_MAX_NODES = 100  # a walkthrough draws the whole graph once per node: n frames of n nodes

SAVE_FORMATS = ("svg", "png", "pdf", "dot", "gv")

# colours: one role, one look, in every picture
_PARAM = {"fillcolor": "#ffe0b2", "color": "#e65100", "peripheries": "2"}
_DATA = {"fillcolor": "#e3f2fd", "color": "#1565c0"}
_CONST = {"fillcolor": "#f5f5f5", "color": "#757575", "style": "filled,dashed"}
_INNER = {"fillcolor": "white", "color": "black"}
_OP = {"shape": "ellipse", "style": "filled", "fillcolor": "#eeeeee", "color": "#616161", "fontsize": "12"}
_CURRENT = {"fillcolor": "#fff176", "color": "#d50000", "penwidth": "3"}
_HOT = "#d50000"  # the edges and operations the current chain-rule step reads from

_PARAM_LABEL = re.compile(r"^(w|b|theta)(_?\d+|\[\d+\])?$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME_MAX = 14  # longer derived names fall back to n<index>


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the renderer was allowed to draw."""


class GraphvizNotFoundError(OSError):
    """Graphviz's ``dot`` program is not installed; the DOT source was written instead."""


# --- small helpers ---------------------------------------------------------------------------


def _num(x: float) -> str:
    """A number as a learner writes it: ``-4``, ``0.18``, ``12.9612``."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def _factor(s: str) -> str:
    """A number or expression as a factor of a product: negative ones in parentheses."""
    return f"({s})" if s.startswith("-") else s


def _wrap(name: str) -> str:
    """``f`` stays ``f``; ``w*x`` becomes ``(w*x)``, as in ``d(w*x)/dw``."""
    return name if _IDENT.match(name) else f"({name})"


def _d(num: str, den: str) -> str:
    return f"d{_wrap(num)}/d{_wrap(den)}"


def _summary(a: Any) -> str:
    """A short summary of a Tensor's values: all of them when few, else the ends and the mean."""
    import numpy as np

    arr = np.asarray(a, dtype=float)
    flat = arr.reshape(-1)
    if arr.ndim == 0 or flat.size == 1:
        return _num(flat[0])
    if flat.size <= 6:
        return "[" + ", ".join(_num(v) for v in flat) + "]"
    return f"[{_num(flat[0])}, {_num(flat[1])}, ..., {_num(flat[-1])}]  mean {_num(flat.mean())}"


def _grad_known(node: Any, root: Any, grads: bool | None) -> bool:
    """The rule of the module docstring: may this node's ``grad`` be shown as a number?"""
    if isinstance(node, Tensor):
        return node.grad is not None and grads is not False
    if grads is not None:
        return grads
    return root.grad != 0.0


def _grad_text(node: Any) -> str:
    return _summary(node.grad) if isinstance(node, Tensor) else _num(node.grad)


def _text(g: Any) -> str | None:
    """A gradient for a label: a number, a short array summary, or None (not known)."""
    if g is None:
        return None
    return _num(g) if isinstance(g, float) else _summary(g)


def _data_text(node: Any) -> str:
    return _summary(node.data) if isinstance(node, Tensor) else _num(node.data)


def _role(node: Any, param_ids: set[int] | None) -> str:
    """``param``, ``data``, ``const`` (leaves) or ``inner`` (computed nodes)."""
    if node._prev:
        return "inner"
    if param_ids is not None:
        if id(node) in param_ids:
            return "param"
    elif isinstance(node, Tensor):
        if node.requires_grad:
            return "param"
    elif node.label and _PARAM_LABEL.match(node.label):
        return "param"
    return "data" if node.label else "const"


def _names(order: Sequence[Any], root: Any) -> dict[int, str]:
    """A short, unique name per node, used in pictures and captions.

    A label wins; a constant is its number; the root is ``L``; another computed node is the
    expression of its parents' names (``w*x``, ``(f-y)**2``) when that is short, else
    ``n<position in the topological order>``.
    """
    names: dict[int, str] = {}
    used: dict[str, int] = {}
    for i, node in enumerate(order):
        if node.label:
            name = str(node.label)
        elif node is root:
            name = "L"
        elif not node._prev:
            name = _num(node.data) if not isinstance(node, Tensor) else f"c{i}"
        else:
            name = _expression(node, names)
            if len(name) > _NAME_MAX or name in used:
                name = f"n{i}"
        if name in used:
            used[name] += 1
            name = f"{name}#{used[name]}"
        used.setdefault(name, 1)
        names[id(node)] = name
    return names


def _expression(node: Any, names: dict[int, str]) -> str:
    """``w*x`` for a product of w and x, ``(f-y)**2``, ``exp(a)``: the node as a formula."""
    op = node.op
    args = [names[id(p)] for p in node._prev]

    def arg(s: str) -> str:
        return s if _IDENT.match(s) or re.match(r"^\d[\d.e+]*$", s) else f"({s})"

    if len(args) == 2 and op in ("+", "-", "*", "/", "**", "@"):
        return f"{arg(args[0])}{op}{arg(args[1])}"
    if len(args) == 1 and op.startswith("**"):
        return f"{arg(args[0])}{op}"
    if len(args) == 1 and op.endswith("**"):
        return f"{op}{arg(args[0])}"
    if len(args) == 1 and op == "neg":
        return f"-{arg(args[0])}"
    return f"{op}({', '.join(args)})"


# --- the node limit, and where the picture's nodes come from ----------------------------------


def _check_limit(values: int, ops: int, max_nodes: int, kind: str = "graph") -> None:
    """Refuse more than ``max_nodes`` boxes and ellipses, saying how many and what to do.

    ``kind``: ``"graph"`` (unfolded: folding is the first advice), ``"folded"``,
    ``"unfoldable"`` or ``"walkthrough"`` (raising the limit is what is left).
    """
    total = values + ops
    if total <= max_nodes:
        return
    count = f"{total} nodes ({values} values and {ops} operations), more than max_nodes={max_nodes}"
    raise_it = f"raise the limit (max_nodes={total}, --max-nodes {total})"
    if kind == "graph":
        message = (
            f"the graph has {count}; fold the per-sample subgraphs into one (fold=True, --fold) or {raise_it}"
        )
    elif kind == "folded":
        message = f"even folded, the graph has {count}; {raise_it}"
    elif kind == "unfoldable":
        message = f"the graph has {count} and no repeated per-sample subgraphs to fold; {raise_it}"
    else:
        message = (
            f"the walkthrough's graph has {count} (it is drawn once per node); "
            f"walk through fewer samples or {raise_it}"
        )
    raise GraphTooLargeError(message)


@dataclass
class _Fold:
    """How a loss over N samples is folded: one sample drawn for all, the sum drawn once."""

    n: int  # samples
    rep: list[Any]  # the representative (first) sample's own nodes, topological order
    members: list[list[Any]]  # members[k][j]: sample j's node matching rep[k]
    alias: dict[int, Any]  # any sample's own node -> its representative; reduction node -> top
    reduction: list[Any]  # the '+' nodes that add the per-sample losses up
    top: Any  # the reduction's result, or None (typed Any: `node is top` must not make node Optional)
    sample_roots: list[Any]
    hidden: set[int]  # not drawn: the other samples' own nodes, the inner steps of the sum


def _fold(order: list[Any], is_param: Any) -> _Fold | None:
    """Find the per-sample subgraphs of a loss over N samples; None if there is nothing to fold.

    Two nodes belong to the same *kind* when they are computed by the same operations from
    the same kinds of inputs, with parameters matched by identity, data leaves by label (its
    trailing index dropped: ``x1`` and ``x2`` are both ``x``), constants all alike. The
    per-sample losses are the tallest kind that occurs more than once; each one's ancestors
    that no other sample uses are that sample's own nodes. The ``+`` nodes made only of
    per-sample losses, constants and each other are the sum over the samples.
    """
    kinds: dict[tuple[Any, ...], int] = {}
    kind: dict[int, int] = {}
    height: dict[int, int] = {}
    for node in order:
        if not node._prev:
            if is_param(node):
                key: tuple[Any, ...] = ("param", id(node))
            elif node.label:
                key = ("data", re.sub(r"(_?\d+|\[\d+\])$", "", str(node.label)))
            else:
                key = ("const",)
            height[id(node)] = 0
        else:
            key = (node.op, *(kind[id(p)] for p in node._prev))
            height[id(node)] = 1 + max(height[id(p)] for p in node._prev)
        kind[id(node)] = kinds.setdefault(key, len(kinds))
    groups: dict[int, list[Any]] = {}
    for node in order:
        if node._prev:
            groups.setdefault(kind[id(node)], []).append(node)
    repeated = [g for g in groups.values() if len(g) > 1]
    if not repeated:
        return None
    roots = max(repeated, key=lambda g: (height[id(g[0])], len(g)))
    per_sample = [topological_order(r) for r in roots]
    if len({len(s) for s in per_sample}) != 1:
        return None
    count: dict[int, int] = {}
    for sample in per_sample:
        for node in sample:
            count[id(node)] = count.get(id(node), 0) + 1
    rep: list[Any] = []
    members: list[list[Any]] = []
    alias: dict[int, Any] = {}
    for k, node in enumerate(per_sample[0]):
        column = [s[k] for s in per_sample]
        if any(kind[id(c)] != kind[id(node)] for c in column):
            return None  # same kind of loss, different inner sharing: do not pretend
        if count[id(node)] == 1:
            rep.append(node)
            members.append(column)
            for c in column:
                alias[id(c)] = node
    root_ids = {id(r) for r in roots}
    reduction: list[Any] = []
    red_ids: set[int] = set()
    for node in order:
        if (
            node.op == "+"
            and id(node) not in alias
            and all(
                id(p) in root_ids or id(p) in red_ids or (not p._prev and not p.label and not is_param(p))
                for p in node._prev
            )
        ):
            reduction.append(node)
            red_ids.add(id(node))
    top = None
    if reduction:
        consumed = {id(p) for node in order for p in node._prev if id(node) in red_ids}
        tops = [node for node in reduction if id(node) not in consumed]
        if len(tops) != 1:
            return None
        top = tops[0]
        for node in reduction:
            alias[id(node)] = top
    hidden = {id(c) for column in members for c in column[1:]}
    hidden |= {id(node) for node in reduction if node is not top}
    # constants only the sum uses (the 0 that Python's sum() starts from)
    users: dict[int, set[int]] = {}
    for node in order:
        for p in node._prev:
            users.setdefault(id(p), set()).add(id(node))
    hidden |= {
        id(node) for node in order if not node._prev and users.get(id(node)) and users[id(node)] <= red_ids
    }
    return _Fold(len(roots), rep, members, alias, reduction, top, list(roots), hidden)


# --- drawing ---------------------------------------------------------------------------------


def _param_ids(params: Iterable[Any] | None) -> set[int] | None:
    return None if params is None else {id(p) for p in params}


def _new_digraph(rankdir: str, caption: str | None) -> graphviz.Digraph:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be LR (left to right) or TB (top to bottom), got {rankdir!r}")
    dot = graphviz.Digraph("backprop", format="svg")
    dot.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.25", ranksep="0.35")
    dot.attr("node", fontname="Helvetica", fontsize="13", shape="box", style="rounded,filled")
    dot.attr("edge", color="#424242", arrowsize="0.7", fontname="Helvetica")
    if caption:
        dot.attr(label=graphviz.nohtml(caption), labelloc="t", labeljust="l", fontsize="16")
    return dot


def _value_label(name: str, role: str, data: str, grad: str | None, tensor: Any = None) -> str:
    title = {"param": f"{name} (parameter)", "data": f"{name} (data)", "const": "constant"}.get(role, name)
    lines = [title]
    if tensor is not None:
        lines.append(f"shape {tuple(tensor.shape)}")
    lines.append(f"data {data}")
    lines.append(f"grad {grad}" if grad is not None else "grad ? (not computed yet)")
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))


def _style(role: str, is_root: bool) -> dict[str, str]:
    style = dict({"param": _PARAM, "data": _DATA, "const": _CONST}.get(role, _INNER))
    style.setdefault("style", "rounded,filled")
    if is_root:
        style["penwidth"] = "2.5"
    style["class"] = "root" if is_root else role
    return style


def _node_ids(order: Sequence[Any]) -> Any:
    """Node names in the DOT source by topological position: the same graph, the same source."""
    pos = {id(node): i for i, node in enumerate(order)}

    def nid(node: Any) -> str:
        return f"n{pos[id(node)]}"

    return nid


_ELEMENTWISE = ("+", "-", "*", "/", "max", "**")  # tensor ops that broadcast their inputs


def _broadcast_axes(shape: tuple[int, ...], out: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``out`` a ``shape`` input was copied along (what unbroadcast sums over)."""
    lead = len(out) - len(shape)
    return tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and out[lead + i] != 1)


def _copy_grad(node: Any, k: int, grad: Any) -> Any:
    """``dL/d(copy)`` for the broadcast copy of ``node``'s parent ``k``: before it is summed back.

    The op is run once more on the copy (the parent broadcast to the output's shape), so its
    backward returns the gradient in the output's shape. None if that cannot be done.
    """
    import numpy as np

    if grad is None or node._fn is None:
        return None
    try:
        fn = type(node._fn)()
        fn.needs = tuple(i == k for i in range(len(node._prev)))
        shape = node.data.shape
        fn.forward(*[np.broadcast_to(p.data, shape) if i == k else p.data for i, p in enumerate(node._prev)])
        g = fn.backward(np.asarray(grad))[k]
    except Exception:  # only a picture detail: the picture is drawn without it
        return None
    return g if g is not None and np.shape(g) == shape else None


def _draw_plain(
    order: list[Any],
    root: Any,
    *,
    rankdir: str,
    param_ids: set[int] | None,
    grad_value: Any,
    caption: str | None = None,
    current: Any = None,
) -> graphviz.Digraph:
    """Draw every node; ``grad_value(node)`` is the gradient to show, or None if not known.

    For a Tensor op that broadcasts an input, the broadcast is drawn as a step of its own, the
    copy as a value, and the gradient's way back (summed over the copied axes) as a dashed edge.
    """
    names = _names(order, root)
    nid = _node_ids(order)
    dot = _new_digraph(rankdir, caption)
    hot: set[int] = set()  # consumers the current node's gradient is read from
    if current is not None:
        hot = {id(c) for c in order if any(p is current for p in c._prev)}
    for node in order:
        role = _role(node, param_ids)
        style = _style(role, node is root)
        if node is current:
            style.update(_CURRENT)
            style["class"] += " current"
        tensor = node if isinstance(node, Tensor) else None
        g = grad_value(node)
        gtext = _text(g)
        if tensor is not None and not node.requires_grad:
            gtext = "none (requires_grad=False)"
        dot.node(nid(node), _value_label(names[id(node)], role, _data_text(node), gtext, tensor), **style)
        if not node._prev:
            continue
        op_id = nid(node) + "op"
        op_style = dict(_OP)
        if id(node) in hot:
            op_style.update(color=_HOT, penwidth="2", fontcolor=_HOT)
        dot.node(op_id, graphviz.escape(node.op), **op_style, **{"class": "op"})
        for k, parent in enumerate(node._prev):
            edge = {"color": _HOT, "penwidth": "2.5"} if parent is current else {}
            source = nid(parent)
            if tensor is not None and node.op in _ELEMENTWISE and parent.shape != node.shape:
                source = _draw_broadcast(dot, node, k, source, f"{op_id}b{k}", names, g, edge)
            dot.edge(source, op_id, **edge)
        dot.edge(op_id, nid(node))
    return dot


def _draw_broadcast(
    dot: graphviz.Digraph, node: Any, k: int, pid: str, bid: str, names: dict[int, str], grad: Any, edge: Any
) -> str:
    """Draw ``parent -> broadcast -> copy``; return the copy's id, which feeds the op."""
    import numpy as np

    parent = node._prev[k]
    axes = _broadcast_axes(parent.shape, node.shape)
    over = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    name = names[id(parent)]
    copy = np.broadcast_to(parent.data, node.shape)
    dot.node(
        bid + "op",
        graphviz.nohtml(f"broadcast\\n{tuple(parent.shape)} -> {tuple(node.shape)}"),
        **{**_OP, "fillcolor": "#f3e5f5", "color": "#6a1b9a", "class": "op broadcast"},
    )
    cg = _copy_grad(node, k, grad)
    label = _value_label(
        f"{name} copied", "inner", _summary(copy), None if cg is None else _summary(cg), copy
    )
    dot.node(bid, label, **{**_INNER, "style": "rounded,filled,dashed", "color": "#6a1b9a", "class": "copy"})
    dot.edge(pid, bid + "op", **edge)
    dot.edge(bid + "op", bid, **edge)
    # the way back: the copy's gradient is summed over the copied axes into the parent's
    dot.edge(
        bid,
        pid,
        label=f"backward: sum over {over}",
        style="dashed",
        color="#6a1b9a",
        fontcolor="#6a1b9a",
        fontsize="11",
        constraint="false",
    )
    return bid


def _range(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return _num(lo) if _num(lo) == _num(hi) else f"{_num(lo)} ... {_num(hi)}"


def _draw_folded(
    order: list[Any], root: Any, fold: _Fold, *, rankdir: str, param_ids: set[int] | None, known: bool
) -> graphviz.Digraph:
    n = fold.n
    names = _names(order, root)
    # a sample's own node is named after the representative, with its index dropped
    rep_name: dict[int, str] = {}
    for node, column in zip(fold.rep, fold.members):
        labels = {c.label for c in column}
        if node.label and len(labels) == 1:
            rep_name[id(node)] = str(node.label)
        elif node.label:
            rep_name[id(node)] = re.sub(r"(_?\d+|\[\d+\])$", "", str(node.label)) + "_i"
        elif not node._prev:
            rep_name[id(node)] = "constant"
        elif node in fold.sample_roots:
            rep_name[id(node)] = "L_i"
        else:
            rep_name[id(node)] = _expression(node, {**names, **rep_name})
            if len(rep_name[id(node)]) > _NAME_MAX:
                rep_name[id(node)] = names[id(node)]
    dot = _new_digraph(rankdir, None)
    nid = _node_ids(order)
    own = {id(node) for node in fold.rep}
    hidden = fold.hidden

    with dot.subgraph(name="cluster_samples") as cluster:
        cluster.attr(
            label=f"x{n} (one subgraph per sample, folded: ranges over the {n} samples)",
            style="rounded,dashed",
            color="#6a1b9a",
            fontcolor="#6a1b9a",
            labeljust="l",
        )
        for node, column in zip(fold.rep, fold.members):
            role = _role(node, param_ids)
            if isinstance(node, Tensor):  # arrays have no range: show the first sample's
                data, grad = _data_text(node) + " (sample 1)", None
            else:
                data = _range([c.data for c in column])
                grad = _range([c.grad for c in column]) if known else None
            label = _value_label(rep_name[id(node)], role, data, grad)
            cluster.node(nid(node), label, **_style(role, False))
            if node._prev:
                cluster.node(nid(node) + "op", graphviz.escape(node.op), **_OP, **{"class": "op"})

    def target(p: Any) -> Any:
        return fold.alias.get(id(p), p)

    for node in order:
        if id(node) in hidden or id(node) in own:
            continue
        role = _role(node, param_ids)
        grad_text = None
        if known:
            grad_text = _grad_text(node)
            if role == "param":
                grad_text += f" (sum over {n} samples)"
        if node is fold.top:
            title = node.label or ("L" if node is root else "sum")
            label = _value_label(title, role, _data_text(node), grad_text)
            dot.node(nid(node), label, **_style(role, node is root))
            op_id = nid(node) + "op"
            dot.node(op_id, f"+ (sum of {n})", **_OP, **{"class": "op"})
            for p in fold.sample_roots[:1]:
                dot.edge(nid(p), op_id, label=f"x{n}", fontcolor="#6a1b9a", color="#6a1b9a", penwidth="2")
            dot.edge(op_id, nid(node))
            continue
        dot.node(
            nid(node),
            _value_label(names[id(node)], role, _data_text(node), grad_text),
            **_style(role, node is root),
        )
    # edges of every drawn operation, each sample's edges drawn once, on the representative
    seen: set[tuple[str, str]] = set()
    for node in order:
        if id(node) in hidden or not node._prev or node is fold.top:
            continue
        op_id = nid(node) + "op"
        if id(node) not in own:
            dot.node(op_id, graphviz.escape(node.op), **_OP, **{"class": "op"})
        for p in node._prev:
            edge = (nid(target(p)), op_id)
            if edge not in seen:
                seen.add(edge)
                dot.edge(*edge)
        dot.edge(op_id, nid(node))
    return dot


def draw_graph(
    root: Any,
    *,
    rankdir: str = "LR",
    fold: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Iterable[Any] | None = None,
    grads: bool | None = None,
) -> graphviz.Digraph:
    """Draw the computation graph behind ``root`` (a ``Value`` or a ``Tensor``).

    Args:
        root: the node to draw the graph of, usually the loss.
        rankdir: ``"LR"`` (left to right, the default) or ``"TB"`` (top to bottom).
        fold: draw the per-sample subgraphs of a loss over N samples once, in a box marked
            ``xN`` showing each value's range over the samples; the shared parameters show
            their gradient summed over the samples, and the sum over the samples is one step.
        max_nodes: refuse (:class:`GraphTooLargeError`) to draw more boxes and ellipses than
            this, rather than keep Graphviz busy for minutes.
        params: the nodes that are parameters; default: see the module docstring.
        grads: show gradients (True), hide them (False) or decide by the rule of the module
            docstring (None, the default).

    Example:
        >>> from tinygrad_lr import Value
        >>> w, b = Value(1.0, label="w"), Value(0.0, label="b")
        >>> L = (w * 1.0 + b - 3.0) ** 2
        >>> L.backward()
        >>> dot = draw_graph(L)          # a graphviz.Digraph; save_graph(dot, "graph.svg")
        >>> "grad -4" in dot.source
        True
    """
    order = topological_order(root)
    param_ids = _param_ids(params)
    known = _grad_known(root, root, grads)
    if fold:

        def is_param(node: Any) -> bool:
            return _role(node, param_ids) == "param"

        plan = _fold(order, is_param)
        if plan is not None:
            drawn = [node for node in order if id(node) not in plan.hidden]
            ops = sum(1 for node in drawn if node._prev)
            _check_limit(len(drawn), ops, max_nodes, "folded")
            return _draw_folded(order, root, plan, rankdir=rankdir, param_ids=param_ids, known=known)
    ops = sum(1 for node in order if node._prev)
    copies = sum(  # a Tensor op's broadcast inputs: drawn as a broadcast step and a copy
        1
        for node in order
        if isinstance(node, Tensor) and node.op in _ELEMENTWISE
        for p in node._prev
        if p.shape != node.shape
    )
    _check_limit(len(order) + copies, ops + copies, max_nodes, "unfoldable" if fold else "graph")

    def grad_value(node: Any) -> Any:
        return node.grad if _grad_known(node, root, grads) else None

    return _draw_plain(order, root, rankdir=rankdir, param_ids=param_ids, grad_value=grad_value)


# --- saving ----------------------------------------------------------------------------------


def graphviz_install_hint(platform: str | None = None, os_release: str | None = None) -> str:
    """The one command that installs Graphviz's ``dot`` on this platform.

    ``platform`` defaults to ``sys.platform``; on Linux the distribution is read from
    ``/etc/os-release`` (``os_release`` is its text, for tests).
    """
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return "brew install graphviz"
    if platform.startswith("win"):
        return "winget install graphviz (or: choco install graphviz), then add its bin folder to PATH"
    if platform.startswith("linux"):
        if os_release is None:
            try:
                os_release = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
            except OSError:
                os_release = ""
        ids = " ".join(
            line.split("=", 1)[1].strip().strip('"').lower()
            for line in os_release.splitlines()
            if line.startswith(("ID=", "ID_LIKE="))
        ).split()
        for distro, command in (
            ("debian", "sudo apt-get install graphviz"),
            ("ubuntu", "sudo apt-get install graphviz"),
            ("fedora", "sudo dnf install graphviz"),
            ("rhel", "sudo dnf install graphviz"),
            ("centos", "sudo dnf install graphviz"),
            ("arch", "sudo pacman -S graphviz"),
            ("alpine", "sudo apk add graphviz"),
            ("suse", "sudo zypper install graphviz"),
            ("opensuse", "sudo zypper install graphviz"),
        ):
            if distro in ids:
                return command
    if "bsd" in platform:
        return "sudo pkg install graphviz"
    return "install the 'graphviz' package with your system's package manager (it provides 'dot')"


def _missing_dot(rendered: str, dot_file: Path) -> GraphvizNotFoundError:
    return GraphvizNotFoundError(
        f"Graphviz's 'dot' program was not found, so {rendered} was not drawn (its DOT source is in "
        f"{dot_file}); install Graphviz with: {graphviz_install_hint()}"
    )


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def save_graph(dot: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Save a picture from :func:`draw_graph` as SVG, PNG, PDF or DOT, by ``path``'s extension.

    When Graphviz's ``dot`` program is missing, the DOT source is written next to ``path``
    (``graph.svg`` -> ``graph.dot``) and :class:`GraphvizNotFoundError` says how to install it.
    Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its extension: use .svg, .png, .pdf or .dot"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    source = dot.source.encode("utf-8")
    if fmt in ("dot", "gv"):
        _atomic_write(path, source)
        return path
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        dot_file = path.with_suffix(".dot")
        _atomic_write(dot_file, source)
        raise _missing_dot(str(path), dot_file) from None
    _atomic_write(path, data)
    return path


# --- the backward pass, step by step ---------------------------------------------------------


@dataclass(frozen=True)
class Contribution:
    """One use of a node: ``dL/d(consumer) * d(consumer)/d(node)``, with real numbers."""

    consumer: Any  # the node computed from this one
    consumer_name: str
    upstream: Any  # dL/d(consumer), complete when this step runs (an array for a Tensor)
    local: float | None  # d(consumer)/d(node), stored by the forward pass (None for a Tensor)
    local_expr: str  # the local derivative written out, e.g. "2*(-2)" for d(r**2)/dr at r = -2;
    # for a Tensor: the contribution's values, and the sum over the broadcast axes if any
    value: Any  # the contribution itself: upstream * local (for a Tensor, summed to the node's shape)


@dataclass(frozen=True)
class BackwardStep:
    """One frame of the walkthrough: the node whose gradient the chain rule just completed."""

    index: int  # 0 for the loss itself, then in the order the chain rule visits the nodes
    node: Any
    name: str
    grad: Any  # dL/d(node), the sum of the contributions (1 for the loss; an array for a Tensor;
    # None for a Tensor that does not require grad)
    contributions: tuple[Contribution, ...]  # one per use of the node; () for the loss
    caption: str  # e.g. "dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4"


def _local_expr(consumer: Any, index: int, local: float) -> str:
    """The local derivative as a learner would work it out: ``2*(-2)`` for ``r**2`` at -2."""
    op = consumer.op
    parents = consumer._prev
    if op.startswith("**") and len(parents) == 1:
        n = float(op[2:])
        a = _factor(_num(parents[0].data))
        if n == 2:
            return f"2*{a}"
        if n not in (0.0, 1.0):
            return f"{_num(n)}*{a}**{_num(n - 1)}"
    if op == "/" and len(parents) == 2 and index == 0:
        return f"1/{_factor(_num(parents[1].data))}"
    if op == "log" and len(parents) == 1:
        return f"1/{_factor(_num(parents[0].data))}"
    return _num(local)


def _caption(name: str, root_name: str, contributions: Sequence[Contribution], grad: float) -> str:
    """``dL/dn = dL/dc * dc/dn [+ ...] = numbers = result``, in docs/sources.md section 2's notation."""
    lhs = _d(root_name, name)
    terms = list(contributions)
    if len(terms) == 1 and terms[0].consumer_name == root_name:
        # the loss's own parent: dL/dL = 1, so the product is just the local derivative
        local = terms[0].local_expr
        return f"{lhs} = {_num(grad)}" if local == _num(grad) else f"{lhs} = {local} = {_num(grad)}"
    symbols = [f"{_d(root_name, c.consumer_name)} * {_d(c.consumer_name, name)}" for c in terms]
    numbers = [
        f"{_num(c.upstream) if k == 0 else _factor(_num(c.upstream))} * {_factor(c.local_expr)}"
        for k, c in enumerate(terms)
    ]  # -4 * 1 + (-8) * 2: a sign never follows an operator
    if len(terms) > 6:  # a parameter shared by many samples: the first uses, then the last
        uses = f" ({len(terms)} uses)"
        symbols = [*symbols[:2], "...", symbols[-1]]
        numbers = [*numbers[:3], "...", numbers[-1]]
        return f"{lhs} = {' + '.join(symbols)} = {' + '.join(numbers)} = {_num(grad)}{uses}"
    return f"{lhs} = {' + '.join(symbols)} = {' + '.join(numbers)} = {_num(grad)}"


def backward_steps(root: Any) -> list[BackwardStep]:
    """Replay the backward pass from ``root``: one step per node, in the chain rule's order.

    The order is ``reversed(topological_order(root))``, the order in which
    :func:`~tinygrad_lr.graph.run_backward` visits the nodes: a node comes after every node
    computed from it, so when its step runs, its gradient is complete. Each step adds up, over
    the node's uses, ``dL/d(use) * d(use)/d(node)`` with the local derivatives the forward pass
    stored, in the same order as ``backward()``: the step's ``grad`` equals the node's ``grad``
    after one ``root.backward()`` (for a leaf whose gradient started at 0).

    Works before ``backward()`` too; it does not change the graph.

    Example:
        >>> from tinygrad_lr import Value
        >>> w = Value(1.0, label="w")
        >>> f = w * 1.0
        >>> f.label = "f"
        >>> L = (f - 3.0) ** 2
        >>> [s.caption for s in backward_steps(L)][-1]
        'dL/dw = dL/df * df/dw = -4 * 1 = -4'
    """
    order = topological_order(root)
    if isinstance(root, Tensor):
        return _tensor_steps(order, root)
    names = _names(order, root)
    uses: dict[int, list[tuple[Any, int]]] = {}
    for consumer in reversed(order):  # the order backward() adds the contributions in
        for i, parent in enumerate(consumer._prev):
            uses.setdefault(id(parent), []).append((consumer, i))
    grads: dict[int, float] = {}
    steps: list[BackwardStep] = []
    root_name = names[id(root)]
    for index, node in enumerate(reversed(order)):
        name = names[id(node)]
        if node is root:
            grad = 0.0
            grad += 1.0  # the seed dL/dL = 1, added as backward() adds it
            caption = f"{_d(root_name, root_name)} = 1 (the start: the loss changes one for one with itself)"
            steps.append(BackwardStep(index, node, name, grad, (), caption))
            grads[id(node)] = grad
            continue
        contributions = []
        grad = 0.0
        for consumer, i in uses[id(node)]:
            local = consumer._local[i]
            up = grads[id(consumer)]
            c = Contribution(
                consumer, names[id(consumer)], up, local, _local_expr(consumer, i, local), up * local
            )
            grad += c.upstream * c.local  # dL/d(node) += dL/d(consumer) * d(consumer)/d(node)
            contributions.append(c)
        grads[id(node)] = grad
        steps.append(
            BackwardStep(
                index, node, name, grad, tuple(contributions), _caption(name, root_name, contributions, grad)
            )
        )
    return steps


def _tensor_steps(order: list[Any], root: Any) -> list[BackwardStep]:
    """:func:`backward_steps` for a Tensor graph: each op's own backward, replayed."""
    import numpy as np

    from .ops import unbroadcast

    names = _names(order, root)
    root_name = names[id(root)]
    uses: dict[int, list[tuple[Any, int]]] = {}
    for consumer in reversed(order):
        for i, parent in enumerate(consumer._prev):
            uses.setdefault(id(parent), []).append((consumer, i))
    grads: dict[int, Any] = {}
    passed: dict[int, Any] = {}  # what each op's backward hands its parents
    steps: list[BackwardStep] = []
    for index, node in enumerate(reversed(order)):
        name = names[id(node)]
        if node is root:
            grads[id(node)] = np.ones_like(node.data)
            caption = f"{_d(root_name, root_name)} = 1 (the start: the loss changes one for one with itself)"
            steps.append(BackwardStep(index, node, name, grads[id(node)], (), caption))
            continue
        if not node.requires_grad:
            caption = f"{_d(root_name, name)}: not computed ({name} is data, requires_grad=False)"
            steps.append(BackwardStep(index, node, name, None, (), caption))
            continue
        contributions = []
        grad = None
        for consumer, i in uses.get(id(node), []):
            up = grads.get(id(consumer))
            if up is None:
                continue
            if id(consumer) not in passed:
                passed[id(consumer)] = consumer._fn.backward(up)
            raw = passed[id(consumer)][i]
            if raw is None:
                continue
            raw = np.asarray(raw)
            value = raw if raw.shape == node.shape else unbroadcast(raw, node.shape)
            full = raw if raw.shape != node.shape else None
            if full is None and node.shape != consumer.shape and consumer.op in _ELEMENTWISE:
                full = _copy_grad(consumer, i, up)
            if full is not None:
                axes = _broadcast_axes(node.shape, full.shape)
                over = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
                expr = f"sum over {over} of {_summary(full)}"
            else:
                expr = _summary(value)
            contributions.append(Contribution(consumer, names[id(consumer)], up, None, expr, value))
            grad = value if grad is None else grad + value
        grads[id(node)] = grad
        symbols = " + ".join(
            f"{_d(root_name, c.consumer_name)} * {_d(c.consumer_name, name)}" for c in contributions
        )
        numbers = " + ".join(c.local_expr for c in contributions)
        result = "(no path to the loss)" if grad is None else _summary(grad)
        lhs = _d(root_name, name)
        if not contributions:
            caption = f"{lhs} = 0 (no path to the loss)"
        elif len(contributions) == 1 and contributions[0].consumer is root:
            caption = f"{lhs} = {result}"  # dL/dL = 1: only the local step is left
        elif numbers == result:
            caption = f"{lhs} = {symbols} = {result}"
        else:
            caption = f"{lhs} = {symbols} = {numbers} = {result}"
        steps.append(BackwardStep(index, node, name, grad, tuple(contributions), caption))
    return steps


def walkthrough_text(root: Any) -> str:
    """The backward pass from ``root`` as text, one line per chain-rule step."""
    steps = backward_steps(root)
    width = len(str(len(steps)))
    lines = [f"backward pass of {steps[0].name}: {len(steps)} steps, from the loss back to the leaves"]
    lines += [f"{s.index + 1:>{width}}. {s.caption}" for s in steps]
    return "\n".join(lines)


def walkthrough_frames(
    root: Any,
    *,
    rankdir: str = "LR",
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
) -> list[graphviz.Digraph]:
    """One picture per step of :func:`backward_steps`.

    The node whose gradient the step completes is highlighted (yellow, red border), with the
    edges and operations its gradient was read through in red; nodes the chain rule has not
    reached yet show ``grad ?``; the step's caption is the picture's title.
    """
    order = topological_order(root)
    ops = sum(1 for node in order if node._prev)
    _check_limit(len(order), ops, max_nodes, "walkthrough")
    steps = backward_steps(root)
    param_ids = _param_ids(params)
    frames = []
    for k, step in enumerate(steps):
        done = {id(s.node): s.grad for s in steps[: k + 1]}

        def grad_value(node: Any, done: dict[int, Any] = done) -> Any:
            return done.get(id(node))

        caption = f"step {k + 1} of {len(steps)}: {step.caption}"
        frames.append(
            _draw_plain(
                order,
                root,
                rankdir=rankdir,
                param_ids=param_ids,
                grad_value=grad_value,
                caption=caption,
                current=step.node,
            )
        )
    return frames


_SVG_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)
_SVG_NAMESPACE = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')


def _inline_svg(svg: str) -> str:
    """An SVG file's markup as it goes inside HTML: no XML prologue, no namespace URLs.

    The HTML parser puts an inline ``<svg>`` in the SVG namespace by itself, so the
    declarations only add URLs a reader might mistake for network access.
    """
    return _SVG_NAMESPACE.sub("", _SVG_PROLOGUE.sub("", svg)).strip()


def write_walkthrough(
    root: Any,
    folder: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
) -> Path:
    """Write the walkthrough into ``folder``: one SVG per step, the text, and ``index.html``.

    ``index.html`` is one self-contained page (the SVGs are inside it; no network, no server)
    with previous / next buttons and the left / right arrow keys. Files are
    ``step_001.svg``, ... and ``walkthrough.txt``; each is written whole or not at all.
    Returns the path of ``index.html``.
    """
    folder = Path(folder)
    steps = backward_steps(root)
    frames = walkthrough_frames(root, rankdir=rankdir, params=params, max_nodes=max_nodes)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames))))
    svgs: list[str] = []
    for frame in frames:
        try:
            svgs.append(frame.pipe(format="svg", encoding="utf-8"))
        except graphviz.ExecutableNotFound:  # keep what can be had without Graphviz
            for j, f in enumerate(frames):
                _atomic_write(folder / f"step_{j + 1:0{width}d}.dot", f.source.encode("utf-8"))
            _atomic_write(folder / "walkthrough.txt", (walkthrough_text(root) + "\n").encode("utf-8"))
            raise _missing_dot(f"the walkthrough in {folder}", folder / f"step_{1:0{width}d}.dot") from None
    for k, svg in enumerate(svgs):
        _atomic_write(folder / f"step_{k + 1:0{width}d}.svg", svg.encode("utf-8"))
    stale = re.compile(r"^step_(\d+)\.svg$")
    for old in folder.iterdir():  # frames of an earlier, longer walkthrough
        m = stale.match(old.name)
        if m and int(m.group(1)) > len(frames):
            old.unlink()
    _atomic_write(folder / "walkthrough.txt", (walkthrough_text(root) + "\n").encode("utf-8"))
    page = folder / "index.html"
    _atomic_write(page, _html_page(steps, svgs).encode("utf-8"))
    return page


def _html_page(steps: Sequence[BackwardStep], svgs: Sequence[str]) -> str:
    """The stepping page: every frame inline, one shown at a time; plain JavaScript, no URLs."""
    frames = "\n".join(
        f'<figure class="frame" id="frame-{k + 1}" data-caption="{html.escape(s.caption)}"'
        f"{'' if k == 0 else ' hidden'}>\n{_inline_svg(svg)}\n</figure>"
        for k, (s, svg) in enumerate(zip(steps, svgs))
    )
    items = "\n".join(
        f'<li id="item-{k + 1}"><button type="button" class="jump" data-step="{k + 1}">'
        f"{html.escape(s.caption)}</button></li>"
        for k, s in enumerate(steps)
    )
    title = f"The backward pass of {html.escape(steps[0].name)}, step by step"
    return _HTML.format(
        title=title, n=len(steps), caption=html.escape(steps[0].caption), frames=frames, items=items
    )


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #212121; }}
  nav {{ display: flex; gap: 1rem; align-items: center; margin: 0.5rem 0; }}
  nav button {{ font-size: 1rem; padding: 0.3rem 0.9rem; }}
  #caption {{ font-family: ui-monospace, monospace; font-size: 1.1rem; background: #fffde7;
             border-left: 4px solid #d50000; padding: 0.5rem 0.8rem; }}
  figure.frame {{ margin: 0; overflow: auto; }}
  figure.frame svg {{ max-width: 100%; height: auto; }}
  ol {{ font-family: ui-monospace, monospace; font-size: 0.9rem; }}
  ol button {{ all: unset; cursor: pointer; }}
  li.current {{ font-weight: bold; color: #d50000; }}
  .help {{ color: #616161; font-size: 0.9rem; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="help">The chain rule visits the nodes from the loss back to the leaves. In each step the
highlighted node's gradient is complete: it is the sum, over the node's uses, of
dL/d(use) &times; d(use)/d(node). Gradients not reached yet read <code>grad ?</code>.
Keys: &larr; / &rarr; (also Home / End).</p>
<nav>
  <button type="button" id="prev">&larr; previous</button>
  <span id="counter" aria-live="polite">step 1 of {n}</span>
  <button type="button" id="next">next &rarr;</button>
</nav>
<p id="caption">{caption}</p>
{frames}
<h2>All steps</h2>
<ol>
{items}
</ol>
<script>
(function () {{
  "use strict";
  var n = {n}, current = 1;
  function show(k) {{
    if (k < 1 || k > n) return;
    document.getElementById("frame-" + current).hidden = true;
    document.getElementById("item-" + current).classList.remove("current");
    current = k;
    var frame = document.getElementById("frame-" + k);
    frame.hidden = false;
    document.getElementById("item-" + k).classList.add("current");
    document.getElementById("caption").textContent = frame.getAttribute("data-caption");
    document.getElementById("counter").textContent = "step " + k + " of " + n;
    document.getElementById("prev").disabled = k === 1;
    document.getElementById("next").disabled = k === n;
  }}
  document.getElementById("prev").addEventListener("click", function () {{ show(current - 1); }});
  document.getElementById("next").addEventListener("click", function () {{ show(current + 1); }});
  Array.prototype.forEach.call(document.querySelectorAll("button.jump"), function (b) {{
    b.addEventListener("click", function () {{ show(parseInt(b.getAttribute("data-step"), 10)); }});
  }});
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowRight" || e.key === "ArrowDown") {{ show(current + 1); e.preventDefault(); }}
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") {{ show(current - 1); e.preventDefault(); }}
    else if (e.key === "Home") {{ show(1); e.preventDefault(); }}
    else if (e.key === "End") {{ show(n); e.preventDefault(); }}
  }});
  show(1);
}})();
</script>
</body>
</html>
"""
