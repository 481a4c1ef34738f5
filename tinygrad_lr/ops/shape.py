"""Shape and indexing ops (``Tensor`` only): they move numbers around, the gradient moves back.

``reshape`` and ``transpose`` send the gradient back through the inverse move; ``broadcast_to``
sums it back (``unbroadcast``); indexing scatters it into zeros, adding up repeated positions;
``concatenate`` and ``stack`` hand each input its own slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .arrays import shapes
from .base import Nary, Unary, register

__all__ = ["Reshape", "Transpose", "BroadcastTo", "GetItem", "ScatterAdd", "Concatenate", "Stack"]


class _ShapeOp(Unary):
    engines = ("tensor",)
    methods = ()  # each has its own signature on Tensor (t.reshape(2, 3), t[i], ...)
    __slots__ = ()


@register
class Reshape(_ShapeOp):
    """``a.reshape(shape)``: the same numbers, new shape. The gradient is reshaped back."""

    name = "reshape"
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp: Any, a: Any) -> Any:
        try:
            return xp.reshape(a, self.shape)
        except ValueError:
            size = int(np.prod(a.shape))
            raise ValueError(
                f"reshape: cannot reshape shape {a.shape} ({size} entries) into {self.shape}"
            ) from None

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.reshape(g, a.shape)


@register
class Transpose(_ShapeOp):
    """``a.transpose(axes)``: a permutation of the axes. The gradient gets the inverse one."""

    name = "transpose"
    __slots__ = ("axes", "perm")

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes  # as given (None: reverse them); perm, the permutation it means

    def forward(self, xp: Any, a: Any) -> Any:
        self.perm = tuple(reversed(range(len(a.shape)))) if self.axes is None else self.axes
        try:
            return xp.transpose(a, self.perm)
        except ValueError:
            raise ValueError(
                f"transpose: axes {self.perm} do not permute the axes of shape {a.shape}"
            ) from None

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.transpose(g, tuple(int(i) for i in np.argsort(self.perm)))


@register
class BroadcastTo(_ShapeOp):
    """``a`` copied (as a view) to a larger shape. The gradient is summed back (``unbroadcast``)."""

    name, symbol = "broadcast_to", "broadcast"
    __slots__ = ("shape",)

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, xp: Any, a: Any) -> Any:
        try:
            return xp.broadcast_to(a, self.shape)
        except ValueError:
            raise ValueError(f"broadcast: shape {a.shape} cannot broadcast to {self.shape}") from None

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.unbroadcast(g, a.shape)


@register
class GetItem(_ShapeOp):
    """``a[index]``: basic slicing and integer-array (fancy) indexing.

    ``d(a[index])/da`` is 1 at the picked positions, 0 elsewhere: the gradient is scattered
    back into zeros. With fancy indices a position can be picked twice (``a[[0, 0]]``, the same
    sample drawn twice in a mini-batch); it then gets *both* gradients, which is why the
    scatter is ``np.add.at`` (it adds repeated positions up) and not ``g[index] = grad``.
    """

    name, symbol = "getitem", "index"
    __slots__ = ("index", "basic")

    def __init__(self, index: Any) -> None:
        self.index = index
        parts = index if isinstance(index, tuple) else (index,)
        # ints, slices, None and ... pick every position at most once
        self.basic = all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)

    def forward(self, xp: Any, a: Any) -> Any:
        try:
            return xp.index(a, self.index)
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {a.shape})") from None

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.scatter(g, self.index, a.shape, self.basic)


@register
class ScatterAdd(_ShapeOp):
    """``g`` added into zeros of ``shape`` at ``index``: the derivative of ``a[index]`` as an op.

    Only gradients of gradients build it. Its own derivative picks the positions again:
    ``d/dg`` of the scatter is ``grad[index]``.
    """

    name, symbol = "scatter_add", "scatter"
    __slots__ = ("index", "shape", "basic")

    def __init__(self, index: Any, shape: tuple[int, ...], basic: bool) -> None:
        self.index, self.shape, self.basic = index, shape, basic

    def forward(self, xp: Any, g: Any) -> Any:
        return xp.scatter(g, self.index, self.shape, self.basic)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return xp.index(g, self.index)


class _Join(Nary):
    engines = ("tensor",)
    methods = ()  # concatenate(...) and stack(...): functions of tinygrad_lr.tensor
    __slots__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis


@register
class Concatenate(_Join):
    """``concatenate(tensors, axis)``. Each input's gradient is its own slice of ``grad``."""

    name, symbol = "concatenate", "concat"
    __slots__ = ("sizes",)

    def forward(self, xp: Any, *arrays: Any) -> Any:
        try:
            out = xp.concatenate(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"concatenate: shapes {shapes(*arrays)} along axis {self.axis}: {e}") from None
        self.axis = self.axis % len(out.shape)
        self.sizes = [a.shape[self.axis] for a in arrays]
        return out

    def vjp(self, xp: Any, i: int, g: Any, inputs: Sequence[Any], out: Any) -> Any:
        start = sum(self.sizes[:i])
        return xp.index(g, (slice(None),) * self.axis + (slice(start, start + self.sizes[i]),))


@register
class Stack(_Join):
    """``stack(tensors, axis)``: a new axis. Input ``i``'s gradient is ``grad`` at position ``i``."""

    name = "stack"
    __slots__ = ()

    def forward(self, xp: Any, *arrays: Any) -> Any:
        try:
            out = xp.stack(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"stack: shapes {shapes(*arrays)} along axis {self.axis}: {e}") from None
        self.axis = self.axis % len(out.shape)
        return out

    def vjp(self, xp: Any, i: int, g: Any, inputs: Sequence[Any], out: Any) -> Any:
        return xp.index(g, (slice(None),) * self.axis + (i,))
