"""The tensor operations: one small class per op, forward and backward side by side.

Each op is a :class:`Function`. ``forward`` takes the parents' numpy arrays and returns the
output array, keeping what the chain rule will need; ``backward`` takes ``dL/d(out)`` (the
array ``grad``, shaped like the output) and returns ``dL/d(parent)`` for each parent::

    dL/d(parent) = dL/d(out) * d(out)/d(parent)        (elementwise, for elementwise ops)

The derivative of every op is written in its docstring, next to the line that applies it.

**Broadcasting** is undone in exactly one place, :func:`unbroadcast`. ``a + b`` with ``a`` of
shape ``(3, 1)`` and ``b`` of shape ``(1, 4)`` gives a ``(3, 4)`` output: each ``a[i, 0]`` was
used 4 times, so its gradient is the sum of the 4 gradients it received. An op's ``backward``
may return a gradient in the *output's* shape; :class:`~tinygrad_lr.Tensor` then calls
``unbroadcast(grad, parent.shape)`` to sum it back to the parent's shape. Ops whose gradient is a
product (``*``, ``/``) call :func:`unbroadcast_product` instead, which gives the same result
but, for a scalar parent, as one dot product without building the full product array.

This module is plain numpy: it knows nothing of ``Tensor`` or of the graph. Two rules keep the
gradient arrays safe to accumulate into:

* ``backward`` returns ``None`` for a parent that does not need a gradient (``needs[i]`` false),
  so no work is done for data such as ``x`` and ``y``;
* it returns new arrays, ``grad`` itself, or views of ``grad`` -- never an array it stored in
  the forward pass. The tensor side treats ``grad`` and views as shared, and copies before it
  would ever add into them in place.

**A gradient that is a number times an array** is passed around as a :class:`Scaled`, not
multiplied out: ``((f - y)**2).mean()`` gives ``dL/d(f - y) = (2/n) (f - y)``, and everything
behind it (``+ b``, ``w * x``) only *sums* that gradient, so the number can wait until after
the sums. Ops that can handle one say so with ``takes_scaled``; any other gets the array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, Union, final, overload

import numpy as np

__all__ = [
    "Function",
    "Scaled",
    "broadcast_axes",
    "dense",
    "unbroadcast",
    "unbroadcast_product",
    "uniform_value",
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

    def __init__(self, array: Array, factor: float) -> None:
        self.array, self.factor = array, factor
        self._value: Array | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    def __neg__(self) -> Scaled:
        return Scaled(self.array, -self.factor)

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
            total = np.einsum(_DOT[array.ndim], array, factor)
        if type(grad) is Scaled:  # sum(c * g * f) = c * sum(g * f)
            total = total * grad.factor
        return np.full(shape, total) if shape else np.array(total)  # np.array: 5x faster for ()
    return unbroadcast(dense(grad) * factor, shape)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DOT = [f"{_LETTERS[:k]},{_LETTERS[:k]}->" for k in range(len(_LETTERS) + 1)]  # "ab,ab->": the 2-D dot


def uniform_value(grad: Array) -> float | None:
    """The number ``grad`` is made of, if it is one number broadcast (all strides 0), else None.

    The backward pass of ``sum`` and ``mean`` gives such arrays: a view of one number, free
    to build; ops can then scale by that number instead of reading a whole array.
    """
    if grad.ndim and grad.size > 1 and not any(grad.strides):
        return float(grad.flat[0])
    return None


def _shapes(*arrays: Array) -> str:
    return " and ".join(str(a.shape) for a in arrays)


def _broadcast_error(name: str, *arrays: Array) -> ValueError:
    return ValueError(f"{name}: shapes {_shapes(*arrays)} cannot broadcast")


def _first_bad(a: Array, bad: Array) -> str:
    """``'-1.0 at index (2,)'``: the first offending entry, for error messages."""
    index = np.unravel_index(int(np.argmax(bad)), a.shape) if a.ndim else ()
    return f"{float(a[index])!r} at index {tuple(int(i) for i in index)}"


# --- the base class ---------------------------------------------------------------------------


class Function:
    """One differentiable operation.

    Attributes:
        symbol: the op's name in printouts and graph pictures (``"+"``, ``"sum"``, ``"@"``...).
        needs: for each parent, whether it requires a gradient (set before ``forward``).
    """

    symbol: ClassVar[str] = "?"
    takes_scaled: ClassVar[bool] = False  # backward accepts a Scaled grad (else it gets the array)
    __slots__ = ("needs",)
    needs: tuple[bool, ...]

    def forward(self, *inputs: Any) -> Array:  # Any: each op names its own arrays, (a) or (a, b)
        """Compute the output from the parents' arrays, keeping what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, grad: Array) -> Grads:
        """Given ``dL/d(out)``, return ``dL/d(parent)`` for each parent (``None`` if not needed)."""
        raise NotImplementedError

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        """``backward`` built from Tensor operations, for gradients of gradients.

        ``grad`` is ``dL/d(out)`` as a Tensor, ``inputs`` the parent Tensors and ``out`` this op's
        output Tensor. Returns ``dL/d(parent)`` for each parent as a Tensor (or ``None``), in
        the output's shape or the parent's (the Tensor side sums a broadcast one back). Only
        ``backward(create_graph=True)`` and ``grad()`` call it; the first-order pass never does.
        """
        raise NotImplementedError(f"{type(self).__name__} has no graph-building backward")


