"""Folding a loss over N samples: one sample drawn for all, the sum drawn once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import graphviz

from ..graph import topological_order
from ..ops import ATOM
from ..tensor import Tensor
from .names import (
    NAME_MAX,
    Names,
    data_text,
    grad_text_of,
    node_names,
    node_role,
    num,
    op_symbol,
)
from .names import (
    formula as formula_of,
)
from .style import OP, new_digraph, node_ids, node_style, value_label


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


def plan_fold(order: list[Any], is_param: Any) -> _Fold | None:
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
    found = _reduction(order, {id(r) for r in roots}, alias, is_param)
    if found is None:
        return None
    reduction, top = found
    red_ids = {id(node) for node in reduction}
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


def _reduction(
    order: list[Any], root_ids: set[int], alias: dict[int, Any], is_param: Any
) -> tuple[list[Any], Any] | None:
    """The ``+`` nodes that add the per-sample losses up, and their result (``None`` when there is
    no sum); ``None`` altogether when they do not end in one node. Each is aliased to the result."""
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
    return reduction, top


def _range(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return num(lo) if num(lo) == num(hi) else f"{num(lo)} ... {num(hi)}"


def draw_folded(
    order: list[Any], root: Any, fold: _Fold, *, rankdir: str, param_ids: set[int] | None, known: bool
) -> graphviz.Digraph:
    n = fold.n
    named = node_names(order, root)
    names = named.name
    rep_name, rep_title = _folded_names(order, root, fold, named)
    dot = new_digraph(rankdir, None)
    nid = node_ids(order)
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
            role = node_role(node, param_ids, named.data)
            if isinstance(node, Tensor):  # arrays have no range: show the first sample's
                data, grad = data_text(node) + " (sample 1)", None
            else:
                data = _range([c.data for c in column])
                grad = _range([c.grad for c in column]) if known else None
            label = value_label(rep_title[id(node)], role, data, grad)
            cluster.node(nid(node), label, **node_style(role, False))
            if node._prev:
                cluster.node(nid(node) + "op", graphviz.escape(op_symbol(node)), **OP, **{"class": "op"})

    def target(p: Any) -> Any:
        return fold.alias.get(id(p), p)

    for node in order:
        if id(node) in hidden or id(node) in own:
            continue
        role = node_role(node, param_ids, named.data)
        grad_text = None
        if known:
            grad_text = grad_text_of(node)
            if role == "param":
                grad_text += f" (sum over {n} samples)"
        if node is fold.top:
            title = f"{names[id(node)]} = {rep_name[id(fold.sample_roots[0])]} summed over {n} samples"
            label = value_label(title, role, data_text(node), grad_text)
            dot.node(nid(node), label, **node_style(role, node is root))
            op_id = nid(node) + "op"
            dot.node(op_id, f"+ (sum of {n})", **OP, **{"class": "op"})
            for p in fold.sample_roots[:1]:
                dot.edge(nid(p), op_id, label=f"x{n}", fontcolor="#6a1b9a", color="#6a1b9a", penwidth="2")
            dot.edge(op_id, nid(node))
            continue
        dot.node(
            nid(node),
            value_label(named.title[id(node)], role, data_text(node), grad_text),
            **node_style(role, node is root),
        )
    # edges of every drawn operation, each sample's edges drawn once, on the representative
    seen: set[tuple[str, str]] = set()
    for node in order:
        if id(node) in hidden or not node._prev or node is fold.top:
            continue
        op_id = nid(node) + "op"
        if id(node) not in own:
            dot.node(op_id, graphviz.escape(op_symbol(node)), **OP, **{"class": "op"})
        for p in node._prev:
            edge = (nid(target(p)), op_id)
            if edge not in seen:
                seen.add(edge)
                dot.edge(*edge)
        dot.edge(op_id, nid(node))
    return dot


def _folded_names(
    order: list[Any], root: Any, fold: _Fold, named: Names
) -> tuple[dict[int, str], dict[int, str]]:
    """Names and box titles of the representative sample's nodes, its index ``i`` for all.

    ``x1, x2, x3`` are ``x_i``; a number that differs between the samples is ``c_i``; the
    per-sample losses are ``L_i``; a computed node is the formula of those names (``w*x_i``).
    """
    names = dict(named.name)
    prec = dict(named.precedence)
    titles: dict[int, str] = {}
    stem = named.name[id(root)] if len(named.name[id(root)]) == 1 else "L"
    roots = {id(r) for r in fold.sample_roots}
    for node, column in zip(fold.rep, fold.members):
        i = id(node)
        formula = None
        if node._prev:
            formula, prec[i] = formula_of(node, names, prec)
        labels = {c.label for c in column}
        if node.label and len(labels) == 1:
            name = str(node.label)
        elif node.label or i in named.data:  # x1, x2, x3 (labelled, or numbers found to be data)
            name = re.sub(r"(_?\d+|\[\d+\])+$", "", str(node.label or named.name[i])) + "_i"
        elif not node._prev:
            values = {num(c.data) for c in column} if not isinstance(node, Tensor) else {"c"}
            name = values.pop() if len(values) == 1 else "c_i"
        elif i in roots:
            name = f"{stem}_i"
        else:
            name = formula or ""
            if len(name) > NAME_MAX:
                name = re.sub(r"\d+$", "", named.name[i]) + "_i"
        if not (node.label and len(labels) == 1) and (node._prev and name != formula):
            prec[i] = ATOM
        elif not node._prev:
            prec[i] = ATOM
        names[i] = name
        titles[i] = f"{name} = {formula}" if formula is not None and formula != name else name
    return names, titles
