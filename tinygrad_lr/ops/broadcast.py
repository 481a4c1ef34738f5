"""Gradients on numpy arrays: broadcasting undone in one place, and gradients kept as ``number * array``.

**Broadcasting** is undone in exactly one place, :func:`unbroadcast`. ``a + b`` with ``a`` of
shape ``(3, 1)`` and ``b`` of shape ``(1, 4)`` gives a ``(3, 4)`` output: each ``a[i, 0]`` was
used 4 times, so its gradient is the sum of the 4 gradients it received. An op's derivative may
return a gradient in the *output's* shape; :class:`~tinygrad_lr.Tensor` then calls
``unbroadcast(grad, parent.shape)`` to sum it back to the parent's shape. The gradient of a
product (``*``, ``/``) goes through :func:`unbroadcast_product` instead, which gives the same
result but, for a scalar parent, as one dot product without building the full product array.

**A gradient that is a number times an array** is passed around as a :class:`Scaled`, not
multiplied out: ``((f - y)**2).mean()`` gives ``dL/d(f - y) = (2/n) (f - y)``, and everything
behind it (``+ b``, ``w * x``) only *sums* that gradient, so the number can wait until after
the sums. Ops that can handle one say so with ``takes_scaled``; any other gets the array.

These are the ``Tensor`` engine's hand-tuned fast paths (``benchmarks/bench_tensor_step.py``
shows what they save); the compiler writes the same decisions as code
(:mod:`tinygrad_lr.compile.tensor_grads`), so a compiled step gives these numbers to the bit.
"""

from __future__ import annotations

import math
from typing import Any, Union, final, overload

import numpy as np

__all__ = [
    "Scaled",
    "Grad",
    "dense",
    "unbroadcast",
    "unbroadcast_product",
    "broadcast_axes",
    "uniform_value",
    "spread",
    "scatter",
    "DOT",
]

Array = np.ndarray


@final  # so that `type(g) is Scaled` tells the type checker that g is otherwise an array
class Scaled:
    """``factor * array``, not multiplied out (yet): a gradient that is one number times an array.

    The backward pass of ``((f - y)**2).mean()`` reaches ``r = f - y`` with ``dL/dr = (2/n) r``.
    Writing that array out costs a pass over memory as large as the data (80 MB for 10^7
    points), and the ops behind it only sum it: ``dL/db = sum_i dL/dr_i`` and
    ``dL/dw = sum_i dL/dr_i x_i``. Since ``sum_i c r_i = c sum_i r_i``, they sum ``r`` and
    multiply the one number by ``c`` afterwards. The array is multiplied out, once, only when
    something needs it (:meth:`value`: an op that is not linear in its gradient, or reading a
    tensor's ``.grad``).
    """

    __slots__ = ("array", "factor", "_value")
    __array_ufunc__ = None  # ndarray @ scaled: numpy defers to __rmatmul__ (the product stays scaled)

    def __init__(self, array: Array, factor: float) -> None:
        self.array, self.factor = array, factor
        self._value: Array | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __neg__(self) -> Scaled:
        return Scaled(self.array, -self.factor)

    def reshape(self, shape: tuple[int, ...]) -> Scaled:
        return Scaled(self.array.reshape(shape), self.factor)

    def __matmul__(self, other: Array) -> Scaled:  # (c g) @ B = c (g @ B)
        return Scaled(self.array @ other, self.factor)

    def __rmatmul__(self, other: Array) -> Scaled:
        return Scaled(other @ self.array, self.factor)

    def value(self) -> Array:
        """The array ``factor * array`` (computed on first use, then shared)."""
        if self._value is None:
            self._value = self.array * self.factor
        return self._value

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Array:
        # np.asarray(scaled) is the array multiplied out (for code that reads an op's gradients)
        return self.value() if dtype is None else self.value().astype(dtype)


Grad = Union[Array, Scaled]  # noqa: UP007 - a runtime alias: Python 3.9 has no Array | Scaled
Grads = tuple["Grad | None", ...]


def dense(grad: Grad) -> Array:
    """``grad`` as an array (a :class:`Scaled` multiplied out)."""
    return grad.value() if type(grad) is Scaled else grad


# --- the one place where broadcasting is undone ----------------------------------------------


