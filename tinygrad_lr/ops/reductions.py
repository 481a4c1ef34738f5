"""Reductions: ``sum`` and ``mean`` over some axes (``Tensor`` only).

``d(sum a)/da[i] = 1``: every summed entry receives the output's gradient, so the gradient is
the output's gradient copied back along the reduced axes (``xp.spread``: a broadcast *view*, no
array of the input's size is built). ``mean`` divides it by the number of entries averaged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .arrays import normalize_axes
from .base import Unary, register

__all__ = ["Sum", "Mean"]


class _Reduction(Unary):
    """What ``sum`` and ``mean`` share: the axes, given as numpy or PyTorch would, made a tuple."""

    engines = ("tensor",)
    methods = ()  # t.sum(axis, keepdims, dim=, keepdim=): the Tensor's own signature
    __slots__ = ("axis", "keepdims", "axes")
    axes: tuple[int, ...]

    def __init__(self, axis: int | Sequence[int] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims  # axis as given; axes, the tuple it means

    def reduces_everything(self, ndim: int) -> bool:
        """A sum (or mean) of every entry into one number."""
        return not self.keepdims and len(self.axes) == ndim


@register
class Sum(_Reduction):
    """``a.sum(axis)``. ``d(sum a)/da[i] = 1``: every summed entry gets the output's gradient."""

    name = "sum"
    rules = ("d(sum a)/da[i] = 1",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        self.axes = normalize_axes(self.axis, len(a.shape))
        return xp.sum(a, axis=self.axes, keepdims=self.keepdims)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.spread(g, self.axes, self.keepdims, a.shape)


@register
class Mean(_Reduction):
    """``a.mean(axis)``. ``d(mean a)/da[i] = 1/n``, ``n`` the number of entries averaged."""

    name = "mean"
    rules = ("d(mean a)/da[i] = 1/n",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        self.axes = normalize_axes(self.axis, len(a.shape))
        if math.prod(a.shape) == 0:
            raise ValueError(f"mean: the mean of an empty tensor (shape {a.shape}) is undefined")
        return xp.mean(a, axis=self.axes, keepdims=self.keepdims)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        n = math.prod(a.shape[i] for i in self.axes)
        return xp.spread(g / n, self.axes, self.keepdims, a.shape)
