"""Drawing the graph behind a ``Value`` or a ``Tensor`` with Graphviz."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz

from .. import ops
from ..graph import topological_order
from ..tensor import Tensor
from .fold import draw_folded, plan_fold
from .limits import DEFAULT_MAX_NODES, check_limit, check_root, refuse_early
from .names import (
    BOX_DIGITS,
    data_text,
    grad_known,
    grad_label,
    ids_of_params,
    node_names,
    node_role,
    op_symbol,
    summary,
)
from .style import (
    CURRENT,
    HOT,
    INNER,
    OP,
    UNKNOWN,
    choose_rankdir,
    new_digraph,
    node_ids,
    node_style,
    value_label,
)


def broadcasts(node: Any) -> bool:
    """A Tensor node whose op broadcasts its inputs against each other (``+``, ``*``, ...)."""
    return isinstance(node, Tensor) and bool(getattr(node.grad_fn, "broadcasts", False))


def copy_grad(node: Any, k: int, grad: Any) -> Any:
    """``dL/d(copy)`` for the broadcast copy of ``node``'s parent ``k``: before it is summed back.

    The op's derivative is run once more with the parent broadcast to the output's shape, so it
    gives the gradient in the output's shape. None if that cannot be done.
    """
    import numpy as np

    fn = node.grad_fn
    if grad is None or not isinstance(fn, ops.Op):
        return None
    shape = node.data.shape
    try:
        arrays = [np.broadcast_to(p.data, shape) if i == k else p.data for i, p in enumerate(node._prev)]
        g = np.asarray(ops.dense(fn.vjp(ops.ARRAYS, k, np.asarray(grad), arrays, node.data)))
    except Exception:  # only a picture detail: the picture is drawn without it
        return None
    return g if g.shape == shape else None


def draw_plain(
    order: list[Any],
    root: Any,
    *,
    rankdir: str,
    param_ids: set[int] | None,
    grad_value: Any,
    caption: str | None = None,
    current: Any = None,
    unknown: str = UNKNOWN,
) -> graphviz.Digraph:
    """Draw every node; ``grad_value(node)`` is the gradient to show, or None if not known.

    For a Tensor op that broadcasts an input, the broadcast is drawn as a step of its own, the
    copy as a value, and the gradient's way back (summed over the copied axes) as a dashed edge.
    """
    named = node_names(order, root)
    names = named.name
    nid = node_ids(order)
    dot = new_digraph(rankdir, caption)
    hot: set[int] = set()  # consumers the current node's gradient is read from
    if current is not None:
        hot = {id(c) for c in order if any(p is current for p in c._prev)}
    for node in order:
        role = node_role(node, param_ids, named.data)
        style = node_style(role, node is root)
        if node is current:
            style.update(CURRENT)
            style["class"] += " current"
        tensor = node if isinstance(node, Tensor) else None
        g = grad_value(node)
        gtext = g if isinstance(g, str) else grad_label(g)  # a text: said as it is
        if tensor is not None and not node.requires_grad:
            gtext = "none"  # data: requires_grad=False, so backward computes none
        label = value_label(named.title[id(node)], role, data_text(node), gtext, tensor, unknown)
        dot.node(nid(node), label, tooltip=names[id(node)], **style)
        if not node._prev:
            continue
        op_id = nid(node) + "op"
        op_style = dict(OP)
        if id(node) in hot:
            op_style.update(color=HOT, penwidth="2", fontcolor=HOT, style="filled,dashed")
        symbol = graphviz.escape(op_symbol(node))
        tip = f"{symbol}: computes {names[id(node)]}"
        dot.node(op_id, symbol, tooltip=tip, **op_style, **{"class": "op"})
        for k, parent in enumerate(node._prev):
            # the edges a step reads through: red, thick and dashed (not told by colour alone)
            edge = {"color": HOT, "penwidth": "2.5", "style": "dashed"} if parent is current else {}
            source = nid(parent)
            if broadcasts(node) and parent.shape != node.shape:
                source = _draw_broadcast(dot, node, k, source, f"{op_id}b{k}", names, g, edge, unknown)
            dot.edge(source, op_id, **edge)
        dot.edge(op_id, nid(node))
    return dot


def _draw_broadcast(
    dot: graphviz.Digraph,
    node: Any,
    k: int,
    pid: str,
    bid: str,
    names: dict[int, str],
    grad: Any,
    edge: Any,
    unknown: str,
) -> str:
    """Draw ``parent -> broadcast -> copy``; return the copy's id, which feeds the op."""
    import numpy as np

    parent = node._prev[k]
    axes = ops.broadcast_axes(node.shape, parent.shape)
    over = f"axis {axes[0]}" if len(axes) == 1 else f"axes {axes}"
    name = names[id(parent)]
    copy = np.broadcast_to(parent.data, node.shape)
    dot.node(
        bid + "op",
        graphviz.nohtml(f"broadcast\\n{tuple(parent.shape)} -> {tuple(node.shape)}"),
        **{**OP, "fillcolor": "#f3e5f5", "color": "#6a1b9a", "class": "op broadcast"},
    )
    cg = copy_grad(node, k, grad)
    label = value_label(
        f"{name} copied",
        "inner",
        summary(copy, BOX_DIGITS),
        None if cg is None else summary(cg, BOX_DIGITS),
        copy,
        unknown,
    )
    dot.node(bid, label, **{**INNER, "style": "rounded,filled,dashed", "color": "#6a1b9a", "class": "copy"})
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


def draw_graph(
    root: Any,
    *,
    rankdir: str | None = None,
    fold: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    params: Iterable[Any] | None = None,
    grads: bool | None = None,
) -> graphviz.Digraph:
    """Draw the computation graph behind ``root`` (a ``Value`` or a ``Tensor``).

    Args:
        root: the node to draw the graph of, usually the loss.
        rankdir: ``"LR"`` (left to right) or ``"TB"`` (top to bottom); by default LR for a
            ``Value`` graph (a row per sample) and TB for a ``Tensor`` graph (a long chain).
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
    check_root(root, "draw_graph")
    refuse_early(root, max_nodes, "folded" if fold else "graph")
    rankdir = choose_rankdir(rankdir, root)
    order = topological_order(root)
    param_ids = ids_of_params(params)
    known = grad_known(root, root, grads)
    if fold:

        def is_param(node: Any) -> bool:
            return node_role(node, param_ids) == "param"

        plan = plan_fold(order, is_param)
        if plan is not None:
            drawn = [node for node in order if id(node) not in plan.hidden]
            ops = sum(1 for node in drawn if node._prev)
            check_limit(len(drawn), ops, max_nodes, "folded")
            return draw_folded(order, root, plan, rankdir=rankdir, param_ids=param_ids, known=known)
    ops = sum(1 for node in order if node._prev)
    copies = sum(  # a Tensor op's broadcast inputs: drawn as a broadcast step and a copy
        1
        for node in order
        if broadcasts(node)
        for p in node._prev
        if p.shape != node.shape
    )
    check_limit(len(order) + copies, ops + copies, max_nodes, "unfoldable" if fold else "graph")

    def grad_value(node: Any) -> Any:
        return node.grad if grad_known(node, root, grads) else None

    return draw_plain(order, root, rankdir=rankdir, param_ids=param_ids, grad_value=grad_value)
