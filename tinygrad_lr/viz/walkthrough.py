"""The walkthrough: one picture per chain-rule step, and the folder that holds them.

Every frame has the same layout (:mod:`.layout`), so stepping changes only colours and numbers.
The folder is built beside its destination and moved into place whole: a reader finds the
complete walkthrough of one run, or the previous one, never a mix.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from .._files import atomic_folder, output_path
from ..graph import topological_order
from .draw import draw_plain
from .layout import fix_layout
from .limits import WALKTHROUGH_MAX_NODES, check_limit, check_root, refuse_early
from .names import ids_of_params
from .page import html_page
from .render import atomic_write, run_graphviz
from .steps import BackwardStep, backward_steps, walkthrough_text, without_step
from .style import choose_rankdir

_SHORT_UNKNOWN = "?"  # "grad ?": the page and the text say once what it means
_NO_STEP = "none (no step)"  # data and plain numbers: the chain rule needs no gradient for them


def walkthrough_frames(
    root: Any,
    *,
    rankdir: str | None = None,
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
    captions: bool = True,
) -> list[graphviz.Digraph]:
    """One picture per step of :func:`backward_steps`, all with one layout.

    The node whose gradient the step completes is highlighted (yellow, red border), with the
    edges and operations its gradient was read through in red; nodes the chain rule has not
    reached yet show ``grad ?``; with ``captions`` the step's caption is the picture's title.
    Every node has the same position and size in every frame: Graphviz lays the graph out
    once (so this needs Graphviz's ``dot``) and the frames are drawn at those positions.
    """
    frames, _ = _frames(root, rankdir=rankdir, params=params, max_nodes=max_nodes, captions=captions)
    return frames


def _frames(
    root: Any,
    *,
    rankdir: str | None,
    params: Iterable[Any] | None,
    max_nodes: int,
    captions: bool,
    rendered: str = "the walkthrough",
) -> tuple[list[graphviz.Digraph], list[BackwardStep]]:
    check_root(root, "walkthrough")
    refuse_early(root, max_nodes, "walkthrough")
    direction = choose_rankdir(rankdir, root)
    order = topological_order(root)
    ops = sum(1 for node in order if node._prev)
    check_limit(len(order), ops, max_nodes, "walkthrough")
    params = None if params is None else list(params)
    steps = backward_steps(root, params=params)
    param_ids = ids_of_params(params)
    skipped = without_step(order, root, params)  # data and plain numbers: no step, no gradient

    def frame(known: dict[int, Any], caption: str | None, current: Any) -> graphviz.Digraph:
        return draw_plain(
            order,
            root,
            rankdir=direction,
            param_ids=param_ids,
            grad_value=lambda node: _NO_STEP if id(node) in skipped else known.get(id(node)),
            caption=caption,
            current=current,
            unknown=_SHORT_UNKNOWN,
        )

    frames = []
    for k, step in enumerate(steps):
        known = {id(s.node): s.grad for s in steps[: k + 1]}
        caption = f"step {k + 1} of {len(steps)}: {step.caption}" if captions else None
        frames.append(frame(known, caption, step.node))
    # every gradient known: each box at its widest ("grad -40" is wider than "grad ?")
    widest = frame({id(s.node): s.grad for s in steps}, None, None)
    return fix_layout(frames, widest, rendered), steps


def write_walkthrough(
    root: Any,
    folder: str | os.PathLike[str],
    *,
    rankdir: str | None = None,
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
) -> Path:
    """Write the walkthrough into ``folder``: one SVG per step, the text, and ``index.html``.

    ``index.html`` is one self-contained page (the SVGs are inside it; no network, no server)
    with previous / next buttons, the left / right arrow keys, and zoom. Files are
    ``step_001.svg``, ... and ``walkthrough.txt``.

    The folder is written whole or not at all: it is built in a temporary folder beside it and
    then moved into place, replacing the walkthrough an earlier run wrote there. A folder
    holding anything else is refused, never emptied; its parent folder must exist (the rule of
    :func:`~tinygrad_lr._files.output_path`). Returns the path of ``index.html``.
    """
    shown = str(folder)
    rendered = f"the walkthrough {shown}"
    output_path(folder, "the walkthrough")  # before the work: a missing parent is refused at once
    frames, steps = _frames(
        root, rankdir=rankdir, params=params, max_nodes=max_nodes, captions=False, rendered=rendered
    )
    svgs = [run_graphviz(f, "svg", rendered).decode("utf-8") for f in frames]
    width = max(3, len(str(len(frames))))
    with atomic_folder(folder, _OURS, "the walkthrough") as build:
        for k, (svg, step) in enumerate(zip(svgs, steps)):
            atomic_write(build / f"step_{k + 1:0{width}d}.svg", _titled(svg, step.caption).encode("utf-8"))
        atomic_write(build / "walkthrough.txt", (walkthrough_text(root) + "\n").encode("utf-8"))
        atomic_write(build / "index.html", html_page(steps, svgs).encode("utf-8"))
    return Path(folder) / "index.html"


_OURS = re.compile(r"^(index\.html|walkthrough\.txt|step_\d+\.(svg|dot))$")  # what a walkthrough writes


def _titled(svg: str, caption: str) -> str:
    """A frame's SVG with the step's caption as its title (what a browser tab shows)."""
    return svg.replace("<title>backprop</title>", f"<title>{html.escape(caption)}</title>", 1)
