"""Moved to :mod:`tinygrad_lr.viz.figures.moment`, the pictures' home; this path keeps old imports working."""

from ..viz.figures.moment import PHASES, MomentFigure, moment_text

__all__ = ["MomentFigure", "moment_text", "PHASES"]
