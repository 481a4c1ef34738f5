"""Graph templates: a graph laid out once, its boxes' text rewritten for each new set of numbers.

A page that shows one graph shape with changing numbers (the replay's update graphs, the lab's
graph panel) asks Graphviz for the layout once, with every label as wide as its widest version,
then writes each frame's label lines into the SVG's text. This module is the DOT side of that:
reading the label lines out of a :func:`~tinygrad_lr.viz.draw_graph` drawing, the key that is
equal for drawings that lay out the same, and the drawing to lay out, with its widest labels.

Two kinds of box line: :data:`VALUE_LINE` matches a value's box (``n7``), :data:`NODE_LINE` any
box (a value, an operation ``n7op``, a broadcast copy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import graphviz

__all__ = ["VALUE_LINE", "NODE_LINE", "PAD", "Labels", "unquote", "quote", "labels_of", "shape_key",
           "widened"]  # fmt: skip

VALUE_LINE = re.compile(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"')
NODE_LINE = re.compile(r'^\s*(n\w+) \[label="((?:[^"\\]|\\.)*)"')
PAD = "\u00a0" * 2  # a margin Graphviz measures, so a template's box fits its widest label
Labels = dict[str, list[str]]  # a box's id -> its lines of text


def unquote(text: str) -> list[str]:
    """A DOT label's text (``"data 1\\ngrad -4"``, escaped) as its lines."""
    return [re.sub(r"\\(.)", r"\1", line) for line in text.split("\\n")]


def quote(lines: Sequence[str]) -> str:
    """Lines as a quoted DOT label (the inverse of :func:`unquote`)."""
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'


def labels_of(dot: graphviz.Digraph, line: re.Pattern[str] = VALUE_LINE) -> Labels:
    """The label lines of every box ``line`` matches."""
    out: Labels = {}
    for text in dot.body:
        m = line.match(text)
        if m:
            out[m.group(1)] = unquote(m.group(2))
    return out


def shape_key(dot: graphviz.Digraph, line: re.Pattern[str] = VALUE_LINE) -> str:
    """The DOT source without the text of the boxes ``line`` matches: equal for drawings that lay
    out the same once those boxes are as wide as their widest labels."""
    return "".join(line.sub(lambda m: m.group(1), text) for text in dot.body)


def widened(
    dot: graphviz.Digraph, widest: Mapping[str, Sequence[str]], line: re.Pattern[str] = VALUE_LINE
) -> graphviz.Digraph:
    """A copy of ``dot`` whose boxes carry their ``widest`` lines (with :data:`PAD`): the template
    to lay out."""
    tmpl = dot.copy()
    body = []
    for text in tmpl.body:
        m = line.match(text)
        if m and m.group(1) in widest:
            lines = [ln + PAD for ln in widest[m.group(1)]]
            text = text[: m.start(2) - 1] + quote(lines) + text[m.end(2) + 1 :]
        body.append(text)
    tmpl.body = body
    return tmpl
