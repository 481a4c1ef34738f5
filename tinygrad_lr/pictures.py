"""Moved to :mod:`tinygrad_lr.viz.pictures`, the home of every picture; kept so old imports work."""

from .viz.pictures import Pictures

__all__ = ["Pictures"]
