"""The walkthrough: one picture per chain-rule step, and the folder that holds them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz

from ..graph import topological_order
from .draw import _draw_plain
from .limits import WALKTHROUGH_MAX_NODES, _check_limit
from .names import _param_ids
from .page import _html_page
from .render import _atomic_write, _missing_dot
from .steps import backward_steps, walkthrough_text


def walkthrough_frames(
    root: Any,
    *,
    rankdir: str = "LR",
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
) -> list[graphviz.Digraph]:
    """One picture per step of :func:`backward_steps`.

    The node whose gradient the step completes is highlighted (yellow, red border), with the
    edges and operations its gradient was read through in red; nodes the chain rule has not
    reached yet show ``grad ?``; the step's caption is the picture's title.
    """
    order = topological_order(root)
    ops = sum(1 for node in order if node._prev)
    _check_limit(len(order), ops, max_nodes, "walkthrough")
    steps = backward_steps(root)
    param_ids = _param_ids(params)
    frames = []
    for k, step in enumerate(steps):
        done = {id(s.node): s.grad for s in steps[: k + 1]}

        def grad_value(node: Any, done: dict[int, Any] = done) -> Any:
            return done.get(id(node))

        caption = f"step {k + 1} of {len(steps)}: {step.caption}"
        frames.append(
            _draw_plain(
                order,
                root,
                rankdir=rankdir,
                param_ids=param_ids,
                grad_value=grad_value,
                caption=caption,
                current=step.node,
            )
        )
    return frames


def write_walkthrough(
    root: Any,
    folder: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    params: Iterable[Any] | None = None,
    max_nodes: int = WALKTHROUGH_MAX_NODES,
) -> Path:
    """Write the walkthrough into ``folder``: one SVG per step, the text, and ``index.html``.

    ``index.html`` is one self-contained page (the SVGs are inside it; no network, no server)
    with previous / next buttons and the left / right arrow keys. Files are
    ``step_001.svg``, ... and ``walkthrough.txt``; each is written whole or not at all.
    Returns the path of ``index.html``.
    """
    folder = Path(folder)
    steps = backward_steps(root)
    frames = walkthrough_frames(root, rankdir=rankdir, params=params, max_nodes=max_nodes)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(frames))))
    svgs: list[str] = []
    for frame in frames:
        try:
            svgs.append(frame.pipe(format="svg", encoding="utf-8"))
        except graphviz.ExecutableNotFound:  # keep what can be had without Graphviz
            for j, f in enumerate(frames):
                _atomic_write(folder / f"step_{j + 1:0{width}d}.dot", f.source.encode("utf-8"))
            _atomic_write(folder / "walkthrough.txt", (walkthrough_text(root) + "\n").encode("utf-8"))
            raise _missing_dot(f"the walkthrough in {folder}", folder / f"step_{1:0{width}d}.dot") from None
    for k, svg in enumerate(svgs):
        _atomic_write(folder / f"step_{k + 1:0{width}d}.svg", svg.encode("utf-8"))
    stale = re.compile(r"^step_(\d+)\.svg$")
    for old in folder.iterdir():  # frames of an earlier, longer walkthrough
        m = stale.match(old.name)
        if m and int(m.group(1)) > len(frames):
            old.unlink()
    _atomic_write(folder / "walkthrough.txt", (walkthrough_text(root) + "\n").encode("utf-8"))
    page = folder / "index.html"
    _atomic_write(page, _html_page(steps, svgs).encode("utf-8"))
    return page