# --- elementwise binary ops (they broadcast) --------------------------------------------------


class Add(Function):
    """``a + b``. ``d(a+b)/da = 1``, ``d(a+b)/db = 1``: the gradient passes through unchanged."""

    symbol = "+"
    takes_scaled = True
    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        try:
            return a + b
        except ValueError:
            raise _broadcast_error("add", a, b) from None

    def backward(self, grad: Grad) -> Grads:
        return (grad if self.needs[0] else None, grad if self.needs[1] else None)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad if self.needs[0] else None, grad if self.needs[1] else None)


class Sub(Function):
    """``a - b``. ``d(a-b)/da = 1``, ``d(a-b)/db = -1``."""

    symbol = "-"
    takes_scaled = True
    __slots__ = ()

    def forward(self, a: Array, b: Array) -> Array:
        try:
            return a - b
        except ValueError:
            raise _broadcast_error("sub", a, b) from None

    def backward(self, grad: Grad) -> Grads:
        return (grad if self.needs[0] else None, -grad if self.needs[1] else None)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad if self.needs[0] else None, -grad if self.needs[1] else None)


class Mul(Function):
    """``a * b``. ``d(a*b)/da = b``, ``d(a*b)/db = a``."""

    symbol = "*"
    takes_scaled = True  # unbroadcast_product handles it
    __slots__ = ("a", "b")

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            raise _broadcast_error("mul", a, b) from None

    def backward(self, grad: Grad) -> Grads:
        a, b = self.a, self.b
        return (
            unbroadcast_product(grad, b, a.shape) if self.needs[0] else None,  # dL/da = dL/dout * b
            unbroadcast_product(grad, a, b.shape) if self.needs[1] else None,  # dL/db = dL/dout * a
        )

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        a, b = inputs
        return (grad * b if self.needs[0] else None, grad * a if self.needs[1] else None)


class Div(Function):
    """``a / b``. ``d(a/b)/da = 1/b``, ``d(a/b)/db = -a/b**2``.

    Raises ZeroDivisionError if any entry of ``b`` is 0.
    """

    symbol = "/"
    __slots__ = ("a", "b")

    def forward(self, a: Array, b: Array) -> Array:
        if np.any(b == 0):
            raise ZeroDivisionError(
                f"div: division by zero ({_first_bad(b, b == 0)} of the divisor), shapes {_shapes(a, b)}"
            )
        self.a, self.b = a, b
        try:
            return a / b
        except ValueError:
            raise _broadcast_error("div", a, b) from None

    def backward(self, grad: Array) -> Grads:
        a, b = self.a, self.b
        ga = unbroadcast_product(grad, 1.0 / b, a.shape) if self.needs[0] else None
        # b is constant along the axes it was broadcast over, so -a/b**2 factors out of that sum
        gb = -unbroadcast_product(grad, a, b.shape) / (b * b) if self.needs[1] else None
        return (ga, gb)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        a, b = inputs
        return (grad / b if self.needs[0] else None, -(grad * a) / (b * b) if self.needs[1] else None)


