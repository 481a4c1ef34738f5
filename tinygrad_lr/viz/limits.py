"""How many nodes a picture may have, checked before any expensive work."""

from __future__ import annotations

DEFAULT_MAX_NODES = 500  # boxes + ellipses; Graphviz lays out ~500 in about a second, 10,000 in minutes
WALKTHROUGH_MAX_NODES = 100  # a walkthrough draws the whole graph once per node: n frames of n nodes


class GraphTooLargeError(ValueError):
    """The graph has more nodes than the renderer was allowed to draw."""


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
