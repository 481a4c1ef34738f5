"""Reading a graph picture's boxes back: what a learner reads in each node."""

from __future__ import annotations

from typing import Any

from tinygrad_lr.viz.render import run_graphviz
from tinygrad_lr.viz.svg_fill import node_texts


def picture_titles(dot: Any) -> dict[str, str]:
    """Each value box's name and formula from its first line: ``{"t3": "t2 - 3", "L": "t9 + t13"}``
    (a box whose title is a name alone maps to "")."""
    out = {}
    for lines in node_texts(run_graphviz(dot, "svg", "a picture").decode("utf-8")).values():
        name, _, formula = lines[0].partition(" = ")
        out[name.split(" (")[0]] = formula
    return out