class Maximum(Function):
    """``maximum(a, b)``, entry by entry.

    ``d/da = 1`` where ``a > b`` and 0 where ``a < b``; at a tie the gradient is split, 1/2 each
    (as PyTorch does), so the two gradients always add up to the incoming one.
    """

    symbol = "max"
    __slots__ = ("a", "b")

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        try:
            return np.maximum(a, b)
        except ValueError:
            raise _broadcast_error("maximum", a, b) from None

    def backward(self, grad: Array) -> Grads:
        a, b = self.a, self.b
        tie = 0.5 * (a == b)
        return (
            grad * ((a > b) + tie) if self.needs[0] else None,
            grad * ((b > a) + tie) if self.needs[1] else None,
        )

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        a, b = self.a, self.b  # the slopes are 0, 1/2 or 1: constants, whose own slope is 0
        tie = 0.5 * (a == b)
        return (
            grad * ((a > b) + tie) if self.needs[0] else None,
            grad * ((b > a) + tie) if self.needs[1] else None,
        )


class PowTensor(Function):
    """``a ** b`` where the exponent is a tensor too (or ``c ** x`` for a number ``c``).

    ``d(a**b)/da = b * a**(b-1)``, ``d(a**b)/db = a**b * log(a)``; the latter needs ``a > 0``.
    """

    symbol = "**"
    __slots__ = ("a", "b", "out")

    def forward(self, a: Array, b: Array) -> Array:
        if self.needs[1] and np.any(a <= 0):
            raise ValueError(
                f"pow: a ** b with a tensor exponent needs a positive base "
                f"(d(a**b)/db = a**b * log(a)), got {_first_bad(a, a <= 0)}, "
                f"shapes {_shapes(a, b)}"
            )
        _check_real_pow(a, b)
        self.a, self.b = a, b
        try:
            self.out = np.power(a, b)
        except ValueError:
            raise _broadcast_error("pow", a, b) from None
        return self.out

    def backward(self, grad: Array) -> Grads:
        a, b, out = self.a, self.b, self.out
        return (
            grad * (b * np.power(a, b - 1.0)) if self.needs[0] else None,
            grad * (out * np.log(a)) if self.needs[1] else None,
        )

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        a, b = inputs
        return (
            grad * (b * a ** (b - 1.0)) if self.needs[0] else None,
            grad * (out * a.log()) if self.needs[1] else None,
        )


def _check_real_pow(a: Array, n: Array | float) -> None:
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
                f"got {_first_bad(a, a < 0)} in shape {a.shape}"
            )
        if negative and np.any(a == 0):
            raise ZeroDivisionError(
                f"pow: 0 to the negative power {n:g} divides by zero, "
                f"got {_first_bad(a, a == 0)} in shape {a.shape}"
            )
        return
    n = np.asarray(n)
    if np.any((a < 0) & (n != np.round(n))):
        raise ValueError(
            f"pow: a negative base to a fractional power is not a real number (shapes {_shapes(a, n)})"
        )
    if np.any((a == 0) & (n < 0)):
        raise ZeroDivisionError(f"pow: 0 to a negative power divides by zero (shapes {_shapes(a, n)})")


# --- elementwise unary ops --------------------------------------------------------------------


class Neg(Function):
    """``-a``. ``d(-a)/da = -1``."""

    symbol = "neg"
    __slots__ = ()

    def forward(self, a: Array) -> Array:
        return -a

    def backward(self, grad: Array) -> Grads:
        return (-grad,)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (-grad,)


