"""Is a committed picture the one the code next to it draws today? Compared by structure, not pixels.

The docs embed pictures made by the code shown beside them (a page's own code block, or an example
script). Pixel equality would break on every matplotlib or Graphviz upgrade, so the comparison is
the part a reader would notice:

* PNG: the same size in pixels, and nearly the same image -- mean brightness difference below 1 %
  and fewer than 2 % of the pixels visibly different (a moved legend or a different curve fails);
* SVG: the same drawing size and the same texts (every label, number and caption, in order);
  for a Graphviz picture also, node by node and edge by edge (matched by their ids in the layout),
  the same texts and the same look -- line colour, width and dashes, fill, text colour -- so a
  picture that highlights other nodes or edges than the code does today fails, even when every
  number in it is the same.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

PNG_MEAN_DIFF = 0.01  # on a 0..1 scale: antialiasing differences between versions stay far below
PNG_CHANGED_PIXELS = 0.02  # share of pixels differing by more than 0.25: text or lines that moved


def picture_difference(committed: Path, fresh: Path) -> str | None:
    """``None`` if ``fresh`` draws what ``committed`` shows, else what differs (for the assertion)."""
    if committed.suffix != fresh.suffix:
        return f"{committed.name} is {committed.suffix}, the code drew {fresh.suffix}"
    if committed.suffix == ".png":
        return _png_difference(committed, fresh)
    if committed.suffix == ".svg":
        return _svg_difference(committed, fresh)
    raise ValueError(f"cannot compare {committed.name}: only .png and .svg")


def _png_difference(committed: Path, fresh: Path) -> str | None:
    import numpy as np
    from matplotlib.image import imread

    a, b = imread(committed), imread(fresh)
    if a.shape != b.shape:
        return f"{committed.name} is {a.shape[1]}x{a.shape[0]} px, the code draws {b.shape[1]}x{b.shape[0]}"
    channels = min(a.shape[2], b.shape[2], 3) if a.ndim == 3 else 1
    diff = np.abs(a[..., :channels] - b[..., :channels]) if a.ndim == 3 else np.abs(a - b)
    mean, changed = float(diff.mean()), float((diff.max(axis=-1) > 0.25).mean()) if a.ndim == 3 else 0.0
    if mean > PNG_MEAN_DIFF or changed > PNG_CHANGED_PIXELS:
        return f"{committed.name} differs from what the code draws ({changed:.1%} of pixels changed)"
    return None


def _svg_texts(svg: str) -> list[str]:
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)]


def _svg_size(svg: str) -> tuple[str, str]:
    m = re.search(r'<svg[^>]*\swidth="([^"]+)"[^>]*\sheight="([^"]+)"', svg, re.S)
    return (m.group(1), m.group(2)) if m else ("?", "?")


_NS = "{http://www.w3.org/2000/svg}"
_SHAPES = ("path", "polygon", "ellipse", "polyline")
_LOOK = ("stroke", "stroke-width", "stroke-dasharray", "fill")


_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _points(el: ET.Element) -> list[tuple[float, float]]:
    """The coordinates a shape is drawn through (an ellipse: the corners of its box)."""
    if el.tag == f"{_NS}ellipse":
        cx, cy, rx, ry = (float(el.get(a, 0)) for a in ("cx", "cy", "rx", "ry"))
        return [(cx - rx, cy - ry), (cx + rx, cy + ry)]
    nums = [float(v) for v in _NUMBERS.findall(el.get("d") or el.get("points") or "")]
    return list(zip(nums[::2], nums[1::2]))


def _nearest(point: tuple[float, float], boxes: dict[str, tuple[float, float, float, float]]) -> str:
    """The node whose box is nearest to ``point``."""
    x, y = point

    def gap(box: tuple[float, float, float, float]) -> float:
        x0, y0, x1, y1 = box
        return max(x0 - x, 0, x - x1) ** 2 + max(y0 - y, 0, y - y1) ** 2

    return min(boxes, key=lambda name: gap(boxes[name]))


def graph_elements(svg: str) -> dict[str, tuple[object, ...]]:
    """A Graphviz SVG's nodes, edges and clusters by kind and id (``"edge n3->n5op"``): each one's
    texts, the look of each of its shapes and texts (stroke, width, dashes, fill), and for an
    edge the nodes its drawn line really starts and ends at (nearest node boxes), so an edge
    whose line is drawn elsewhere than its id says is told apart."""
    root = ET.fromstring(svg[svg.find("<svg") :])
    out: dict[str, tuple[object, ...]] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for g in root.iter(f"{_NS}g"):
        kind = (g.get("class") or "").split()
        title = g.find(f"{_NS}title")
        if not kind or kind[0] not in ("node", "edge", "cluster") or title is None:
            continue
        key = f"{kind[0]} {title.text}"
        shapes = [el for el in g.iter() if el.tag.removeprefix(_NS) in _SHAPES]
        texts = tuple(re.sub(r"\s+", " ", t.text or "").strip() for t in g.iter(f"{_NS}text"))
        looks = tuple(
            (el.tag.removeprefix(_NS), *(el.get(a, "") for a in _LOOK))
            for el in g.iter()
            if el in shapes or el.tag == f"{_NS}text"
        )
        out[key] = (texts, looks)
        pts = [p for el in shapes for p in _points(el)]
        if kind[0] == "node" and pts:
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            boxes[title.text or ""] = (min(xs), min(ys), max(xs), max(ys))
        elif kind[0] == "edge" and shapes:
            line, head = _points(shapes[0]), _points(shapes[-1])  # the line, and its arrowhead
            tip = (sum(p[0] for p in head) / len(head), sum(p[1] for p in head) / len(head))
            lines[key] = [line[0], tip] if line and head else []
    for key, ends in lines.items():
        if ends and boxes:
            out[key] = (*out[key], (_nearest(ends[0], boxes), _nearest(ends[1], boxes)))
    return out


def _svg_difference(committed: Path, fresh: Path) -> str | None:
    a, b = committed.read_text(encoding="utf-8"), fresh.read_text(encoding="utf-8")
    if _svg_size(a) != _svg_size(b):
        return f"{committed.name} is {_svg_size(a)}, the code draws {_svg_size(b)}"
    ta, tb = _svg_texts(a), _svg_texts(b)
    if ta != tb:
        gone, new = [t for t in ta if t not in tb][:5], [t for t in tb if t not in ta][:5]
        return f"{committed.name} has other texts than the code draws: only in the file {gone}, drawn {new}"
    ea, eb = graph_elements(a), graph_elements(b)
    if ea.keys() != eb.keys():
        gone, new = sorted(ea.keys() - eb.keys())[:5], sorted(eb.keys() - ea.keys())[:5]
        return f"{committed.name} has other nodes or edges than the code: only in it {gone}, drawn {new}"
    changed = [key for key in ea if ea[key] != eb[key]]
    if changed:
        key = changed[0]
        if ea[key][:2] != eb[key][:2]:
            why = f"its texts and look are {ea[key][:2]} in the file, {eb[key][:2]} as drawn"
        else:
            why = f"its line runs between {ea[key][2]} in the file, between {eb[key][2]} as drawn"
        return (
            f"{committed.name} draws {len(changed)} node(s) or edge(s) otherwise than the code does "
            f"(highlighted, styled or placed differently), e.g. {key}: {why}"
        )
    return None


def misdrawn_edges(svg: str) -> list[str]:
    """The edges of a Graphviz SVG whose drawn line does not join the two nodes its id names."""
    return [
        f"{key} is drawn from {v[2][0]} to {v[2][1]}"
        for key, v in graph_elements(svg).items()
        if key.startswith("edge ") and len(v) == 3 and tuple(key[5:].split("->")) != v[2]
    ]
