"""Writing a frame's numbers into a graph template's SVG: what the replay page's script does in
the browser, done in Python for the Jupyter widget."""

from __future__ import annotations

import xml.etree.ElementTree as ET

_SVG = "{http://www.w3.org/2000/svg}"


def fill_svg(svg: str, labels: dict[str, list[str]], cluster: str | None = None) -> str:
    """The template ``svg`` with each node's text lines replaced by ``labels[node id]`` (and
    the folded box's title by ``cluster``, when given)."""
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    start = svg.find("<svg")
    root = ET.fromstring(svg[start:])
    for g in root.iter(f"{_SVG}g"):
        kind = (g.get("class") or "").split()
        title_text = g.find(f"{_SVG}text")
        if "cluster" in kind and cluster is not None and title_text is not None:
            title_text.text = cluster
        if "node" not in kind:
            continue
        title = g.find(f"{_SVG}title")
        if title is None or title.text not in labels:
            continue
        texts = g.findall(f"{_SVG}text")
        for el, line in zip(texts, labels[title.text]):
            el.text = line
    return ET.tostring(root, encoding="unicode")