class Pow(Function):
    """``a ** n`` for a number ``n``. ``d(a**n)/da = n * a**(n-1)``.

    ``a ** 2`` is computed as ``a * a`` (one pass, no call to ``pow``); its derivative ``2a``.
    """

    __slots__ = ("a", "n")

    def __init__(self, n: float) -> None:
        self.n = n

    @property
    def symbol(self) -> str:  # type: ignore[override]  # per op, not per class: the exponent is in it, "**2"
        return f"**{self.n:g}"

    def forward(self, a: Array) -> Array:
        n = self.n
        _check_real_pow(a, n)
        self.a = a
        return a * a if n == 2 else np.power(a, n)

    def backward(self, grad: Array) -> Grads:
        a, n = self.a, self.n
        if n == 0:
            return (np.zeros_like(grad),)
        c = uniform_value(grad)
        if n == 2:  # d(a*a)/da = 2a; a uniform grad c gives 2c * a, left for later ops to sum
            return (Scaled(a, 2.0 * c) if c is not None else grad * (2.0 * a),)
        with np.errstate(divide="ignore"):  # the slope of a**n for n < 1 is infinite at 0
            local = n * np.power(a, n - 1.0)
        return (local * c if c is not None else grad * local,)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        (a,), n = inputs, self.n
        if n == 0:
            return (grad * 0.0,)
        return (grad * (a * 2.0) if n == 2 else grad * (n * a ** (n - 1.0)),)


class Exp(Function):
    """``exp(a)``. ``d(exp a)/da = exp a``: the output is its own derivative."""

    symbol = "exp"
    __slots__ = ("out",)

    def forward(self, a: Array) -> Array:
        self.out = np.exp(a)
        return self.out

    def backward(self, grad: Array) -> Grads:
        return (grad * self.out,)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad * out,)


class Log(Function):
    """``log(a)`` (natural logarithm). ``d(log a)/da = 1/a``. Needs every entry > 0."""

    symbol = "log"
    __slots__ = ("a",)

    def forward(self, a: Array) -> Array:
        bad = a <= 0
        if np.any(bad):
            raise ValueError(f"log: needs positive entries, got {_first_bad(a, bad)} in shape {a.shape}")
        self.a = a
        return np.log(a)

    def backward(self, grad: Array) -> Grads:
        return (grad / self.a,)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad / inputs[0],)


