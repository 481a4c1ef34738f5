"""One look per role in every picture: colours, shapes and the DOT source's node ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import graphviz

# colours: one role, one look, in every picture
_PARAM = {"fillcolor": "#ffe0b2", "color": "#e65100", "peripheries": "2"}
_DATA = {"fillcolor": "#e3f2fd", "color": "#1565c0"}
_CONST = {"fillcolor": "#f5f5f5", "color": "#757575", "style": "filled,dashed"}
_INNER = {"fillcolor": "white", "color": "black"}
_OP = {"shape": "ellipse", "style": "filled", "fillcolor": "#eeeeee", "color": "#616161", "fontsize": "12"}
_CURRENT = {"fillcolor": "#fff176", "color": "#d50000", "penwidth": "3"}
_HOT = "#d50000"  # the edges and operations the current chain-rule step reads from


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
