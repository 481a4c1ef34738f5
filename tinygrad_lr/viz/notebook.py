"""A matplotlib ``Figure`` that shows itself in Jupyter: the class of every :mod:`tinygrad_lr.plot` figure.

Imported only when a plot is made (it imports matplotlib). A ``Figure`` built without ``pyplot``
has no display of its own in a notebook -- the inline backend only shows figures that pyplot
manages, and only after ``import matplotlib.pyplot``. This subclass gives the figure a MIME
bundle, so the result of any ``plot.*`` function, left as the last line of a cell, displays
inline as a PNG. The figure is not registered with pyplot, so the inline backend never shows it
a second time at the end of the cell, whether or not pyplot was imported.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.figure import Figure

NOTEBOOK_DPI = 100  # the size a learner sees: matplotlib's inline default, 100 CSS px per inch
SHARPNESS = 2  # rendered at twice that and shown at the CSS size, so it stays sharp on HiDPI screens


class NotebookFigure(Figure):
    """A window-less matplotlib ``Figure`` that Jupyter displays once, inline, as a PNG."""

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=NOTEBOOK_DPI * SHARPNESS)
        width, height = self.get_size_inches() * NOTEBOOK_DPI
        data = {"image/png": buf.getvalue(), "text/plain": repr(self)}
        return data, {"image/png": {"width": round(width), "height": round(height)}}
