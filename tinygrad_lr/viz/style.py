"""One look per role in every picture: colours, shapes and the DOT source's node ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphviz

from ..tensor import Tensor
from .render import Picture

# colours: one role, one look, in every picture
PARAM = {"fillcolor": "#ffe0b2", "color": "#e65100", "peripheries": "2"}
DATA = {"fillcolor": "#e3f2fd", "color": "#1565c0"}
CONST = {"fillcolor": "#f5f5f5", "color": "#757575", "style": "filled,dashed"}
INNER = {"fillcolor": "white", "color": "black"}
OP = {
    "shape": "ellipse",
    "style": "filled",
    "fillcolor": "#eeeeee",
    "color": "#616161",
    "fontsize": "12",
    "margin": "0.04,0.02",
    "width": "0.4",
    "height": "0.3",
}
CURRENT = {"fillcolor": "#fff176", "color": "#d50000", "penwidth": "3"}
HOT = "#d50000"  # the edges and operations the current chain-rule step reads from


def choose_rankdir(rankdir: str | None, root: Any) -> str:
    """The layout's direction; by default left to right for a ``Value`` graph (a row per
    sample), top to bottom for a ``Tensor`` graph (one long chain, which left to right would
    be wider than a laptop's screen)."""
    if rankdir is None:
        return "TB" if isinstance(root, Tensor) else "LR"
    return rankdir


def new_digraph(rankdir: str, caption: str | None) -> graphviz.Digraph:
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be LR (left to right) or TB (top to bottom), got {rankdir!r}")
    dot = Picture("backprop", format="svg")
    # ordering=in: a node's inputs keep their order, so the rows of a loss over samples read
    # sample 1, 2, 3 from top to bottom
    dot.attr(rankdir=rankdir, fontname="Helvetica", nodesep="0.18", ranksep="0.25", ordering="in")
    dot.attr(
        "node", fontname="Helvetica", fontsize="13", shape="box", style="rounded,filled", margin="0.08,0.04"
    )
    dot.attr("edge", color="#424242", arrowsize="0.7", fontname="Helvetica")
    if caption:
        dot.attr(label=graphviz.nohtml(caption), labelloc="t", labeljust="l", fontsize="16")
    return dot


UNKNOWN = "? (not computed yet)"  # a gradient backward has not reached: never drawn as 0


def value_label(
    title: str, role: str, data: str, grad: str | None, tensor: Any = None, unknown: str = UNKNOWN
) -> str:
    """A value's box: its title (``w``, ``f1 = w*x1 + b``), what it is, its data and gradient.

    A plain number's title is its value, so its box has no separate data line. ``unknown`` is
    what a gradient not computed yet reads (the walkthrough says ``?``, and explains it once).
    """
    lines = [{"param": f"{title} (parameter)", "data": f"{title} (data)"}.get(role, title)]
    if tensor is not None:
        lines[0] += f", shape {tuple(tensor.shape)}"
    if tensor is not None and role == "const" and tensor.size == 1:
        lines[0] = title  # a plain number: its value says it all
    elif role != "const" or tensor is not None:
        lines.append(f"data {data}")
    lines.append(f"grad {grad if grad is not None else unknown}")
    return graphviz.nohtml("\\n".join(graphviz.escape(line) for line in lines))


def node_style(role: str, is_root: bool) -> dict[str, str]:
    style = dict({"param": PARAM, "data": DATA, "const": CONST}.get(role, INNER))
    style.setdefault("style", "rounded,filled")
    if is_root:
        style["penwidth"] = "2.5"
    style["class"] = "root" if is_root else role
    return style


def node_ids(order: Sequence[Any]) -> Any:
    """Node names in the DOT source by topological position: the same graph, the same source."""
    pos = {id(node): i for i, node in enumerate(order)}

    def nid(node: Any) -> str:
        return f"n{pos[id(node)]}"

    return nid
