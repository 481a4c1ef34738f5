"""What a picture may be drawn from, and how many nodes it may have: checked before any expensive work."""

from __future__ import annotations

from typing import Any

from ..errors import InputError, describe
from ..tensor import Tensor
from ..value import Value

DEFAULT_MAX_NODES = 500  # boxes + ellipses; Graphviz lays out ~500 in about a second, 10,000 in minutes
WALKTHROUGH_MAX_NODES = 100  # a walkthrough draws the whole graph once per node: n frames of n nodes


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the renderer was allowed to draw."""


def check_root(root: Any, func: str) -> None:
    """Refuse anything but a ``Value`` or a ``Tensor`` as the node a picture is drawn from."""
    if not isinstance(root, (Value, Tensor)):
        raise InputError(
            f"{func}: root must be a Value or a Tensor (usually the loss), got {describe(root)}"
        )


def check_limit(values: int, ops: int, max_nodes: int, kind: str = "graph") -> None:
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


COUNT_CAP = 20_000  # past this many graph nodes a limit is refused without counting the rest
# ~14,000 samples: folding 4,000 takes ~2 s (1,000: 0.4 s); 10^5 samples would take minutes
FOLD_MAX_GRAPH_NODES = 100_000


def _count_nodes(root: Any, cap: int) -> int:
    """How many nodes the graph behind ``root`` has, counting no further than ``cap + 1``.

    Cheap at any size: a graph of a million nodes is measured against a limit of 100 after
    visiting 101 of them, so refusing costs no more than the limit.
    """
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                if len(seen) > cap:
                    return len(seen)
                stack.append(parent)
    return len(seen)


def refuse_early(root: Any, max_nodes: int, kind: str) -> None:
    """Refuse a graph far over the limit before any layout, folding or naming work.

    A picture has at least one box per graph node; a graph with more than ``max_nodes`` nodes
    (for a walkthrough) or more than :data:`COUNT_CAP` (for the others, whose exact count is
    then worth giving) is refused after a count that stops at the limit.
    """
    cap = _cap(max_nodes, kind)
    refuse_node_count(_count_nodes(root, cap), max_nodes, kind)


def _cap(max_nodes: int, kind: str) -> int:
    if kind == "folded":
        return FOLD_MAX_GRAPH_NODES
    return max_nodes if kind == "walkthrough" else max(max_nodes, COUNT_CAP)


def refuse_node_count(count: int, max_nodes: int, kind: str) -> None:
    """The early refusal for a graph of ``count`` nodes, known without building it (e.g. the
    command line's loss over N points: its size grows by the same number of nodes per point).

    ``kind``: ``"graph"``, ``"folded"`` or ``"walkthrough"``. A count under the cap passes
    here; the exact check of the drawing itself follows.
    """
    cap = _cap(max_nodes, kind)
    if count <= cap:
        return
    if kind == "folded":
        raise GraphTooLargeError(
            f"the graph has more than {cap} nodes, too many to fold in reasonable time; "
            "draw a sample of the data points (a few hundred show the same picture)"
        )
    if kind == "walkthrough":
        message = (
            f"the walkthrough's graph has more than max_nodes={max_nodes} nodes (it is drawn once "
            "per node); walk through fewer samples or raise the limit (max_nodes, --max-nodes)"
        )
    else:
        message = (
            f"the graph has more than {cap} nodes, more than max_nodes={max_nodes}; fold the per-sample "
            "subgraphs into one (fold=True, --fold) or draw a sample of the data points"
        )
    raise GraphTooLargeError(message)
