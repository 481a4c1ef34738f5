"""The toolbox for numpy arrays: what ``xp`` is when the ``Tensor`` engine runs an op.

Every function an op definition calls through ``xp`` exists here for arrays: numpy's (``exp``,
``tanh``, ...; anything numpy has is found by name), the ones that refuse bad input with a
message naming the op, the first bad entry and the shape (``log``, ``sqrt``, ``divide``,
``check_power``), and the pieces of a gradient that have fast paths (``product``: a product
summed back over broadcasting as one dot product; ``scale``: ``g * (c * a)`` kept as a
:class:`~tinygrad_lr.ops.broadcast.Scaled` when ``g`` is one number spread over an array).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .broadcast import Scaled, scatter, spread, unbroadcast, unbroadcast_product, uniform_value

__all__ = ["ARRAYS", "Arrays", "shapes", "first_bad", "check_real_pow", "normalize_axes", "refuse_broadcast"]

Array = np.ndarray


def shapes(*arrays: Any) -> str:
    """``'(3,) and (2,)'``: the shapes, for error messages."""
    return " and ".join(str(np.shape(a)) for a in arrays)


def refuse_broadcast(op: Any, arrays: Sequence[Array]) -> None:
    """Raise ``add: shapes (3,) and (4,) cannot broadcast`` if that is why ``op`` failed on ``arrays``
    (an elementwise op of several inputs); return otherwise, for the caller to re-raise its error."""
    if not getattr(op, "broadcasts", False):
        return
    try:
        np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError:
        raise ValueError(f"{op.name}: shapes {shapes(*arrays)} cannot broadcast") from None


def first_bad(a: Array, bad: Array) -> str:
    """``'-1.0 at index (2,)'``: the first offending entry, for error messages."""
    index = np.unravel_index(int(np.argmax(bad)), a.shape) if a.ndim else ()
    return f"{float(a[index])!r} at index {tuple(int(i) for i in index)}"


def check_real_pow(a: Array, n: Array | float) -> None:
    """Refuse powers that are not real numbers or divide by zero, naming the op and shapes.

    A number exponent is checked only for what it can break: a whole ``n >= 0`` (``a ** 2``)
    never fails, so it costs no pass over ``a``.
    """
    if isinstance(n, (int, float)) or np.ndim(n) == 0:
        n = float(n)
        fractional, negative = n != round(n), n < 0
        if fractional and np.any(a < 0):
            raise ValueError(
                f"pow: a negative base to the fractional power {n:g} is not a real number, "
                f"got {first_bad(a, a < 0)} in shape {a.shape}"
            )
        if negative and np.any(a == 0):
            raise ZeroDivisionError(
                f"pow: 0 to the negative power {n:g} divides by zero, "
                f"got {first_bad(a, a == 0)} in shape {a.shape}"
            )
        return
    n = np.asarray(n)
    if np.any((a < 0) & (n != np.round(n))):
        raise ValueError(
            f"pow: a negative base to a fractional power is not a real number (shapes {shapes(a, n)})"
        )
    if np.any((a == 0) & (n < 0)):
        raise ZeroDivisionError(f"pow: 0 to a negative power divides by zero (shapes {shapes(a, n)})")


def normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (all axes for ``None``)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in axes:
        if not isinstance(ax, (int, np.integer)):
            raise TypeError(f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= ax < ndim:
            raise ValueError(f"axis {ax} is out of bounds for a tensor of {ndim} dimensions")
        out.append(int(ax) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"axis {axis!r} repeats an axis")
    return tuple(sorted(out))


class Arrays:
    """``xp`` for numpy arrays (see the module docstring); anything else is numpy's, by name."""

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    # --- forward: the functions that refuse some inputs -------------------------------------

    @staticmethod
    def log(a: Array) -> Array:
        bad = a <= 0
        if np.any(bad):
            raise ValueError(f"log: needs positive entries, got {first_bad(a, bad)} in shape {a.shape}")
        return np.log(a)

    @staticmethod
    def sqrt(a: Array) -> Array:
        bad = a < 0
        if np.any(bad):
            raise ValueError(f"sqrt: needs non-negative entries, got {first_bad(a, bad)} in shape {a.shape}")
        return np.sqrt(a)

    @staticmethod
    def divide(a: Array, b: Array) -> Array:
        if np.any(b == 0):
            raise ZeroDivisionError(
                f"div: division by zero ({first_bad(b, b == 0)} of the divisor), shapes {shapes(a, b)}"
            )
        return a / b

    @staticmethod
    def check_power(a: Array, n: Any) -> Array:
        """``a``, after refusing ``a ** n`` where it is not a real number (see :func:`check_real_pow`)."""
        check_real_pow(a, n)
        return a

    @staticmethod
    def positive_base(a: Array, b: Array) -> Array:
        """``a``, after refusing a base ``<= 0`` (``d(a**b)/db = a**b log(a)`` needs ``a > 0``)."""
        if np.any(a <= 0):
            raise ValueError(
                f"pow: a ** b with a tensor exponent needs a positive base "
                f"(d(a**b)/db = a**b * log(a)), got {first_bad(a, a <= 0)}, shapes {shapes(a, b)}"
            )
        return a

    @staticmethod
    def power(a: Array, n: Any) -> Array:
        """``a ** n``; an infinite slope (``n < 0`` at 0, in a derivative) stays ``inf``."""
        with np.errstate(divide="ignore"):
            return np.power(a, n)

    @staticmethod
    def square(a: Array) -> Array:
        """``a ** 2`` as ``a * a``: one pass, no call to ``pow``."""
        return a * a

    @staticmethod
    def sigmoid(a: Array, out: Array | None = None) -> Array:
        """``1 / (1 + exp(-a))`` as ``exp(-log(1 + exp(-a)))`` with ``np.logaddexp``: it never
        overflows. With ``out``: computed there, one step at a time (the compiled step's buffer)."""
        t = np.negative(a, out=out)
        t = np.logaddexp(0.0, t, out=out)
        t = np.negative(t, out=out)
        return np.exp(t, out=out)

    @staticmethod
    def relu(a: Array) -> Array:
        return np.maximum(a, 0.0)

    @staticmethod
    def sum(a: Array, axis: tuple[int, ...], keepdims: bool) -> Array:
        return a.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def mean(a: Array, axis: tuple[int, ...], keepdims: bool) -> Array:
        return a.mean(axis=axis, keepdims=keepdims)

    @staticmethod
    def matmul(a: Array, b: Array) -> Array:
        if a.ndim <= 2 and b.ndim <= 2:  # the same product; np.dot is 10x faster for X (n, 1) @ w (1,)
            return np.dot(a, b)
        return a @ b

    # --- derivatives: local slopes, and the gradient pieces with fast paths ------------------

    @staticmethod
    def product(g: Any, factor: Array, like: Array) -> Array:
        """``g * factor`` summed back to ``like``'s shape (one dot product for a scalar ``like``)."""
        return unbroadcast_product(g, factor, like.shape)

    @staticmethod
    def scale(g: Array, c: float, a: Array) -> Any:
        """``g * (c * a)``; for ``g`` one number spread over an array, the pair (``c g``, ``a``)."""
        u = uniform_value(g)
        if u is not None:  # left for later ops to sum before they multiply
            return Scaled(a, c * u)
        return g * (c * a)

    @staticmethod
    def zeros_like(g: Array) -> Array:
        return np.zeros_like(g)

    @staticmethod
    def step(a: Array) -> Array:
        """1 where ``a > 0``, else 0 (the slope of relu)."""
        return a > 0

    @staticmethod
    def greater(a: Array, b: Array) -> Array:
        return a > b

    @staticmethod
    def equal(a: Array, b: Array) -> Array:
        return a == b

    @staticmethod
    def div0(c: float, y: Array) -> Array:
        """``c / y``, infinite where ``y`` is 0 (the slope of sqrt at 0)."""
        with np.errstate(divide="ignore"):
            return c / y

    # --- shapes ------------------------------------------------------------------------------

    spread = staticmethod(spread)
    unbroadcast = staticmethod(unbroadcast)
    scatter = staticmethod(scatter)

    @staticmethod
    def reshape(a: Array, shape: tuple[int, ...]) -> Array:
        return a.reshape(shape)

    @staticmethod
    def transpose(a: Array, axes: tuple[int, ...]) -> Array:
        return a.transpose(axes)

    @staticmethod
    def index(a: Array, index: Any) -> Array:
        return a[index]

    @staticmethod
    def as_row(a: Array) -> Array:
        """A 1-D array as a ``(1, n)`` row (anything else as it is)."""
        return a[None, :] if a.ndim == 1 else a

    @staticmethod
    def as_column(a: Array) -> Array:
        """A 1-D array as an ``(n, 1)`` column (anything else as it is)."""
        return a[:, None] if a.ndim == 1 else a

    @staticmethod
    def swap_last(a: Array) -> Array:
        """The transpose of each matrix in a batch (the last two axes swapped)."""
        return np.swapaxes(a, -1, -2)

    @staticmethod
    def count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
        return math.prod(shape[i] for i in axes)


ARRAYS = Arrays()
