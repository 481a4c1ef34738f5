"""The toolbox for graph nodes: what ``xp`` is when a gradient is built as a graph.

``backward(create_graph=True)`` and ``grad()`` run each op's derivative on the graph nodes
themselves (``Value`` or ``Tensor``): ``g * (1.0 - out * out)`` then *builds* nodes, and the
gradient is a graph that can be drawn and differentiated again. Every function here does the
same with node methods (``xp.log(a)`` is ``a.log()``), so this module needs neither engine.

A piecewise-constant slope (relu's, abs', maximum's) is returned as numbers: its own derivative
is 0, so it is a constant of the gradient graph. A plain float (the base of ``2 ** x``) goes to
the float toolbox.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .base import ONE
from .broadcast import broadcast_axes
from .floats import FLOATS
from .shape import ScatterAdd

__all__ = ["GRAPHS", "Graphs", "sum_to"]


def _is_node(x: Any) -> bool:
    return hasattr(x, "_prev")


def _numbers(x: Any) -> Any:
    """A node's number(s): a float for a ``Value``, an array for a ``Tensor``."""
    return x.data if _is_node(x) else x


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """``unbroadcast`` as graph ops: ``g`` summed over the axes broadcasting added or stretched."""
    if tuple(g.shape) == tuple(shape):
        return g
    return g.sum(axis=broadcast_axes(g.shape, shape), keepdims=True).reshape(shape)


class Graphs:
    """``xp`` for ``Value`` and ``Tensor`` nodes (see the module docstring)."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def apply(x: Any, *rest: Any) -> Any:
            return getattr(x, name)(*rest) if _is_node(x) else getattr(FLOATS, name)(x, *rest)

        return apply

    @staticmethod
    def power(a: Any, n: Any) -> Any:
        return a**n if _is_node(a) or _is_node(n) else FLOATS.power(a, n)

    @staticmethod
    def product(g: Any, factor: Any, like: Any) -> Any:
        return g * factor  # the engine sums it back to like's shape

    @staticmethod
    def scale(g: Any, c: float, a: Any) -> Any:
        return g * (c * a)

    @staticmethod
    def zeros_like(g: Any) -> Any:
        return 0.0 if g is ONE else g * 0.0

    @staticmethod
    def div0(c: float, y: Any) -> Any:
        """``c / y`` as a node; where ``y`` is 0 the slope is infinite: kept as numbers."""
        data = _numbers(y)
        if type(data) is float:
            return c / y if data > 0.0 else math.inf
        if np.any(data == 0):
            with np.errstate(divide="ignore"):
                return c / data
        return c / y

    @staticmethod
    def step(a: Any) -> Any:
        data = _numbers(a)
        return FLOATS.step(data) if type(data) is float else data > 0

    @staticmethod
    def sign(a: Any) -> Any:
        data = _numbers(a)
        return FLOATS.sign(data) if type(data) is float else np.sign(data)

    @staticmethod
    def greater(a: Any, b: Any) -> Any:
        x, y = _numbers(a), _numbers(b)
        return FLOATS.greater(x, y) if type(x) is float and type(y) is float else x > y

    @staticmethod
    def equal(a: Any, b: Any) -> Any:
        x, y = _numbers(a), _numbers(b)
        return FLOATS.equal(x, y) if type(x) is float and type(y) is float else x == y

    # --- shapes (Tensor nodes) ---------------------------------------------------------------

    @staticmethod
    def spread(g: Any, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Any:
        """``g`` given back its reduced axes (as 1s), then broadcast: the reduction's gradient."""
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        if g.shape != kept:
            g = g.reshape(kept)
        return g.broadcast_to(shape)

    unbroadcast = staticmethod(sum_to)

    @staticmethod
    def scatter(g: Any, index: Any, shape: tuple[int, ...], basic: bool) -> Any:
        return type(g)._apply(ScatterAdd(index, shape, basic), g)  # an op: differentiable again

    @staticmethod
    def index(g: Any, index: Any) -> Any:
        return g[index]

    @staticmethod
    def reshape(g: Any, shape: tuple[int, ...]) -> Any:
        return g.reshape(tuple(shape))

    @staticmethod
    def transpose(g: Any, axes: tuple[int, ...]) -> Any:
        return g.transpose(tuple(axes))

    @staticmethod
    def as_row(t: Any) -> Any:
        return t.reshape((1, *t.shape)) if len(t.shape) == 1 else t

    @staticmethod
    def as_column(t: Any) -> Any:
        return t.reshape((*t.shape, 1)) if len(t.shape) == 1 else t

    @staticmethod
    def swap_last(t: Any) -> Any:
        perm = list(range(len(t.shape)))
        perm[-2], perm[-1] = perm[-1], perm[-2]
        return t.transpose(tuple(perm))


GRAPHS = Graphs()
