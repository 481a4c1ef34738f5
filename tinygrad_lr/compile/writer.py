"""Writing the code of a ``Tensor`` step: lines, fresh names, and gradients in the engine's forms.

:class:`Writer` collects the lines and hands out names; :class:`Grad` is a gradient in the
generated code, in the form the engine would give it at run time (a plain array, a number
spread over an array, a number times an array). The form depends only on the graph and the
shapes, so it is decided here, once, exactly as the engine decides it at every step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .code import ATOM, MUL, text_of
from .names import Namer

__all__ = ["Writer", "Grad"]


class Writer:
    """The lines of one generated function, the names in it and the namespace it runs in."""

    def __init__(self, reserved: list[str], namespace: dict[str, Any]) -> None:
        self.namer = Namer(reserved)
        self.ns: dict[str, Any] = dict(namespace)
        self.lines: list[str] = []
        self.indent = ""
        self.k = 0

    def emit(self, line: str) -> None:
        self.lines.append(self.indent + line)

    def temp(self, prefix: str) -> str:
        """A fresh name: ``t4``, ``g5`` (one counter, so the names read in the order they appear)."""
        self.k += 1
        return self.namer.take(None, f"{prefix}{self.k}")

    def new(self, expr: str, shape: tuple[int, ...], dtype: Any, prefix: str = "g") -> Grad:
        """A new array, ``expr``, assigned to a fresh name."""
        name = self.temp(prefix)
        self.emit(f"{name} = {expr}")
        return Grad(self, shape, dtype, name=name, fresh=True)

    def const(self, value: Any, wanted: str | None, fallback: str) -> str:
        """A name in the namespace for ``value`` (a constant array, an index, a parameter)."""
        name = self.namer.take(wanted, fallback)
        self.ns[name] = value
        return name


class Grad:
    """A gradient in the generated code, in the form the engine would give it.

    ``name``: the variable holding the array (made on first use from ``make``); ``factor``:
    a variable holding a number the array is still to be multiplied by (a ``Scaled``);
    ``num``: for an array that is one number seen through strides of 0, the expression of that
    number's 0-d array; ``fresh``: a new array no other gradient shares (the engine may add into
    it in place).
    """

    def __init__(
        self,
        w: Writer,
        shape: tuple[int, ...],
        dtype: Any,
        name: str | None = None,
        make: str | None = None,
        factor: str | None = None,
        num: str | None = None,
        fresh: bool = False,
    ) -> None:
        self.w, self.shape, self.dtype = w, tuple(shape), np.dtype(dtype)
        self.name, self.make, self.factor, self.num_src, self.fresh = name, make, factor, num, fresh
        self._num: str | None = None
        self._dense: Grad | None = None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def arr(self) -> str:
        """The name of the array (without the factor), writing the line that makes it if needed."""
        if self.name is None:
            self.name = self.w.temp("g")
            self.w.emit(f"{self.name} = {self.make}")
        return self.name

    def describe(self) -> str:
        """What the gradient is, for a comment (without making the array)."""
        if self.name == "_one":
            return "1"
        if self.name is None and self.num_src is not None:
            text = f"{self.num_src} at every entry"
        else:
            text = self.name if self.name is not None else str(self.make)
        return f"{text} * {self.factor}" if self.factor is not None else text

    def uniform(self) -> str | None:
        """``ops.uniform_value`` of the array: the name of that number, or None."""
        if self.num_src is None or not self.shape or self.size <= 1:
            return None
        if self.num_src == "_one":
            return "1.0"  # the seed dL/dL = 1, spread by a sum
        if self._num is None:
            self._num = self.w.temp("c")
            self.w.emit(f"{self._num} = float({self.num_src})")
        return self._num

    def dense(self) -> Grad:
        """``ops.dense``: a Scaled multiplied out (once, as ``Scaled.value`` caches it)."""
        if self.factor is None:
            return self
        if self._dense is None:
            self._dense = self.w.new(f"{self.arr()} * {self.factor}", self.shape, self.dtype)
        return self._dense

    def unscaled(self) -> Grad:
        """The array without its factor (``Scaled.array``), as a gradient of its own."""
        return Grad(self.w, self.shape, self.dtype, name=self.name, make=self.make, num=self.num_src)

    def view(self, make: str, shape: tuple[int, ...], uniform: bool = True) -> Grad:
        """A view of this gradient's array (``reshape``, an index): the same form, not fresh."""
        num = self.num_src if uniform else None
        return Grad(self.w, shape, self.dtype, make=make, factor=self.factor, num=num)

    # --- arithmetic, as an op's derivative writes it (g * x, -g, g / n, g @ x) ------------------

    def __neg__(self) -> Grad:
        if self.factor is not None:  # -(c g) = (-c) g: the pair stays a pair
            f = self.w.temp("f")
            self.w.emit(f"{f} = -{self.factor}")
            return Grad(
                self.w, self.shape, self.dtype, name=self.name, make=self.make, factor=f, num=self.num_src
            )
        return self.w.new(f"-{self.arr()}", self.shape, self.dtype)

    def _binary(self, symbol: str, other: Any, reflected: bool) -> Grad:
        d = self.dense()
        mine = d.arr()
        theirs = _operand(other, MUL + 1 if not reflected or symbol == "/" else MUL)
        text = f"{theirs} {symbol} {mine}" if reflected else f"{mine} {symbol} {theirs}"
        shape = tuple(np.broadcast_shapes(d.shape, tuple(getattr(other, "shape", ()))))
        if getattr(other, "ignore_divide", False):  # an infinite slope (sqrt at 0) stays inf, silently
            name = self.w.temp("g")
            self.w.emit("with np.errstate(divide='ignore'):")
            self.w.emit(f"    {name} = {text}")
            return Grad(self.w, shape, d.dtype, name=name, fresh=True)
        return self.w.new(text, shape, d.dtype)

    def __mul__(self, other: Any) -> Grad:
        return self._binary("*", other, reflected=False)

    def __rmul__(self, other: Any) -> Grad:
        return self._binary("*", other, reflected=True)

    def __truediv__(self, other: Any) -> Grad:
        return self._binary("/", other, reflected=False)

    def __matmul__(self, other: Any) -> Grad:  # (c g) @ B = c (g @ B): the factor stays outside
        return self._product(f"{self.arr()} @ {text_of(other)}", self.shape, other.shape)

    def __rmatmul__(self, other: Any) -> Grad:
        return self._product(f"{text_of(other)} @ {self.arr()}", other.shape, self.shape)

    def _product(self, text: str, a: tuple[int, ...], b: tuple[int, ...]) -> Grad:
        shape = tuple(np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))) + (a[-2], b[-1])
        out = self.w.new(text, shape, self.dtype)
        out.factor = self.factor
        return out

    def __repr__(self) -> str:
        return f"Grad({self.describe()})"


def _operand(x: Any, tighter: int) -> str:
    text = text_of(x)
    prec = getattr(x, "prec", ATOM)
    return f"({text})" if prec < tighter else text
