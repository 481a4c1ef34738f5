"""Writing a frame's numbers into a graph template's SVG: what the replay page's script does in
the browser, done in Python for the Jupyter widget.

A node is found by its id in the layout (``n3``: the name the DOT source gives it, which Graphviz
writes as the ``<title>`` of the node's ``<g class="node">``), and its label lines are *every*
``<text>`` inside that group, in document order, however deep: Graphviz 2.42/2.43 wraps a node
with a tooltip in ``<g id="a_node3"><a>...</a></g>``, other versions do not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

_SVG = "{http://www.w3.org/2000/svg}"


def node_texts(svg: str) -> dict[str, list[str]]:
    """Every node's text lines in ``svg``, by its id in the layout: ``{"n0": ["w (parameter)", ...]}``."""
    root = ET.fromstring(svg[svg.find("<svg") :])
    return {
        name: [el.text or "" for el in g.iter(f"{_SVG}text")] for name, g in _groups(root, "node").items()
    }


def _groups(root: ET.Element, kind: str) -> dict[str, ET.Element]:
    """The ``<g class="<kind> ...">`` groups of a Graphviz SVG, by the node (or cluster) name."""
    out: dict[str, ET.Element] = {}
    for g in root.iter(f"{_SVG}g"):
        if kind in (g.get("class") or "").split():
            title = g.find(f"{_SVG}title")
            if title is not None and title.text is not None:
                out[title.text] = g
    return out


def fill_svg(svg: str, labels: dict[str, list[str]], cluster: str | None = None) -> str:
    """The template ``svg`` with each node's text lines replaced by ``labels[node id]`` (and
    the folded box's title by ``cluster``, when given).

    Example:
        >>> svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><title>n0</title>'
        ...        '<g><a><text>w</text><text>data ?</text></a></g></g></svg>')
        >>> node_texts(fill_svg(svg, {"n0": ["w (parameter)", "data 1.4"]}))
        {'n0': ['w (parameter)', 'data 1.4']}
    """
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(svg[svg.find("<svg") :])
    if cluster is not None:
        for g in _groups(root, "cluster").values():
            text = next(g.iter(f"{_SVG}text"), None)
            if text is not None:
                text.text = cluster
    for name, g in _groups(root, "node").items():
        if name in labels:
            for el, line in zip(g.iter(f"{_SVG}text"), labels[name]):
                el.text = line
    return ET.tostring(root, encoding="unicode")
