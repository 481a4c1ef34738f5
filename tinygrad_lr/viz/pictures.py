"""Draw what can be drawn, finish the lesson anyway, and say at the end which pictures were skipped.

The demo and the example scripts print their numbers and draw Graphviz pictures beside them.
Without Graphviz's ``dot`` program the numbers are still the lesson, so a missing ``dot`` must
not stop a script halfway: :class:`Pictures` runs each drawing, carries on when one cannot be
made, and :meth:`Pictures.report` lists the skipped pictures with the reason and the install
command, once, after all the text.

Example:
    >>> from tinygrad_lr import Value, draw_graph, save_graph
    >>> loss = (Value(1.0, label="w") * 2 - 3) ** 2
    >>> pictures = Pictures()
    >>> path = pictures.draw("graph.svg", lambda: save_graph(draw_graph(loss), "graph.svg"))  # doctest: +SKIP
    >>> print(pictures.report())  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .render import GraphvizNotFoundError, graphviz_install_hint

T = TypeVar("T")


class Pictures:
    """The pictures a script drew (``drawn``) and those it skipped (``skipped``: name, reason)."""

    def __init__(self) -> None:
        self.drawn: list[str] = []
        self.skipped: list[tuple[str, str]] = []

    def draw(self, name: str, make: Callable[[], T]) -> T | None:
        """Call ``make()`` to draw the picture called ``name``; ``None`` if Graphviz is missing.

        A missing ``dot`` is remembered for :meth:`report` instead of raised (``save_graph`` has
        already written the DOT source beside the picture); every other error propagates.
        """
        try:
            result = make()
        except GraphvizNotFoundError:
            self.skipped.append((name, self.NO_DOT))
            return None
        self.drawn.append(name)
        return result

    NO_DOT = "Graphviz's 'dot' program was not found"

    def report(self) -> str:
        """One paragraph per reason: what was skipped, why, and how to get it. ``""`` if none was."""
        if not self.skipped:
            return ""
        lines = []
        for reason in dict.fromkeys(why for _, why in self.skipped):
            names = [name for name, why in self.skipped if why == reason]
            lines.append(f"pictures skipped ({len(names)}): {', '.join(names)}")
            lines.append(f"  why: {reason}, so these pictures could not be drawn;")
            lines.append("  a graph's DOT source (plain text) was written beside it as .dot,")
            lines.append("  unless such a file existed already (it is never replaced).")
            lines.append(f"  to draw them, install Graphviz: {graphviz_install_hint()}, then run this again.")
        return "\n".join(lines)
