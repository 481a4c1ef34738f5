"""Moved to :mod:`tinygrad_lr.viz.update_graphs` (and :mod:`tinygrad_lr.viz.svg_fill`), the
pictures' home; this path keeps old imports working."""

from ..viz.recording import fmt
from ..viz.svg_fill import fill_svg
from ..viz.update_graphs import (
    FOLD_ABOVE,
    PHASES,
    GraphFrames,
    frame_updates,
    graph_frames,
    missing_dot_error,
    sample_labels,
    update_loss_graph,
)

__all__ = [
    "GraphFrames",
    "frame_updates",
    "graph_frames",
    "update_loss_graph",
    "sample_labels",
    "fill_svg",
    "fmt",
    "missing_dot_error",
    "FOLD_ABOVE",
    "PHASES",
]