class Sqrt(Function):
    """``sqrt(a)``. ``d(sqrt a)/da = 1 / (2 sqrt a)`` (infinite at 0). Needs every entry >= 0."""

    symbol = "sqrt"
    __slots__ = ("out",)

    def forward(self, a: Array) -> Array:
        bad = a < 0
        if np.any(bad):
            raise ValueError(f"sqrt: needs non-negative entries, got {_first_bad(a, bad)} in shape {a.shape}")
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad: Array) -> Grads:
        with np.errstate(divide="ignore"):
            return (grad * (0.5 / self.out),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        if np.any(self.out == 0):  # the slope is infinite there: kept as numbers, as in backward
            with np.errstate(divide="ignore"):
                return (grad * (0.5 / self.out),)
        return (grad * (0.5 / out),)


class Abs(Function):
    """``|a|``. ``d|a|/da = sign(a)`` (0 at a = 0, the subgradient PyTorch uses too)."""

    symbol = "abs"
    __slots__ = ("a",)

    def forward(self, a: Array) -> Array:
        self.a = a
        return np.abs(a)

    def backward(self, grad: Array) -> Grads:
        return (grad * np.sign(self.a),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad * np.sign(self.a),)  # a constant slope: its own slope is 0


class Tanh(Function):
    """``tanh(a)``. ``d(tanh a)/da = 1 - tanh(a)**2``."""

    symbol = "tanh"
    __slots__ = ("out",)

    def forward(self, a: Array) -> Array:
        self.out = np.tanh(a)
        return self.out

    def backward(self, grad: Array) -> Grads:
        t = self.out
        return (grad * (1.0 - t * t),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad * (1.0 - out * out),)


class Sigmoid(Function):
    """``sigmoid(a) = 1 / (1 + exp(-a))``. ``d(sigmoid a)/da = sigmoid(a) * (1 - sigmoid(a))``.

    Computed as ``exp(-log(1 + exp(-a)))`` with ``np.logaddexp``, which never overflows.
    """

    symbol = "sigmoid"
    __slots__ = ("out",)

    def forward(self, a: Array) -> Array:
        self.out = np.exp(-np.logaddexp(0.0, -a))
        return self.out

    def backward(self, grad: Array) -> Grads:
        s = self.out
        return (grad * (s * (1.0 - s)),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad * (out * (1.0 - out)),)


class Relu(Function):
    """``relu(a) = max(a, 0)``. ``d(relu a)/da = 1`` where ``a > 0``, else 0."""

    symbol = "relu"
    __slots__ = ("a",)

    def forward(self, a: Array) -> Array:
        self.a = a
        return np.maximum(a, 0.0)

    def backward(self, grad: Array) -> Grads:
        return (grad * (self.a > 0),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad * (self.a > 0),)  # a constant slope: its own slope is 0


# --- reductions -------------------------------------------------------------------------------


def _normalize_axes(axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
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


class Sum(Function):
    """``a.sum(axis)``. ``d(sum a)/da[i] = 1``: every summed entry gets the output's gradient.

    The backward pass returns a *broadcast view* of the incoming gradient: no array of the
    input's size is built.
    """

    symbol = "sum"
    __slots__ = ("axis", "axes", "keepdims", "shape")

    def __init__(self, axis: int | Sequence[int] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims  # axis as given; axes, the tuple it means

    def forward(self, a: Array) -> Array:
        self.shape = a.shape
        self.axes = _normalize_axes(self.axis, a.ndim)
        return a.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Array) -> Grads:
        return (_spread(grad, self.axes, self.keepdims, self.shape),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (_spread_graph(grad, self.axes, self.shape),)


class Mean(Function):
    """``a.mean(axis)``. ``d(mean a)/da[i] = 1/n``, with ``n`` the number of entries averaged.

    Like ``Sum``, the backward pass returns a broadcast view of ``grad / n``: no array of the
    input's size is built (the next op scales by that one number instead).
    """

    symbol = "mean"
    __slots__ = ("axis", "axes", "keepdims", "shape")

    def __init__(self, axis: int | Sequence[int] | None, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims  # axis as given; axes, the tuple it means

    def forward(self, a: Array) -> Array:
        self.shape = a.shape
        self.axes = _normalize_axes(self.axis, a.ndim)
        if a.size == 0:
            raise ValueError(f"mean: the mean of an empty tensor (shape {a.shape}) is undefined")
        return a.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, grad: Array) -> Grads:
        n = math.prod(self.shape[i] for i in self.axes)
        return (_spread(grad / n, self.axes, self.keepdims, self.shape),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        n = math.prod(self.shape[i] for i in self.axes)
        return (_spread_graph(grad / n, self.axes, self.shape),)


def _spread(grad: Array, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Array:
    """The gradient of a reduction: ``grad`` copied (as a view) along the reduced axes."""
    if grad.ndim == 0:  # a sum of everything: one number seen through strides of 0
        grad = np.asarray(grad)  # (np.broadcast_to does the same, in 3x the time)
        view = np.ndarray(shape, grad.dtype, grad, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    if not keepdims:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


def _spread_graph(grad: Any, axes: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """``_spread`` as Tensor ops: ``grad`` given back its reduced axes (as 1s), then broadcast."""
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    if grad.shape != kept:
        grad = grad.reshape(kept)
    return grad.broadcast_to(shape)


def _swap_last(t: Any) -> Any:
    """``t`` with its last two axes swapped (the transpose of each matrix in a batch)."""
    perm = list(range(t.ndim))
    perm[-2], perm[-1] = perm[-1], perm[-2]
    return t.transpose(tuple(perm))


# --- shape ops: they move numbers around, the gradient moves back -----------------------------


class Reshape(Function):
    """``a.reshape(shape)``: the same numbers, new shape. The gradient is reshaped back."""

    symbol = "reshape"
    __slots__ = ("shape", "in_shape")

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, a: Array) -> Array:
        self.in_shape = a.shape
        try:
            return a.reshape(self.shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape shape {a.shape} ({a.size} entries) into {self.shape}"
            ) from None

    def backward(self, grad: Array) -> Grads:
        return (grad.reshape(self.in_shape),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad.reshape(self.in_shape),)


class Transpose(Function):
    """``a.transpose(axes)``: a permutation of the axes. The gradient gets the inverse one."""

    symbol = "transpose"
    __slots__ = ("axes", "perm")

    def __init__(self, axes: tuple[int, ...] | None) -> None:
        self.axes = axes  # as given (None: reverse them); perm, the permutation it means

    def forward(self, a: Array) -> Array:
        self.perm = tuple(reversed(range(a.ndim))) if self.axes is None else self.axes
        try:
            return a.transpose(self.perm)
        except ValueError:
            msg = f"transpose: axes {self.perm} do not permute the axes of shape {a.shape}"
            raise ValueError(msg) from None

    def backward(self, grad: Array) -> Grads:
        return (grad.transpose(np.argsort(self.perm)),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad.transpose(tuple(int(i) for i in np.argsort(self.perm))),)


class BroadcastTo(Function):
    """``a`` copied (as a view) to a larger shape. The gradient is :func:`unbroadcast` back."""

    symbol = "broadcast"
    __slots__ = ("shape", "in_shape")

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, a: Array) -> Array:
        self.in_shape = a.shape
        try:
            return np.broadcast_to(a, self.shape)
        except ValueError:
            raise ValueError(f"broadcast: shape {a.shape} cannot broadcast to {self.shape}") from None

    def backward(self, grad: Array) -> Grads:
        return (unbroadcast(grad, self.in_shape),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad,)  # the Tensor side sums it back to the input's shape


class GetItem(Function):
    """``a[index]``: basic slicing and integer-array (fancy) indexing.

    ``d(a[index])/da`` is 1 at the picked positions, 0 elsewhere: the gradient is scattered
    back into zeros. With fancy indices a position can be picked twice (``a[[0, 0]]``, the same
    sample drawn twice in a mini-batch); it then gets *both* gradients, which is why the
    scatter is ``np.add.at`` (it adds repeated positions up) and not ``g[index] = grad``.
    """

    symbol = "index"
    __slots__ = ("index", "shape", "basic")

    def __init__(self, index: Any) -> None:
        self.index = index
        parts = index if isinstance(index, tuple) else (index,)
        # ints, slices, None and ... pick every position at most once
        self.basic = all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)

    def forward(self, a: Array) -> Array:
        self.shape = a.shape
        try:
            return a[self.index]
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {a.shape})") from None

    def backward(self, grad: Array) -> Grads:
        return (_scatter(grad, self.index, self.shape, self.basic),)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (type(grad)._apply(ScatterAdd(self.index, self.shape, self.basic), grad),)


def _scatter(g: Array, index: Any, shape: tuple[int, ...], basic: bool) -> Array:
    """Zeros of ``shape`` with ``g`` added in at ``index`` (repeated positions add up)."""
    full = np.zeros(shape, dtype=g.dtype)
    if basic:
        full[index] += g
    else:
        np.add.at(full, index, g)
    return full


class ScatterAdd(Function):
    """``g`` added into zeros of ``shape`` at ``index``: the backward of ``a[index]`` as an op.

    Only gradients of gradients build it (:meth:`GetItem.backward_graph`). Its own derivative
    picks the positions again: ``d/dg`` of the scatter is ``grad[index]``.
    """

    symbol = "scatter"
    __slots__ = ("index", "shape", "basic")

    def __init__(self, index: Any, shape: tuple[int, ...], basic: bool) -> None:
        self.index, self.shape, self.basic = index, shape, basic

    def forward(self, g: Array) -> Array:
        return _scatter(g, self.index, self.shape, self.basic)

    def backward(self, grad: Array) -> Grads:
        return (grad[self.index],)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        return (grad[self.index],)


class MatMul(Function):
    """``a @ b``, as numpy's ``matmul`` (1-D operands are vectors, leading axes are batches).

    For matrices, ``out = a @ b`` gives ``dL/da = dL/dout @ b.T`` and ``dL/db = a.T @ dL/dout``.
    A 1-D ``a`` is treated as a row ``(1, n)`` and a 1-D ``b`` as a column ``(n, 1)``, so the
    same two formulas cover vector . vector, matrix @ vector and vector @ matrix.
    """

    symbol = "@"
    takes_scaled = True  # (c g) @ B = c (g @ B): the product is scaled, not the incoming gradient
    __slots__ = ("a", "b")

    def forward(self, a: Array, b: Array) -> Array:
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: needs operands with at least 1 dimension, got shapes {_shapes(a, b)}")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            raise ValueError(f"matmul: shapes {_shapes(a, b)} do not align")
        self.a, self.b = a, b
        try:
            if a.ndim <= 2 and b.ndim <= 2:  # the same product; np.dot is 10x faster for X (n, 1) @ w (1,)
                return np.dot(a, b)
            return a @ b
        except ValueError:
            raise ValueError(f"matmul: shapes {_shapes(a, b)} do not align (batch axes)") from None

    def backward(self, grad: Grad) -> Grads:
        scale = None
        if type(grad) is Scaled:
            scale, grad = grad.factor, grad.array
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a  # row vector
        b2 = b[:, None] if b.ndim == 1 else b  # column vector
        g2 = grad.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if self.needs[0]:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if self.needs[1]:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        if scale is not None:
            ga = None if ga is None else ga * scale
            gb = None if gb is None else gb * scale
        return (ga, gb)

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        a, b = inputs
        a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
        b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        g2 = grad.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if self.needs[0]:  # dL/da = dL/dout @ b.T (batch axes are summed back by the Tensor side)
            ga = g2 @ _swap_last(b2)
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:]) if a.ndim == 1 else ga
        if self.needs[1]:  # dL/db = a.T @ dL/dout
            gb = _swap_last(a2) @ g2
            gb = gb.reshape(gb.shape[:-1]) if b.ndim == 1 else gb
        return (ga, gb)


# --- joining several tensors ------------------------------------------------------------------


class Concatenate(Function):
    """``concatenate(tensors, axis)``. Each input's gradient is its own slice of ``grad``."""

    symbol = "concat"
    __slots__ = ("axis", "sizes")

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: Array) -> Array:
        try:
            out = np.concatenate(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"concatenate: shapes {_shapes(*arrays)} along axis {self.axis}: {e}") from None
        self.axis = self.axis % out.ndim
        self.sizes = [a.shape[self.axis] for a in arrays]
        return out

    def backward(self, grad: Array) -> Grads:
        ends = np.cumsum(self.sizes)
        pieces = np.split(grad, ends[:-1], axis=self.axis)
        return tuple(p if need else None for p, need in zip(pieces, self.needs))

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        ends = np.cumsum(self.sizes)
        lead = (slice(None),) * self.axis
        return tuple(
            grad[lead + (slice(int(end - size), int(end)),)] if need else None
            for size, end, need in zip(self.sizes, ends, self.needs)
        )


class Stack(Function):
    """``stack(tensors, axis)``: a new axis. Input ``i``'s gradient is ``grad`` at position ``i``."""

    symbol = "stack"
    __slots__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *arrays: Array) -> Array:
        try:
            out = np.stack(arrays, axis=self.axis)
        except (ValueError, np.exceptions.AxisError) as e:
            raise ValueError(f"stack: shapes {_shapes(*arrays)} along axis {self.axis}: {e}") from None
        self.axis = self.axis % out.ndim
        return out

    def backward(self, grad: Array) -> Grads:
        moved = np.moveaxis(grad, self.axis, 0)
        return tuple(moved[i] if need else None for i, need in enumerate(self.needs))

    def backward_graph(self, grad: Any, inputs: Sequence[Any], out: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * self.axis
        return tuple(grad[lead + (i,)] if need else None for i, need in enumerate(self.needs))
