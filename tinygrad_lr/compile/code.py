"""Expressions of generated code: what the compiler's toolboxes hand an op definition.

An op's forward and derivative are written once, with operators and ``xp`` functions (see
:mod:`tinygrad_lr.ops.base`). The compiler runs them on :class:`Expr` objects: ``a * b`` then
gives the *text* ``"t1 * t2"`` instead of a number. Parentheses are written exactly where
Python needs them to compute in the same order as the engine (``a * (b * c)`` keeps its
parentheses: float multiplication is not associative), so the generated code does the
engine's floating-point operations, in the engine's order, and gets its numbers to the bit.

A plain float in an expression is a number known now: ``2.0 * 3.0`` is worked out here, by
the same float arithmetic the engine would do.
"""

from __future__ import annotations

from typing import Any

from .names import literal

__all__ = ["Expr", "COND", "CMP", "ADD", "MUL", "NEG", "POW", "ATOM", "text_of", "call"]

# Python's precedence, loosest first: x if c else y, comparisons, + -, * / @, unary -, **, atoms
COND, CMP, ADD, MUL, NEG, POW, ATOM = 0, 1, 2, 3, 4, 5, 6


def text_of(x: Any) -> str:
    """A value as code: an expression's text, a float as an exact literal."""
    if isinstance(x, Expr):
        x.used()
        return x.text
    if isinstance(x, bool):
        return repr(x)
    if isinstance(x, float):
        return literal(x)
    return repr(x)


def _prec(x: Any) -> int:
    if isinstance(x, Expr):
        return x.prec
    if isinstance(x, float) and x < 0:
        return ATOM  # literal() brackets negative numbers
    return ATOM


def _operand(x: Any, tighter: int) -> str:
    text = text_of(x)
    return f"({text})" if _prec(x) < tighter else text


def call(function: str, *args: Any) -> str:
    return f"{function}({', '.join(text_of(a) for a in args)})"


class Expr:
    """A value in the generated code: its text and how tightly that binds (``prec``).

    ``shape`` and ``dtype`` are the array's, for the ``Tensor`` compiler (``()`` for a float);
    ``watch`` is called when the text is read into other code (the compiler learns from it
    which values a derivative reads).
    """

    __slots__ = ("text", "prec", "shape", "dtype", "watch")

    def __init__(self, text: str, prec: int = ATOM, shape: tuple[int, ...] = (), dtype: Any = None) -> None:
        self.text, self.prec, self.shape, self.dtype = text, prec, tuple(shape), dtype
        self.watch: Any = None

    def used(self) -> None:
        if self.watch is not None:
            self.watch()

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def new(self, text: str, prec: int, *others: Any) -> Expr:
        """A new expression computed from this one (and ``others``): shape and dtype by broadcasting."""
        return type(self)(text, prec, self.shape, self.dtype)

    def binary(self, symbol: str, prec: int, left: Any, right: Any) -> Any:
        other = right if left is self else left
        if not isinstance(other, (Expr, int, float)):
            return NotImplemented  # a gradient (the compiler's Grad) writes its own lines
        if prec == POW:  # right-associative: (a ** b) ** c needs its brackets on the left
            text = f"{_operand(left, POW + 1)} {symbol} {_operand(right, POW)}"
        else:  # a - (b - c) and a * (b * c) keep theirs on the right
            text = f"{_operand(left, prec)} {symbol} {_operand(right, prec + 1)}"
        return self.new(text, prec, left, right)

    def __add__(self, other: Any) -> Any:
        return self.binary("+", ADD, self, other)

    def __radd__(self, other: Any) -> Expr:
        return self.binary("+", ADD, other, self)

    def __sub__(self, other: Any) -> Expr:
        return self.binary("-", ADD, self, other)

    def __rsub__(self, other: Any) -> Expr:
        return self.binary("-", ADD, other, self)

    def __mul__(self, other: Any) -> Expr:
        return self.binary("*", MUL, self, other)

    def __rmul__(self, other: Any) -> Expr:
        return self.binary("*", MUL, other, self)

    def __truediv__(self, other: Any) -> Expr:
        return self.binary("/", MUL, self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return self.binary("/", MUL, other, self)

    def __matmul__(self, other: Any) -> Expr:
        return self.binary("@", MUL, self, other)

    def __rmatmul__(self, other: Any) -> Expr:
        return self.binary("@", MUL, other, self)

    def __pow__(self, other: Any) -> Expr:
        return self.binary("**", POW, self, other)

    def __rpow__(self, other: Any) -> Expr:
        return self.binary("**", POW, other, self)

    def __neg__(self) -> Expr:
        return self.new(f"-{_operand(self, NEG)}", NEG)

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"
