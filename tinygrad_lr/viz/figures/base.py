"""What every matplotlib figure shares: a window-less figure, its colours, and saving it.

Matplotlib is imported only when a figure is made, never by ``import tinygrad_lr``: figures are
built with :class:`matplotlib.figure.Figure` (the :class:`~tinygrad_lr.viz.notebook.NotebookFigure`
subclass, which Jupyter displays once), not with ``pyplot``, so no window pops up and no global
"current figure" is kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..._files import atomic_file

if TYPE_CHECKING:  # only for type hints; matplotlib is imported lazily at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

INSTALL_HINT = "plotting needs matplotlib: pip install 'tinygrad-lr[plot]'"

# the tutorial's colours (docs/sources.md section 2): training points blue, test points red, line black
TRAIN_COLOR = "tab:blue"
TEST_COLOR = "tab:red"
LINE_COLOR = "black"
# one colour per trajectory / curve, in order (GD, SGD, mini-batch, ...)
CYCLE = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink")
# markers that stay tellable apart when several points sit on the same spot (drawn big to small)
MARKERS = ("o", "s", "D", "^", "v", "P")
LINESTYLES = ("-", "--", ":", "-.")

SAVE_FORMATS = ("png", "svg", "pdf")


def figure_class() -> type[Figure]:
    """Matplotlib's ``Figure`` (as :class:`~tinygrad_lr.viz.notebook.NotebookFigure`), imported on
    first use, with an actionable message if matplotlib is missing."""
    try:
        from ..notebook import NotebookFigure
    except ImportError as exc:  # pragma: no cover - exercised by monkeypatching in the tests
        raise ImportError(INSTALL_HINT) from exc
    return NotebookFigure


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 6.0, height: float = 4.2
) -> tuple[Figure, Any]:
    """A window-less figure with a grid of axes, ``(fig, axes)`` as ``plt.subplots`` returns them.

    ``width`` and ``height`` are per panel, in inches. ``axes`` is one ``Axes`` for a 1x1 grid,
    else a numpy array of them.

    Example:
        >>> fig, (left, right) = new_figure(ncols=2)
    """
    Figure = figure_class()
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def target(ax: Axes | None, **size: float) -> tuple[Figure, Axes]:
    """The figure and axes to draw on: the root figure of ``ax`` when given, else a new one."""
    if ax is not None:
        # the figure that can be saved: for axes inside a SubFigure, ax.figure is the SubFigure,
        # and .figure of that (of any figure) is the root Figure
        root: Figure = ax.figure.figure
        return root, ax
    return new_figure(1, 1, **size)


def floats(values: Any, name: str) -> np.ndarray:
    """``values`` as a float array, refusing an empty one by ``name``."""
    arr = np.asarray([float(v) for v in np.ravel(np.asarray(values, dtype=object))], dtype=float)
    if arr.size == 0:
        raise ValueError(f"{name} is empty; give at least one number")
    return arr


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Write ``fig`` to ``path`` as PNG, SVG or PDF, chosen by the file's extension.

    The figure is written to a temporary file in the same folder and then moved into place
    with ``os.replace``, so a reader never sees a half-written picture. Missing folders are
    created. Returns the path.

    Example:
        >>> from tinygrad_lr.viz.figures import fit_line
        >>> save(fit_line([1, 2, 3], [3, 5, 7], w=2, b=1), "out/fit.svg")  # doctest: +SKIP
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot save a figure as {path.name!r}: use one of the extensions "
            + ", ".join("." + f for f in SAVE_FORMATS)
        )
    with atomic_file(path, make_folders=True) as fh:  # as documented above
        fig.savefig(fh, format=fmt, dpi=dpi)
    return path
