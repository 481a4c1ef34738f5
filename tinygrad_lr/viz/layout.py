"""One layout for every frame of a walkthrough, so that stepping changes only colours and numbers.

Graphviz lays the graph out once (``dot``, with every node's label as wide as it gets in any
frame); each frame then carries the positions and sizes of that layout, node by node and edge by
edge, and Graphviz only draws it (``neato -n2``: no layout of its own). A node keeps its place
and its size from the first frame to the last, whatever its gradient reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import graphviz

from .render import run_graphviz

_NODE = re.compile(r"^\t(\w+) \[")
_EDGE = re.compile(r"^\t(\w+) -> (\w+)(?: \[|$)")


def _attrs(**attrs: str) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


def fix_layout(
    frames: Sequence[graphviz.Digraph], widest: graphviz.Digraph, rendered: str
) -> list[graphviz.Digraph]:
    """Copies of ``frames`` that all have the layout of ``widest`` (one Graphviz run).

    ``widest`` has the same nodes and edges, in the same order, with labels at least as wide
    as any frame's. ``rendered`` names the output in error messages.
    """
    layout = json.loads(run_graphviz(widest, "json", rendered).decode("utf-8"))
    objects = layout.get("objects", [])
    nodes = {
        o["name"]: _attrs(pos=o["pos"], width=o["width"], height=o["height"], fixedsize="true")
        for o in objects
        if "pos" in o and "nodes" not in o  # clusters have no position of their own
    }
    name_of = {o["_gvid"]: o["name"] for o in objects if "_gvid" in o}
    # an edge is known by its two ends (and, between the same two, by its rank among them):
    # Graphviz lists the edges in its own order, not in the order of the source
    edges: dict[tuple[str, str], list[str]] = {}
    for e in layout.get("edges", []):
        ends = (name_of[e["tail"]], name_of[e["head"]])
        edges.setdefault(ends, []).append(_attrs(pos=e["pos"], **({"lp": e["lp"]} if "lp" in e else {})))
    bb = layout.get("bb", "")
    fixed = []
    for frame in frames:
        copy = frame.copy()
        copy.engine = "neato"  # with -n2 (see render.run_graphviz): draw at the given positions
        body = []
        seen: dict[tuple[str, str], int] = {}
        for line in copy.body:
            text = line.rstrip("\n")
            edge = _EDGE.match(text)
            node = None if edge else _NODE.match(text)
            if edge is not None:
                ends = (edge.group(1), edge.group(2))
                k = seen.get(ends, 0)
                seen[ends] = k + 1
                if k >= len(edges.get(ends, ())):
                    raise ValueError(f"internal: the edge {ends[0]} -> {ends[1]} is not in the layout")
                extra = edges[ends][k]
                text = text[:-1] + f" {extra}]" if text.endswith("]") else text + f" [{extra}]"
            elif node is not None and node.group(1) in nodes:
                text = text[:-1] + f" {nodes[node.group(1)]}]"
            body.append(text + "\n")
        copy.body = body
        if bb:
            copy.attr(bb=bb)
        fixed.append(copy)
    return fixed
