"""``Value``: a scalar that remembers how it was made, and backpropagates through it.

Every operation does two things, and stores both in the new node:

* the **forward** computation: the number it produces, ``out``;
* the **local derivatives** ``d(out)/d(input)`` for each input, evaluated at these inputs.

Backpropagation (see :mod:`tinygrad_lr.graph`) then applies the chain rule at every node, from
the loss back to the leaves (:meth:`Value._backward`)::

    dL/d(input) += dL/d(out) * d(out)/d(input)

For example ``f = w*x`` stores ``out = w*x`` and the local derivatives ``(x, w)``: ``df/dw = x``
and ``df/dx = w``. Gradients are *added* (``+=``), never assigned, so a value used twice
(``a*a``, or ``w`` shared by every sample of a data set) collects the gradient of every use.

The operations themselves are defined in :mod:`tinygrad_lr.ops`, one class each, with the
forward and the derivative side by side (``Mul``: ``a * b``, ``d(a*b)/da = b``, ``d(a*b)/db = a``).
``Value`` takes its methods from those definitions: ``Value.__mul__`` runs ``Mul``'s float
fast path and stores what it returns (:func:`_binary` below). A new op registered with
:func:`tinygrad_lr.ops.register` becomes a method here too.

Storing the local derivatives as numbers, instead of a closure per node, keeps each node small
and free of reference cycles, and lets the renderer print the chain rule with real numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from . import grad_mode, graph, ops
from .ops import FLOATS, ONE
from .ops.graphs import GRAPHS

__all__ = ["Value"]

Number: TypeAlias = "int | float"
Operand: TypeAlias = "Value | int | float"


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
    _op: ops.Op | None  # the op that made this node (its definition); None for a leaf
    _local: tuple[float, ...]

    def __init__(self, data: float, label: str | None = None) -> None:
        """A leaf: a parameter, a data point or a constant (results of operations come from
        the ops' methods)."""
        self.data = data if type(data) is float else _to_float(data)
        self.grad = 0.0
        self.label = label
        self._prev = ()
        self._op = None
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
        # the same chain rule with graph nodes instead of numbers (backward(create_graph=True)):
        # the op's derivative with dL/d(out) = 1 is d(out)/d(parent), built from Value operations
        op, parents = self._op, self._prev
        assert op is not None  # an inner node always has its op
        return tuple([_times(g, op.vjp(GRAPHS, i, ONE, parents, self)) for i in range(len(parents))])

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

    @staticmethod
    def _apply(op: ops.Op, *parents: Value) -> Value:
        """The node of ``op`` on ``parents`` (what every op's method does, for any op instance)."""
        data, local = _scalar_of(op)(*[p.data for p in parents])
        return _node(data, parents, op, local)

    # --- powers: a number exponent and a Value exponent are two different ops ----------------

    def __pow__(self, exponent: Operand) -> Value:
        """``a ** n`` for a number ``n`` (op ``**2`` etc.: :class:`~tinygrad_lr.ops.Pow`), or
        ``a ** b`` for a Value ``b`` (op ``**``: :class:`~tinygrad_lr.ops.Power`)."""
        kind = type(exponent)
        if kind is float or kind is int:
            op = _POW_OPS.get(exponent)  # one op per exponent, shared by its nodes
            if op is None:
                op = _POW_OPS[exponent] = ops.Pow(float(exponent))
        elif isinstance(exponent, Value):
            return _POWER_METHOD(self, exponent)
        else:  # a numpy number, a bool: the same op as the float
            n = _to_float(exponent)
            op = _POW_OPS.get(n) or _POW_OPS.setdefault(n, ops.Pow(n))
        data, local = op.scalar(self.data)  # type: ignore[misc]
        return _node(data, (self,), op, local)

    def __rpow__(self, base: Number) -> Value:
        """``c ** a`` for a number ``c > 0`` (op ``c**``: :class:`~tinygrad_lr.ops.RPow`)."""
        c = _to_float(base)
        if c <= 0.0:
            raise ValueError(f"pow: {c!r} ** x needs a positive base (d(c**x)/dx = c**x * log(c))")
        op = _RPOW_OPS.get(c)
        if op is None:
            op = _RPOW_OPS[c] = ops.RPow(c)
        data, local = op.scalar(self.data)  # type: ignore[misc]
        return _node(data, (self,), op, local)

    def __pos__(self) -> Value:
        return self

    # --- conveniences ------------------------------------------------------------------------

    @property
    def op(self) -> str:
        """The symbol of the operation that produced this value (``""`` for a leaf)."""
        op = self._op
        return "" if op is None else op.symbol

    @property
    def grad_fn(self) -> ops.Op | None:
        """The op that produced this value, its definition (``None`` for a leaf), as PyTorch's."""
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

        The engine does not import the drawing code: the drawing package registers itself
        with :func:`tinygrad_lr.graph.register_display` when it is imported.
        """
        return graph.display(self, **options)

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{name})"

    if TYPE_CHECKING:  # the methods the ops install (below); spelled out for the type checker

        def __add__(self, other: Operand) -> Value: ...
        def __radd__(self, other: Operand) -> Value: ...
        def __sub__(self, other: Operand) -> Value: ...
        def __rsub__(self, other: Operand) -> Value: ...
        def __mul__(self, other: Operand) -> Value: ...
        def __rmul__(self, other: Operand) -> Value: ...
        def __truediv__(self, other: Operand) -> Value: ...
        def __rtruediv__(self, other: Operand) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...
        def __getattr__(self, name: str) -> Callable[..., Value]: ...  # exp, log, tanh, ...


def _seed_one(root: Value) -> None:
    root.grad += 1.0  # dL/dL = 1


_new_value = object.__new__


def _node(data: float, parents: tuple[Value, ...], op: ops.Op, local: tuple[float, ...]) -> Value:
    """The result of an operation: a new node remembering its parents, its op and ``local``,
    ``d(result)/d(parent)`` for each parent (under ``no_grad()``: a plain leaf).

    ``data`` is already a float, so this skips ``Value.__init__`` and its checks.
    """
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = None
    if grad_mode.grad_enabled or grad_mode.is_grad_enabled():
        out._prev = parents  # the inputs, in argument order
        out._op = op  # the operation, for printouts, pictures and the compiler
        out._local = local  # d(out)/d(input) for each input, same order
    else:
        out._prev, out._op, out._local = (), None, ()
    return out


# --- the methods, made from the op definitions --------------------------------------------------------
#
# Each method runs the op's float fast path, `scalar(a[, b]) -> (out, local derivatives)`, and
# builds the node right here rather than through _node: this is the hottest code of the forward
# pass, run once for every node of every graph.

Scalar = Callable[..., tuple[float, tuple[float, ...]]]


def _unary(op: ops.Op) -> Callable[[Value], Value]:
    """``Value``'s method for a one-input op."""
    scalar = _scalar_of(op)

    def method(self: Value) -> Value:
        data, local = scalar(self.data)
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.label = None
        if grad_mode.grad_enabled or grad_mode.is_grad_enabled():
            out._prev, out._op, out._local = (self,), op, local
        else:
            out._prev, out._op, out._local = (), None, ()
        return out

    return method


def _binary(op: ops.Op, reflected: bool = False) -> Callable[[Value, Any], Value]:
    """``Value``'s method for a two-input op (``reflected``: ``3 + a``, the number on the left)."""
    scalar = _scalar_of(op)

    def method(self: Value, other: Operand) -> Value:
        if not isinstance(other, Value):
            other = Value(other)  # a plain number: a constant leaf
        data, local = scalar(self.data, other.data)
        out = _new_value(Value)
        out.data = data
        out.grad = 0.0
        out.label = None
        if grad_mode.grad_enabled or grad_mode.is_grad_enabled():
            out._prev, out._op, out._local = (self, other), op, local
        else:
            out._prev, out._op, out._local = (), None, ()
        return out

    def reflected_method(self: Value, other: Number) -> Value:
        return method(Value(other), self)

    return reflected_method if reflected else method


def _scalar_of(op: ops.Op) -> Scalar:
    """The op's float fast path, or its definition run on floats (an op without one)."""
    fast = op.fast_path()
    if fast is not None:
        return fast

    def scalar(*inputs: float) -> tuple[float, tuple[float, ...]]:
        out = float(op.forward(FLOATS, *inputs))
        return out, tuple([float(op.vjp(FLOATS, i, 1.0, inputs, out)) for i in range(len(inputs))])

    return scalar


_OP_METHODS: set[str] = set()  # the methods ops gave Value (an op may replace those, nothing else)


def _install(added: type[ops.Op] | None, removed: type[ops.Op] | None) -> None:
    """Give ``Value`` the methods of a registered op (and take a removed op's away)."""
    ops.check_method_names(Value, added, removed, _OP_METHODS, "value")
    for cls in (removed, added):
        if cls is None or "value" not in cls.engines:
            continue
        for name in ops.method_names(cls):
            if cls is removed:
                if name in Value.__dict__:
                    delattr(Value, name)
                _OP_METHODS.discard(name)
                continue
            _OP_METHODS.add(name)
            op = cls()
            method = _unary(op) if cls.arity == 1 else _binary(op, reflected=name in cls.reflected)
            method.__name__ = method.__qualname__ = name
            method.__doc__ = cls.__doc__
            setattr(Value, name, method)


ops.on_register(_install)
_POW_OPS: dict[Any, ops.Op] = {}
_RPOW_OPS: dict[float, ops.Op] = {}
_POWER_METHOD = _binary(ops.Power())


def _times(g: Value, d: Any) -> Value:
    """``g * d``, without a node for the factors 1 and -1 of ``+`` and ``-``."""
    if d is ONE:
        return g
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
