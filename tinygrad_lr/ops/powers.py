"""Powers: ``a ** n`` for a number ``n``, ``a ** b`` for a node ``b``, and ``c ** a``.

Three ops, because the derivative differs: ``n a^(n-1)`` for a fixed exponent (and the engine
refuses what is not a real number, or an infinite slope at 0 on the ``Value`` engine);
``b a^(b-1)`` and ``a^b log(a)`` when the exponent is a node too (which needs ``a > 0``); and
``c^a log(c)`` for a number ``c > 0`` raised to a node (``Value`` only: a ``Tensor`` takes ``c``
as a constant tensor and uses ``Power``). The symbols hold the numbers, exactly: ``**2``, ``2**``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .base import ATOM, INFIX, POSTFIX, POWER, Binary, Unary, register
from .floats import exact, real_pow

__all__ = ["Pow", "Power", "RPow"]


class Pow(Unary):
    """``a ** n`` for a number ``n``. ``d(a**n)/da = n * a**(n-1)`` (0 for ``n = 0``).

    Its symbol holds the exponent (``"**2"``), exactly, so the op can be read back from it.
    """

    name = "pow_n"
    form, precedence = POSTFIX, POWER
    methods = ()  # a ** n: the engines' __pow__ tells a number exponent from a node
    domain = ((0.2, 2.0),)
    __slots__ = ("n",)
    n: float

    def __init__(self, n: float) -> None:
        self.n = n

    @property
    def symbol(self) -> str:  # per exponent: "**2", exactly (the exponent can be read back from it)
        return f"**{exact(self.n)}"

    @property
    def label(self) -> str:
        return f"^{exact(self.n)}"

    def rule(self, i: int) -> str:
        n = self.n
        if n == 0.0:
            return "d(a**0)/da = 0"
        if n == 1.0:
            return "d(a**1)/da = 1"
        return f"d(a**n)/da = n * a**(n-1), n = {n:g}"

    def forward(self, xp: Any, a: Any) -> Any:
        n = self.n
        if n < 0.0 or n != int(n):  # a whole n >= 0 is a real power of any number
            a = xp.check_power(a, n)
        return xp.square(a) if n == 2.0 else xp.power(a, n)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        n = self.n
        if n == 0.0:
            return xp.zeros_like(g)
        if n == 2.0:  # d(a*a)/da = 2a; a gradient spread evenly stays the pair (2g, a)
            return xp.scale(g, 2.0, a)
        return g * (n * xp.power(a, n - 1.0))

    def scalar(self, a: float) -> tuple[float, tuple[float, ...]]:
        n = self.n
        out = real_pow(a, n)
        if a == 0.0 and n < 1.0 and n != 0.0:
            raise ValueError(f"pow: the derivative of x ** {n:g} is infinite at x = 0")
        return out, (0.0 if n == 0.0 else n * real_pow(a, n - 1.0),)

    def local_text(self, i: int, args: Any, num: Callable[[float], str]) -> str | None:
        n = self.n
        if n == 2.0:
            return f"2*{args[0]}"
        if n not in (0.0, 1.0):
            return f"{num(n)}*{args[0]}**{num(n - 1.0)}"
        return None


class Power(Binary):
    """``a ** b`` with the exponent a node too. ``d/da = b * a**(b-1)``, ``d/db = a**b * log(a)``.

    The second needs ``a > 0``: a base ``<= 0`` is refused when the exponent wants a gradient.
    """

    name, symbol = "pow", "**"
    form, precedence, operands, tight = INFIX, POWER, (ATOM, ATOM), True
    methods = ()  # a ** b: the engines' __pow__
    rules = ("d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)")
    domain = ((0.2, 2.0), (-2.0, 2.0))
    broadcasts = True
    __slots__ = ()

    @property
    def label(self) -> str:
        return "^"

    def forward(self, xp: Any, a: Any, b: Any) -> Any:
        if getattr(self, "needs", (True, True))[1]:  # d(a**b)/db = a**b log(a) needs a > 0
            a = xp.positive_base(a, b)
        return xp.power(xp.check_power(a, b), b)

    def dL_da(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g * (b * xp.power(a, b - 1.0))

    def dL_db(self, xp: Any, g: Any, a: Any, b: Any, out: Any) -> Any:
        return g * (out * xp.log(a))

    @staticmethod
    def scalar(a: float, b: float) -> tuple[float, tuple[float, ...]]:
        if a <= 0.0:
            raise ValueError(
                f"pow: {a!r} ** {b!r} with a Value exponent needs a positive base "
                f"(d(a**b)/db = a**b * log(a) is undefined for a <= 0)"
            )
        out = real_pow(a, b)
        return out, (b * real_pow(a, b - 1.0), out * math.log(a))


class RPow(Unary):
    """``c ** a`` for a number ``c > 0``. ``d(c**a)/da = c**a * log(c)``: the output times a number."""

    name = "rpow"
    engines = ("value",)
    methods = ()  # c ** a: Value.__rpow__
    __slots__ = ("c",)
    c: float

    def __init__(self, c: float) -> None:
        self.c = c

    @property
    def symbol(self) -> str:  # per base: "2**"
        return f"{exact(self.c)}**"

    def rule(self, i: int) -> str:
        return f"d(c**x)/dx = c**x * log(c), c = {self.c:g}"

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.power(self.c, a)

    def dL_da(self, xp: Any, g: Any, a: Any, out: Any) -> Any:
        return g * (out * xp.log(self.c))

    def scalar(self, a: float) -> tuple[float, tuple[float, ...]]:
        out = real_pow(self.c, a)
        return out, (out * math.log(self.c),)


register(Pow)
register(Power)
register(RPow)
