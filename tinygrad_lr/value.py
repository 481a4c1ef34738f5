"""``Value``: a scalar that remembers how it was made, and backpropagates through it.

Every operation below does two things, written side by side:

* the **forward** computation: the number it produces, ``out``;
* the **local derivatives** ``d(out)/d(input)`` for each input, evaluated at these inputs.

It stores both in the new node. Backpropagation (see :mod:`tinygrad_lr.graph`) then applies
the chain rule at every node, from the loss back to the leaves::

    dL/d(input) += dL/d(out) * d(out)/d(input)

For example ``f = w*x`` stores ``out = w*x`` and the local derivatives ``(x, w)``: ``df/dw = x``
and ``df/dx = w``. Gradients are *added* (``+=``), never assigned, so a value used twice
(``a*a``, or ``w`` shared by every sample of a data set) collects the gradient of every use.

Storing the local derivatives as numbers, instead of a closure per node, keeps each node small
and free of reference cycles, and lets the renderer print the chain rule with real numbers.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, TypeAlias

from . import graph

__all__ = ["Value"]

Number: TypeAlias = "int | float"
Operand: TypeAlias = "Value | int | float"

_ONE_ONE = (1.0, 1.0)  # d(a+b)/da, d(a+b)/db: shared by every addition node
_ONE_MINUS_ONE = (1.0, -1.0)  # d(a-b)/da, d(a-b)/db
_POW_NAMES: dict[float, str] = {}  # "**2" etc., one string per exponent, shared by its nodes


def _pow_name(exponent: float) -> str:
    name = _POW_NAMES.get(exponent)
    if name is None:
        name = _POW_NAMES[exponent] = sys.intern(f"**{_exact(exponent)}")
    return name


def _exact(x: float) -> str:
    """``x`` short (``2``, ``0.5``) when that is exact, else in full: the second derivative
    reads the exponent back from the op's name."""
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