@overload
def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array: ...
@overload
def unbroadcast(grad: Grad, shape: tuple[int, ...]) -> Grad: ...  # a Scaled of that shape stays one


def unbroadcast(grad: Grad, shape: tuple[int, ...]) -> Grad:
    """Sum ``grad`` over the axes that broadcasting added or stretched, so it has ``shape``.

    If an input ``a`` of shape ``shape`` was broadcast to the output's shape, every entry of
    ``a`` was used once per position it was copied to, so
    ``dL/da[j] = sum of dL/d(out)[i] over the positions i that a[j] was copied to``.

    Example:
        >>> unbroadcast(np.ones((3, 4)), (1, 4))
        array([[3., 3., 3., 3.]])
    """
    if grad.shape == shape:
        return grad
    if type(grad) is Scaled:  # sum(c * g) = c * sum(g)
        if not shape:
            return np.array(_total(grad.array) * grad.factor)
        out = unbroadcast(grad.array, shape)  # a new array: safe to scale in place
        out *= grad.factor
        return out
    if not shape:  # everything into one number
        return np.array(_total(grad))
    axes = broadcast_axes(grad.shape, shape)
    c = uniform_value(grad)
    if c is not None:  # a broadcast constant (the gradient of a sum or mean): no need to add it up
        count = math.prod(grad.shape[i] for i in axes)
        return np.full(shape, c * count)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def broadcast_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``grad_shape`` that broadcasting ``shape`` to it added or stretched."""
    lead = len(grad_shape) - len(shape)  # axes broadcasting added in front
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1)
    return tuple(range(lead)) + stretched


def _total(grad: Array) -> Any:
    """The sum of every entry of ``grad``, as a number (a count times the value, if uniform)."""
    c = uniform_value(grad)
    return c * grad.size if c is not None else grad.sum()


def unbroadcast_product(grad: Grad, factor: Array, shape: tuple[int, ...]) -> Array:
    """``unbroadcast(grad * factor, shape)``, without building ``grad * factor`` when it can.

    This is the gradient of a product: for ``out = a * b``, ``dL/da = unbroadcast(dL/dout * b)``.
    When ``a`` is a single number broadcast over a large ``b`` (the ``w`` of ``w * x``), that
    sum is the dot product ``grad . factor``: one pass over the data and no temporary array.
    """
    array = grad.array if type(grad) is Scaled else grad
    if math.prod(shape) == 1 and factor.shape == array.shape and array.size > 1:
        c = uniform_value(array)
        if c is not None:
            total = c * np.sum(factor)
        else:  # einsum: one pass, no temporary, no BLAS thread pool (its wake-up costs ms on a busy box)
            total = np.einsum(DOT[array.ndim], array, factor)
        if type(grad) is Scaled:  # sum(c * g * f) = c * sum(g * f)
            total = total * grad.factor
        return np.full(shape, total) if shape else np.array(total)  # np.array: 5x faster for ()
    return unbroadcast(dense(grad) * factor, shape)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
DOT = [f"{_LETTERS[:k]},{_LETTERS[:k]}->" for k in range(len(_LETTERS) + 1)]  # "ab,ab->": the 2-D dot


def uniform_value(grad: Array) -> float | None:
    """The number ``grad`` is made of, if it is one number broadcast (all strides 0), else None.

    The backward pass of ``sum`` and ``mean`` gives such arrays: a view of one number, free
    to build; ops can then scale by that number instead of reading a whole array.
    """
    if grad.ndim and grad.size > 1 and not any(grad.strides):
        return float(grad.flat[0])
    return None


def spread(grad: Array, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Array:
    """The gradient of a reduction: ``grad`` copied (as a view) along the reduced axes."""
    if grad.ndim == 0:  # a sum of everything: one number seen through strides of 0
        grad = np.asarray(grad)  # (np.broadcast_to does the same, in 3x the time)
        view = np.ndarray(shape, grad.dtype, grad, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    if not keepdims:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


def scatter(g: Array, index: Any, shape: tuple[int, ...], basic: bool) -> Array:
    """Zeros of ``shape`` with ``g`` added in at ``index`` (repeated positions add up)."""
    full = np.zeros(shape, dtype=g.dtype)
    if basic:
        full[index] += g
    else:
        np.add.at(full, index, g)
    return full
