"""Maintenance: draw how the package is layered (``docs/images/layers.svg``), from the code.

The layers are the ones import-linter checks (``[tool.importlinter]`` in ``pyproject.toml``, one
row each, top to bottom); the arrows are the imports between the package's modules, read from
the source by grimp (the library import-linter is built on), every import counted, those inside
functions too. An arrow ``a -> b`` means "a imports b"; an arrow that a longer path already
implies (``a -> b -> c`` makes ``a -> c`` go without saying) is left out, so that the picture
shows the structure rather than every wire. ``tests/test_source_shape.py`` checks that the
committed picture is what this draws today. Run it from anywhere after moving a module::

    python tools/draw_layers.py            (``tools/update_docs_figures.py`` runs it too)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import graphviz
import grimp
import tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tinygrad_lr"
TARGET = ROOT / "docs" / "images" / "layers.svg"


def declared_layers() -> list[tuple[list[str], str]]:
    """The layers contract's rows, top first: (the modules of the row, its comment)."""
    text = (ROOT / "pyproject.toml").read_text()
    contracts = tomllib.loads(text)["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["type"] == "layers"]
    comments = {}  # a row's comment in pyproject.toml says what the layer is
    for row in contract["layers"]:
        m = re.search(rf'"{re.escape(row)}",\s*#\s*(.*)', text)
        comments[row] = m.group(1).strip() if m else ""
    return [([m.strip() for m in re.split(r"[|:]", row)], comments[row]) for row in contract["layers"]]


def module_imports() -> set[tuple[str, str]]:
    """(a, b) for each pair of the package's top-level modules where something in a imports b."""
    graph = grimp.build_graph(PACKAGE, cache_dir=None)

    def top(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) > 1 else None  # None: the package's own __init__

    pairs = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = top(module), top(imported)
            if a and b and a != b:
                pairs.add((a, b))
    return pairs


def without_implied(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The arrows no longer path implies (the transitive reduction of an acyclic graph)."""
    after: dict[str, set[str]] = {}
    for a, b in pairs:
        after.setdefault(a, set()).add(b)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), list(after.get(start, ()))
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(after.get(node, ()))
        return seen

    return {(a, b) for a, b in pairs if not any(b in reachable(c) for c in after[a] if c != b)}


def draw_layers() -> graphviz.Digraph:
    """The picture: a row per layer (its comment on the left), an arrow per import left."""
    dot = graphviz.Digraph("layers", format="svg")
    dot.attr(rankdir="TB", nodesep="0.15", ranksep="0.35", fontname="Helvetica", newrank="true")
    dot.attr("node", shape="box", style="rounded,filled", fillcolor="#e3f2fd", color="#1565c0",
             fontname="Helvetica", fontsize="12", margin="0.06,0.03", height="0.3")
    dot.attr("edge", color="#757575", arrowsize="0.5", penwidth="0.8")
    rows = declared_layers()
    for i, (modules, comment) in enumerate(rows):
        with dot.subgraph(name=f"row{i}") as row:
            row.attr(rank="same")
            row.node(f"layer{i}", graphviz.escape(comment or " "), shape="plaintext", style="",
                     fontcolor="#424242", fontsize="11")
            for m in modules:
                row.node(m, m + ("/" if (ROOT / PACKAGE / m).is_dir() else ".py"))
        if i:
            dot.edge(f"layer{i - 1}", f"layer{i}", style="invis")
    placed = {m for modules, _ in rows for m in modules}
    for a, b in sorted(without_implied(module_imports())):
        if a in placed and b in placed:
            dot.edge(a, b)
    return dot


def main(target: Path = TARGET) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(draw_layers().pipe(format="svg"))
    print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