class Value:
    """A scalar in a computation graph.

    Attributes:
        data: the number this node holds.
        grad: ``dL/d(this node)`` after ``L.backward()``; 0 until then.
        label: an optional name shown in printouts and pictures (``"w"``, ``"b"``, ``"L"``).

    Example:
        >>> w, b = Value(1.0, label="w"), Value(0.0, label="b")
        >>> L = (w * 1 + b - 3) ** 2
        >>> L.backward()
        >>> L.data, w.grad, b.grad
        (4.0, -4.0, -4.0)
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_local")

    data: float
    grad: Any  # a float; a Value (a graph) after backward(create_graph=True)
    label: str | None
    _prev: tuple[Value, ...]
    _op: str
    _local: tuple[float, ...]

    def __init__(self, data: float, label: str | None = None) -> None:
        """A leaf: a parameter, a data point or a constant (results of operations come from
        :func:`_node`)."""
        self.data = data if type(data) is float else _to_float(data)
        self.grad = 0.0
        self.label = label
        self._prev = ()
        self._op = ""
        self._local = ()

    # --- the chain rule at this node (called by graph.run_backward) --------------------------

    def _backward(self) -> None:
        g = self.grad  # dL/d(self), complete: every node computed from self was visited first
        # dL/d(parent) += dL/d(self) * d(self)/d(parent), for each parent (every op has one or two)
        if len(self._prev) == 2:
            (a, b), (da, db) = self._prev, self._local
            a.grad += g * da
            b.grad += g * db
        else:
            (a,), (da,) = self._prev, self._local
            a.grad += g * da

    def _reset_grad(self) -> None:
        self.grad = 0.0

    def _backward_graph(self, g: Value) -> tuple[Value, ...]:
        # the same chain rule with graph nodes instead of numbers (backward(create_graph=True))
        return tuple([_times(g, d) for d in _local_graph(self)])

    def backward(self, create_graph: bool = False) -> None:
        """Compute ``d(self)/d(node)`` for every node this value depends on.

        Sets ``dL/dL = 1`` and applies the chain rule in reverse topological order. Leaf
        gradients accumulate across calls (call :meth:`zero_grad` on parameters between
        updates); intermediate nodes start every call from zero, so two calls give exactly
        twice the leaf gradients of one.

        With ``create_graph=True`` the chain rule is itself built from ``Value`` operations:
        every leaf's ``grad`` is then a ``Value``, a graph that can be drawn and differentiated
        again (intermediate nodes get the numbers, as usual). See :func:`tinygrad_lr.grad`.

        Example:
            >>> x = Value(3.0, label="x")
            >>> (x ** 3).backward(create_graph=True)
            >>> x.grad.data          # d(x^3)/dx = 3 x^2
            27.0
            >>> g = x.grad
            >>> x.zero_grad()
            >>> g.backward()
            >>> x.grad               # d(3 x^2)/dx = 6 x
            18.0
        """
        if create_graph:
            graph.backward_graph(self, Value(1.0))
        else:
            graph.run_backward(self, _seed_one)

    def _seed_node(self, seed: Any) -> Value:
        """``dL/dL`` as a node, for :func:`tinygrad_lr.grad` (1 unless given)."""
        if seed is None:
            return Value(1.0)
        return seed if isinstance(seed, Value) else Value(seed)

    def register_hook(self, hook: Callable[[Any], Any]) -> graph.RemovableHandle:
        """Call ``hook(grad)`` when this node's gradient is complete in a backward pass.

        ``grad`` is ``dL/d(this node)`` from this pass (a float; a ``Value`` under
        ``create_graph=True``). If ``hook`` returns something other than ``None``, that
        replaces the gradient: it is what flows on to the inputs (and, for a leaf, what is
        added into ``.grad``). Returns a handle whose ``remove()`` takes the hook off again.

        Example:
            >>> w = Value(2.0, label="w")
            >>> seen = []
            >>> h = w.register_hook(seen.append)
            >>> (w * 3).backward()
            >>> seen, w.grad
            ([3.0], 3.0)
            >>> h.remove()
        """
        return graph.add_hook(self, hook)

    def zero_grad(self) -> None:
        """Reset this node's gradient to 0 (for a parameter, before the next backward pass)."""
        self.grad = 0.0

    # --- arithmetic: forward value, then the local derivative of each input ------------------

    def __add__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)  # a plain number: a constant leaf
        # d(a+b)/da = 1, d(a+b)/db = 1
        return _node(self.data + other.data, (self, other), "+", _ONE_ONE)

    def __radd__(self, other: Number) -> Value:  # 3 + a, and sum([a, b, c]) which starts at 0
        return Value(other) + self

    def __sub__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)  # a plain number: a constant leaf
        # d(a-b)/da = 1, d(a-b)/db = -1
        return _node(self.data - other.data, (self, other), "-", _ONE_MINUS_ONE)

    def __rsub__(self, other: Number) -> Value:
        return Value(other) - self

    def __mul__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)  # a plain number: a constant leaf
        # d(a*b)/da = b, d(a*b)/db = a
        return _node(self.data * other.data, (self, other), "*", (other.data, self.data))

    def __rmul__(self, other: Number) -> Value:
        return Value(other) * self

    def __truediv__(self, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)  # a plain number: a constant leaf
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division: cannot divide {a!r} by zero")
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b**2
        return _node(a / b, (self, other), "/", (1.0 / b, -a / (b * b)))

    def __rtruediv__(self, other: Number) -> Value:
        return Value(other) / self

    def __neg__(self) -> Value:
        # d(-a)/da = -1
        return _node(-self.data, (self,), "neg", (-1.0,))

    def __pos__(self) -> Value:
        return self

    def __pow__(self, exponent: Operand) -> Value:
        a = self.data
        if isinstance(exponent, Value):
            # a**b with both a graph node: d/da = b * a**(b-1), d/db = a**b * log(a)
            b = exponent.data
            if a <= 0.0:
                raise ValueError(
                    f"pow: {a!r} ** {b!r} with a Value exponent needs a positive base "
                    f"(d(a**b)/db = a**b * log(a) is undefined for a <= 0)"
                )
            out = _real_pow(a, b)
            return _node(out, (self, exponent), "**", (b * _real_pow(a, b - 1.0), out * math.log(a)))
        n = exponent if type(exponent) is float else _to_float(exponent)
        out = _real_pow(a, n)
        if a == 0.0 and n < 1.0 and n != 0.0:
            raise ValueError(f"pow: the derivative of x ** {n:g} is infinite at x = 0")
        # d(a**n)/da = n * a**(n-1)
        local = 0.0 if n == 0.0 else n * _real_pow(a, n - 1.0)
        return _node(out, (self,), _pow_name(n), (local,))

    def __rpow__(self, base: Number) -> Value:
        c = _to_float(base)
        if c <= 0.0:
            raise ValueError(f"pow: {c!r} ** x needs a positive base (d(c**x)/dx = c**x * log(c))")
        out = _real_pow(c, self.data)
        # d(c**x)/dx = c**x * log(c)
        return _node(out, (self,), f"{_exact(c)}**", (out * math.log(c),))

    # --- functions ---------------------------------------------------------------------------

    def exp(self) -> Value:
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: exp({self.data!r}) is too large for a float") from None
        # d(exp a)/da = exp a
        return _node(out, (self,), "exp", (out,))

    def log(self) -> Value:
        a = self.data
        if not a > 0.0:
            raise ValueError(f"log: the logarithm of {a!r} is undefined (it needs a positive number)")
        # d(log a)/da = 1/a
        return _node(math.log(a), (self,), "log", (1.0 / a,))

    def sqrt(self) -> Value:
        a = self.data
        if a < 0.0:
            raise ValueError(f"sqrt: the square root of {a!r} is not a real number")
        out = math.sqrt(a)
        # d(sqrt a)/da = 1 / (2 sqrt a): infinite at a = 0 (detect_anomaly() points at it)
        return _node(out, (self,), "sqrt", (0.5 / out if out > 0.0 else math.inf,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d(tanh a)/da = 1 - tanh(a)**2
        return _node(t, (self,), "tanh", (1.0 - t * t,))

    def sigmoid(self) -> Value:
        a = self.data
        # 1/(1+e^-a), written so that neither branch overflows
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0.0 else math.exp(a) / (1.0 + math.exp(a))
        # d(sigmoid a)/da = sigmoid(a) * (1 - sigmoid(a))
        return _node(s, (self,), "sigmoid", (s * (1.0 - s),))

    def relu(self) -> Value:
        a = self.data
        # d(relu a)/da = 1 where a > 0, else 0
        return _node(a if a > 0.0 else 0.0, (self,), "relu", (1.0 if a > 0.0 else 0.0,))

    def abs(self) -> Value:
        a = self.data
        # d|a|/da = sign(a) (0 at a = 0, the subgradient PyTorch also uses)
        return _node(abs(a), (self,), "abs", (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,))

    __abs__ = abs

    # --- conveniences ------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The symbol of the operation that produced this value (``""`` for a leaf)."""
        return self._op

    @property
    def parents(self) -> tuple[Value, ...]:
        """The values this one was computed from, in argument order (``()`` for a leaf)."""
        return self._prev

    @property
    def local_grads(self) -> tuple[float, ...]:
        """``d(self)/d(parent)`` for each parent, as computed in the forward pass."""
        return self._local

    def is_leaf(self) -> bool:
        """True for a value that was not computed from other values."""
        return not self._prev

    def item(self) -> float:
        """The number held, as a Python float (as ``torch.Tensor.item``)."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def draw(self, **options: Any) -> Any:
        """The picture of the graph behind this node: :func:`tinygrad_lr.viz.draw_graph` (same
        options). In Jupyter, ``loss.draw()`` as a cell's last line shows it inline.

        The engine's one reference up to a lens, imported here and only when called, so the
        engine never loads the drawing code by itself (nothing lower imports anything higher).
        """
        from .viz import draw_graph

        return draw_graph(self, **options)

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"


def _seed_one(root: Value) -> None:
    root.grad += 1.0  # dL/dL = 1


_new_value = object.__new__


def _node(data: float, parents: tuple[Value, ...], op: str, local: tuple[float, ...]) -> Value:
    """The result of an operation: a new node remembering its parents, its op and ``local``,
    ``d(result)/d(parent)`` for each parent (under ``no_grad()``: a plain leaf).

    ``data`` is already a float, so this skips ``Value.__init__`` and its checks: it is called
    once for every node of every graph, and is the hottest line of the forward pass.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if graph._grad_enabled:
        out._prev = parents  # the inputs, in argument order
        out._op = op  # the operation's symbol, for printouts and pictures
        out._local = local  # d(out)/d(input) for each input, same order
    else:
        out._prev, out._op, out._local = (), "", ()
    return out


# --- the same local derivatives as graphs, for gradients of gradients ---------------------------


def _local_graph(out: Value) -> tuple[Value | float, ...]:
    """``d(out)/d(parent)`` for each parent, built from ``Value`` operations.

    These are the numbers of ``out.local_grads`` again, op by op, but as graph nodes connected
    to the parents (and to ``out`` itself where the derivative is the output, as for ``exp``),
    so that ``backward(create_graph=True)`` makes a gradient that can be differentiated again.
    Only called when asked: the first-order pass uses the stored numbers.
    """
    op, parents = out._op, out._prev
    a = parents[0]
    if op == "+":
        return (1.0, 1.0)
    if op == "-":
        return (1.0, -1.0)
    if op == "*":
        return (parents[1], a)  # d(a*b)/da = b, d(a*b)/db = a
    if op == "/":
        b = parents[1]
        return (1.0 / b, -a / (b * b))
    if op == "neg":
        return (-1.0,)
    if op == "**":  # a ** b, both nodes
        b = parents[1]
        return (b * a ** (b - 1.0), out * a.log())
    if op.startswith("**"):  # a ** n: d/da = n a**(n-1)
        n = float(op[2:])
        if n == 2.0:
            return (2.0 * a,)
        return (0.0,) if n == 0.0 else (n * a ** (n - 1.0),)
    if op.endswith("**"):  # c ** a: d/da = c**a log(c)
        return (out * math.log(float(op[:-2])),)
    if op == "exp":
        return (out,)
    if op == "log":
        return (1.0 / a,)
    if op == "sqrt":  # infinite at 0: kept as that number (its own derivative is not needed there)
        return (0.5 / out,) if out.data > 0.0 else out._local
    if op == "tanh":
        return (1.0 - out * out,)
    if op == "sigmoid":
        return (out * (1.0 - out),)
    if op in ("relu", "abs"):  # piecewise constant slopes: their own derivative is 0
        return out._local
    raise NotImplementedError(f"no second derivative for the op {op!r}")


def _times(g: Value, d: Value | float) -> Value:
    """``g * d``, without a node for the factors 1 and -1 of ``+`` and ``-``."""
    if type(d) is float:
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
    return g * d


def _to_float(x: object) -> float:
    if type(x) is int:  # the common case after float (which callers test for themselves)
        return float(x)
    if isinstance(x, Value):
        return x.data
    if isinstance(x, (str, bytes, complex)) or not hasattr(x, "__float__"):
        raise TypeError(f"Value needs a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _real_pow(a: float, n: float) -> float:
    """``a ** n`` as a real number, or a clear error where Python would give a complex or fail."""
    try:
        out = a**n
    except ZeroDivisionError:
        raise ZeroDivisionError(f"pow: 0.0 ** {n:g} divides by zero") from None
    except OverflowError:
        raise OverflowError(f"pow: {a!r} ** {n!r} is too large for a float") from None
    if type(out) is complex:
        raise ValueError(f"pow: {a!r} ** {n:g} is not a real number (negative base, fractional exponent)")
    return out

