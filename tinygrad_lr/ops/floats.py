"""The toolbox for Python floats: what ``xp`` is when the ``Value`` engine runs an op.

Every function returns a Python ``float`` (a ``Value`` holds one), and the ones that can fail
say why in the ``Value`` engine's words (``log: the logarithm of -1.0 is undefined ...``).
Functions not defined here are ``math``'s, or else numpy's, by name (``xp.sin``, ``xp.logaddexp``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["FLOATS", "Floats", "real_pow", "exact", "sigmoid"]


def real_pow(a: float, n: float) -> float:
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


def exact(x: float) -> str:
    """``x`` short (``2``, ``0.5``) when that is exact, else in full (so it can be read back)."""
    short = f"{x:g}"
    return short if float(short) == x else repr(x)


def sigmoid(a: float) -> float:
    """``1 / (1 + e^-a)``, written so that neither branch overflows."""
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0.0 else math.exp(a) / (1.0 + math.exp(a))


class Floats:
    """``xp`` for Python floats (see the module docstring)."""

    def __getattr__(self, name: str) -> Any:
        f = getattr(math, name, None)
        if f is not None:
            return f
        g = getattr(np, name)

        def as_float(*args: Any) -> float:
            with np.errstate(all="ignore"):  # a NaN goes through, as in math's functions
                return float(g(*args))

        return as_float

    # --- forward: the functions that refuse some inputs -------------------------------------

    @staticmethod
    def exp(a: float) -> float:
        try:
            return math.exp(a)
        except OverflowError:
            raise OverflowError(f"exp: exp({a!r}) is too large for a float") from None

    @staticmethod
    def log(a: float) -> float:
        if not a > 0.0:
            raise ValueError(f"log: the logarithm of {a!r} is undefined (it needs a positive number)")
        return math.log(a)

    @staticmethod
    def sqrt(a: float) -> float:
        if a < 0.0:
            raise ValueError(f"sqrt: the square root of {a!r} is not a real number")
        return math.sqrt(a)

    @staticmethod
    def divide(a: float, b: float) -> float:
        if b == 0.0:
            raise ZeroDivisionError(f"division: cannot divide {a!r} by zero")
        return a / b

    @staticmethod
    def check_power(a: float, n: float) -> float:
        """``a``, after refusing ``a ** n`` at ``a = 0`` for ``0 < n < 1`` (an infinite slope)."""
        if a == 0.0 and n < 1.0 and n != 0.0:
            raise ValueError(f"pow: the derivative of x ** {n:g} is infinite at x = 0")
        return a

    @staticmethod
    def positive_base(a: float, b: float) -> float:
        if a <= 0.0:
            raise ValueError(
                f"pow: {a!r} ** {b!r} with a Value exponent needs a positive base "
                f"(d(a**b)/db = a**b * log(a) is undefined for a <= 0)"
            )
        return a

    power = real_pow = staticmethod(real_pow)
    sigmoid = staticmethod(sigmoid)

    @staticmethod
    def square(a: float) -> float:
        return real_pow(a, 2.0)

    @staticmethod
    def tanh(a: float) -> float:
        return math.tanh(a)

    @staticmethod
    def relu(a: float) -> float:
        return a if a > 0.0 else 0.0

    @staticmethod
    def abs(a: float) -> float:
        return abs(a)

    @staticmethod
    def maximum(a: float, b: float) -> float:
        return a if a > b or a != a else b  # as numpy: a NaN on either side wins

    # --- derivatives ---------------------------------------------------------------------------

    @staticmethod
    def product(g: Any, factor: Any, like: Any) -> Any:
        return g * factor

    @staticmethod
    def scale(g: Any, c: float, a: Any) -> Any:
        return g * (c * a)

    @staticmethod
    def zeros_like(g: Any) -> float:
        return 0.0

    @staticmethod
    def step(a: float) -> float:
        return 1.0 if a > 0.0 else 0.0

    @staticmethod
    def sign(a: float) -> float:
        return 1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0

    @staticmethod
    def greater(a: float, b: float) -> float:
        return 1.0 if a > b else 0.0

    @staticmethod
    def equal(a: float, b: float) -> float:
        return 1.0 if a == b else 0.0

    @staticmethod
    def div0(c: float, y: float) -> float:
        """``c / y``, ``inf`` where ``y`` is not positive (the slope of sqrt at 0, as the engine keeps it)."""
        return c / y if y > 0.0 else math.inf


FLOATS = Floats()
