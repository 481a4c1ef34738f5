"""The elementwise ops: arithmetic, powers and the functions of one number, on both engines.

Each class is one op: how it prints, its forward, and ``dL/d(input) = dL/d(out) * d(out)/d(input)``
written once for every engine (see :mod:`tinygrad_lr.ops.base`). ``scalar`` is the ``Value``
engine's fast path: forward and local derivatives on floats in one go, the same numbers as the
definition (``tests/test_ops.py`` checks it to the bit).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .base import INFIX, NEGATION, POWER, PREFIX, PRODUCT, SUM, Binary, Unary, register
from .floats import FLOATS, sigmoid

__all__ = [
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Neg",
    "Exp",
    "Log",
    "Sqrt",
    "Tanh",
    "Sigmoid",
    "LogSigmoid",
    "Relu",
    "Abs",
    "Maximum",
]

_ONE_ONE = (1.0, 1.0)  # d(a+b)/da, d(a+b)/db: one tuple shared by every addition node
_ONE_MINUS_ONE = (1.0, -1.0)  # d(a-b)/da, d(a-b)/db


# --- arithmetic -------------------------------------------------------------------------------------


@register
class Add(Binary):
    """``a + b``. ``d(a+b)/da = 1``, ``d(a+b)/db = 1``: the gradient passes through unchanged."""

    name, symbol = "add", "+"
    form, precedence, operands = INFIX, SUM, (SUM, SUM)
    methods, reflected = ("__add__",), ("__radd__",)
    rules = ("d(a+b)/da = d(a+b)/db = 1", "d(a+b)/da = d(a+b)/db = 1")
    takes_scaled = broadcasts = True
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a + b

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g

    @staticmethod
    def scalar(a: float, b: float) -> tuple[float, tuple[float, ...]]:
        return a + b, _ONE_ONE


@register
class Sub(Binary):
    """``a - b``. ``d(a-b)/da = 1``, ``d(a-b)/db = -1``."""

    name, symbol = "sub", "-"
    form, precedence, operands = INFIX, SUM, (SUM, SUM + 1)
    methods, reflected = ("__sub__",), ("__rsub__",)
    rules = ("d(a-b)/da = 1", "d(a-b)/db = -1")
    takes_scaled = broadcasts = True
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a - b

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return -g

    @staticmethod
    def scalar(a: float, b: float) -> tuple[float, tuple[float, ...]]:
        return a - b, _ONE_MINUS_ONE


@register
class Mul(Binary):
    """``a * b``. ``d(a*b)/da = b``, ``d(a*b)/db = a``.

    ``xp.product(g, b, a)`` is ``g * b`` summed back to ``a``'s shape: for a ``Tensor`` ``w``
    broadcast over the data ``x`` (``w * x``), one dot product instead of an array of products.
    """

    name, symbol = "mul", "*"
    form, precedence, operands, tight = INFIX, PRODUCT, (PRODUCT, PRODUCT), True
    methods, reflected = ("__mul__",), ("__rmul__",)
    rules = ("d(a*b)/da = b", "d(a*b)/db = a")
    takes_scaled = broadcasts = True
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return a * b

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return xp.product(g, b, a)  # dL/da = dL/dout * b

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return xp.product(g, a, b)  # dL/db = dL/dout * a

    @staticmethod
    def scalar(a: float, b: float) -> tuple[float, tuple[float, ...]]:
        return a * b, (b, a)


@register
class Div(Binary):
    """``a / b``. ``d(a/b)/da = 1/b``, ``d(a/b)/db = -a/b**2``. Refuses ``b = 0``."""

    name, symbol = "div", "/"
    form, precedence, operands, tight = INFIX, PRODUCT, (PRODUCT, PRODUCT + 1), True
    methods, reflected = ("__truediv__",), ("__rtruediv__",)
    rules = ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2")
    domain = ((-2.0, 2.0), (0.5, 2.0))
    broadcasts = True
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return xp.divide(a, b)

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return xp.product(g, 1.0 / b, a)  # dL/da = dL/dout * (1/b)

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        # b is constant along the axes it was broadcast over, so -a/b**2 factors out of that sum
        return -xp.product(g, a, b) / (b * b)

    @staticmethod
    def scalar(a: float, b: float) -> tuple[float, tuple[float, ...]]:
        if b == 0.0:
            raise ZeroDivisionError(f"division: cannot divide {a!r} by zero")
        return a / b, (1.0 / b, -a / (b * b))

    def local_text(self, i: int, args: Any, num: Callable[[float], str]) -> str | None:
        return f"1/{args[1]}" if i == 0 else None


@register
class Neg(Unary):
    """``-a``. ``d(-a)/da = -1``."""

    name, symbol = "neg", "neg"
    form, precedence, operands = PREFIX, NEGATION, (POWER,)
    methods = ("__neg__",)
    rules = ("d(-a)/da = -1",)
    __slots__ = ()

    @property
    def label(self) -> str:
        return "-"

    def forward(self, xp: Any, a: Any) -> Any:
        return -a

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return -g

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        return -a, (-1.0,)


# --- functions of one number -------------------------------------------------------------------------


@register
class Exp(Unary):
    """``exp(a)``. ``d(exp a)/da = exp a``: the output is its own derivative."""

    name = "exp"
    rules = ("d(exp a)/da = exp a",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.exp(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * out

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        try:
            out = math.exp(a)
        except OverflowError:
            raise OverflowError(f"exp: exp({a!r}) is too large for a float") from None
        return out, (out,)


@register
class Log(Unary):
    """``log(a)``, the natural logarithm. ``d(log a)/da = 1/a``. Refuses ``a <= 0``."""

    name = "log"
    rules = ("d(log a)/da = 1/a",)
    domain = ((0.2, 3.0),)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.log(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g / a

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        if not a > 0.0:
            raise ValueError(f"log: the logarithm of {a!r} is undefined (it needs a positive number)")
        return math.log(a), (1.0 / a,)

    def local_text(self, i: int, args: Any, num: Callable[[float], str]) -> str | None:
        return f"1/{args[0]}"


@register
class Sqrt(Unary):
    """``sqrt(a)``. ``d(sqrt a)/da = 1 / (2 sqrt a)``, infinite at 0. Refuses ``a < 0``."""

    name = "sqrt"
    rules = ("d(sqrt a)/da = 1/(2 sqrt a)",)
    domain = ((0.2, 3.0),)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.sqrt(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * xp.div0(0.5, out)  # infinite at 0: detect_anomaly() points at it

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        if a < 0.0:
            raise ValueError(f"sqrt: the square root of {a!r} is not a real number")
        out = math.sqrt(a)
        return out, (0.5 / out if out > 0.0 else math.inf,)


@register
class Tanh(Unary):
    """``tanh(a)``. ``d(tanh a)/da = 1 - tanh(a)**2``."""

    name = "tanh"
    rules = ("d(tanh a)/da = 1 - tanh(a)**2",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.tanh(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * (1.0 - out * out)  # dL/da = dL/d(out) * (1 - tanh(a)^2), with out = tanh(a)

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:  # Value's fast path: out, d(out)/da
        t = math.tanh(a)
        return t, (1.0 - t * t,)


@register
class Sigmoid(Unary):
    """``sigmoid(a) = 1 / (1 + exp(-a))``. ``d(sigmoid a)/da = sigmoid(a) * (1 - sigmoid(a))``.

    Computed without overflow for any ``a`` (``xp.sigmoid``: two branches on floats,
    ``exp(-logaddexp(0, -a))`` on arrays).
    """

    name = "sigmoid"
    rules = ("d(sigmoid a)/da = s (1 - s)",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.sigmoid(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * (out * (1.0 - out))

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        s = sigmoid(a)
        return s, (s * (1.0 - s),)


@register
class LogSigmoid(Unary):
    """``logsigmoid(a) = log(sigmoid(a)) = -log(1 + exp(-a))``. ``d(logsigmoid a)/da = sigmoid(-a)``.

    ``log(sigmoid(a))`` as two ops fails at the ends: ``sigmoid(-800)`` is 0 in float64 and
    ``log(0)`` is undefined. Written as ``-logaddexp(0, -a)`` it is finite for every finite ``a``
    (about ``a`` for a very negative ``a``, about ``-exp(-a)`` for a large one), and so is its
    slope ``sigmoid(-a) = 1 - sigmoid(a)``. Binary cross-entropy is built from it:
    ``log p = logsigmoid(z)`` and ``log(1 - p) = logsigmoid(-z)`` for ``p = sigmoid(z)``.
    """

    name = "logsigmoid"
    rules = ("d(logsigmoid a)/da = sigmoid(-a) = 1 - sigmoid(a)",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return -xp.logaddexp(0.0, -a)  # -log(e^0 + e^-a), without overflow for any a

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * xp.sigmoid(-a)  # dL/da = dL/d(out) * sigmoid(-a)

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        return -FLOATS.logaddexp(0.0, -a), (sigmoid(-a),)


@register
class Relu(Unary):
    """``relu(a) = max(a, 0)``. ``d(relu a)/da = 1`` where ``a > 0``, else 0.

    The slope is piecewise constant: in a gradient graph it is a number, whose own slope is 0.
    """

    name = "relu"
    rules = ("d(relu a)/da = 1 if a > 0 else 0",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.relu(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * xp.step(a)

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        return (a if a > 0.0 else 0.0), (1.0 if a > 0.0 else 0.0,)

    @staticmethod
    def smooth_at(*inputs: Any) -> bool:
        return abs(inputs[0]) > 1e-3


@register
class Abs(Unary):
    """``|a|``. ``d|a|/da = sign(a)`` (0 at a = 0, the subgradient PyTorch uses too)."""

    name = "abs"
    methods = ("abs", "__abs__")
    rules = ("d|a|/da = sign(a)",)
    __slots__ = ()

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.abs(a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * xp.sign(a)

    @staticmethod
    def scalar(a: float) -> tuple[float, tuple[float, ...]]:
        return abs(a), (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0,)

    @staticmethod
    def smooth_at(*inputs: Any) -> bool:
        return abs(inputs[0]) > 1e-3


@register
class Maximum(Binary):
    """``maximum(a, b)``, entry by entry.

    ``d/da = 1`` where ``a > b`` and 0 where ``a < b``; at a tie the gradient is split, 1/2 each
    (as PyTorch does), so the two gradients always add up to the incoming one.
    """

    name, symbol = "maximum", "max"
    rules = (
        "d max(a,b)/da = 1 if a > b, 1/2 at a tie, else 0",
        "d max(a,b)/db = 1 if b > a, 1/2 at a tie, else 0",
    )
    broadcasts = True
    __slots__ = ()

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        return xp.maximum(a, b)

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g * (xp.greater(a, b) + 0.5 * xp.equal(a, b))

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g * (xp.greater(b, a) + 0.5 * xp.equal(a, b))

    @staticmethod
    def smooth_at(*inputs: Any) -> bool:
        return abs(inputs[0] - inputs[1]) > 1e-3
