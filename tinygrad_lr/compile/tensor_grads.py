"""The backward pass of a ``Tensor`` graph, written out: :mod:`tinygrad_lr.ops`'s backward methods as code.

Each function here mirrors one piece of the engine -- ``unbroadcast``, ``unbroadcast_product``,
``_spread``, each op's ``backward``, ``Tensor._accumulate`` -- but instead of computing a
gradient it *writes the line* that computes it, and returns a :class:`Grad` saying what form the
gradient has. The form (a number spread over an array, a number times an array, a plain array)
is decided by the graph and the shapes alone, so it is decided here, once, exactly as the
engine decides it at every step; the numpy calls are the engine's, in its order, so the
gradients are the engine's to the bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import ops
from ..tensor import Tensor
from .names import literal
from .trace import CannotCompile

if TYPE_CHECKING:
    from .tensor_code import _Writer

__all__ = [
    "Grad",
    "accumulate_code",
    "backward_node",
    "c_einsum",
    "einsum_dot",
    "spread0",
    "unbroadcast_code",
]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

try:  # np.einsum without its Python wrapper: the same C function (the same sums), 1 us less a call
    from numpy._core.multiarray import c_einsum as c_einsum
except ImportError:  # pragma: no cover - another numpy layout
    c_einsum = np.einsum


def einsum_dot(ndim: int) -> str:
    return f"{_LETTERS[:ndim]},{_LETTERS[:ndim]}->"


def spread0(g: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a sum of everything: one number seen through strides of 0 (as ops._spread)."""
    g = np.asarray(g)
    view = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
    view.flags.writeable = False
    return view


# what each op's backward reads from its forward pass: "a"/"b" (the parents) and "out"


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
        w: _Writer,
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

    def arr(self) -> str:
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


# --- backward: the engine's ops.py, as code -------------------------------------------------------


def unbroadcast_code(w: _Writer, g: Grad, shape: tuple[int, ...]) -> Grad:
    """``ops.unbroadcast``."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    if g.factor is not None:
        base = Grad(w, g.shape, g.dtype, name=g.name, make=g.make, num=g.num_src)
        if not shape:
            return w.new(f"np.array({total_code(w, base)} * {g.factor})", shape, g.dtype)
        out = unbroadcast_code(w, base, shape)
        w.emit(f"{out.arr()} *= {g.factor}")
        return out
    if not shape:
        return w.new(f"np.array({total_code(w, g)})", shape, g.dtype)
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    c = g.uniform()
    if c is not None:
        count = math.prod(g.shape[i] for i in axes)
        return w.new(f"np.full({shape}, {c} * {count})", shape, g.dtype)
    return w.new(f"{g.arr()}.sum(axis={axes}, keepdims=True).reshape({shape})", shape, g.dtype)


def total_code(w: _Writer, g: Grad) -> str:
    c = g.uniform()
    return f"{c} * {g.size}" if c is not None else f"{g.arr()}.sum()"


def product_code(
    w: _Writer, g: Grad, factor: str, factor_shape: tuple[int, ...], shape: tuple[int, ...]
) -> Grad:
    """``ops.unbroadcast_product(grad, factor, shape)``: a dot product where it can be one."""
    shape = tuple(shape)
    if math.prod(shape) == 1 and tuple(factor_shape) == g.shape and g.size > 1:
        base = Grad(w, g.shape, g.dtype, name=g.name, make=g.make, num=g.num_src)
        c = base.uniform()
        total = w.temp("s")
        if c is not None:
            w.emit(f"{total} = {c} * np.sum({factor})")
        else:
            w.emit(f"{total} = einsum('{einsum_dot(len(g.shape))}', {base.arr()}, {factor})  # a dot product")
        if g.factor is not None:
            w.emit(f"{total} = {total} * {g.factor}")
        return w.new(f"np.full({shape}, {total})" if shape else f"np.array({total})", shape, g.dtype)
    d = g.dense()
    prod = w.new(f"{d.arr()} * {factor}", np.broadcast_shapes(g.shape, tuple(factor_shape)), g.dtype)
    return unbroadcast_code(w, prod, shape)


def spread_code(w: _Writer, g: Grad, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Grad:
    """``ops._spread``: the gradient of a reduction, a view (nothing of the input's size is built)."""
    if not g.shape:
        return Grad(w, shape, g.dtype, make=f"spread0({g.arr()}, {tuple(shape)})", num=g.arr())
    src = g.arr() if keepdims else f"np.expand_dims({g.arr()}, {axes})"
    return Grad(w, shape, g.dtype, make=f"np.broadcast_to({src}, {tuple(shape)})", num=g.num_src)


def backward_node(w: _Writer, node: Tensor, g: Grad, vals: list[str]) -> list[Grad | None]:
    fn: Any = node._fn
    t = type(fn)
    needs = fn.needs
    prev = node._prev
    out = w.var[id(node)]
    shapes = [tuple(p.data.shape) for p in prev]
    dt = g.dtype

    def dense_new(expr: str, shape: tuple[int, ...] | None = None) -> Grad:
        return w.new(expr, shape if shape is not None else g.shape, dt)

    if t is ops.Add:
        return [g if needs[0] else None, g if needs[1] else None]
    if t is ops.Sub:
        neg = None
        if needs[1]:
            if g.factor is not None:
                f = w.temp("f")
                w.emit(f"{f} = -{g.factor}")
                neg = Grad(w, g.shape, dt, name=g.name, make=g.make, factor=f, num=g.num_src)
            else:
                neg = dense_new(f"-{g.arr()}")
        return [g if needs[0] else None, neg]
    if t is ops.Mul:
        a, b = vals
        return [
            product_code(w, g, b, shapes[1], shapes[0]) if needs[0] else None,
            product_code(w, g, a, shapes[0], shapes[1]) if needs[1] else None,
        ]
    if t is ops.Div:
        a, b = vals
        ga = gb = None
        if needs[0]:
            inv = w.temp("r")
            w.emit(f"{inv} = 1.0 / {b}")
            ga = product_code(w, g, inv, shapes[1], shapes[0])
        if needs[1]:
            p = product_code(w, g, a, shapes[0], shapes[1])
            gb = dense_new(f"-{p.arr()} / ({b} * {b})", shapes[1])
        return [ga, gb]
    if t is ops.Maximum:
        a, b = vals
        tie = w.temp("tie")
        w.emit(f"{tie} = 0.5 * ({a} == {b})")
        return [
            dense_new(f"{g.arr()} * (({a} > {b}) + {tie})") if needs[0] else None,
            dense_new(f"{g.arr()} * (({b} > {a}) + {tie})") if needs[1] else None,
        ]
    if t is ops.PowTensor:
        a, b = vals
        return [
            dense_new(f"{g.arr()} * ({b} * np.power({a}, {b} - 1.0))") if needs[0] else None,
            dense_new(f"{g.arr()} * ({out} * np.log({a}))") if needs[1] else None,
        ]
    if t is ops.Neg:
        return [dense_new(f"-{g.arr()}")]
    if t is ops.Pow:
        (a,) = vals
        n = fn.n
        if n == 0:
            return [dense_new(f"np.zeros_like({g.arr()})")]
        c = g.uniform()
        if n == 2:
            if c is not None:  # a uniform c: the gradient 2c * a stays a pair (a Scaled)
                f = w.temp("f")
                why = f"d({a}**2)/d{a} = 2 {a}, times dL/d{out} = {c} at every entry"
                w.emit(f"{f} = {2.0 * float(c)!r}  # {why}" if c == "1.0" else f"{f} = 2.0 * {c}  # {why}")
                return [Grad(w, shapes[0], dt, name=a, factor=f)]
            return [dense_new(f"{g.arr()} * (2.0 * {a})")]
        local = w.temp("local")
        w.emit("with np.errstate(divide='ignore'):")
        w.emit(f"    {local} = {literal(n)} * np.power({a}, {literal(n - 1.0)})")
        return [dense_new(f"{local} * {c}" if c is not None else f"{g.arr()} * {local}")]
    if t is ops.Exp:
        return [dense_new(f"{g.arr()} * {out}")]
    if t is ops.Log:
        return [dense_new(f"{g.arr()} / {vals[0]}")]
    if t is ops.Sqrt:
        r, g_text = w.temp("g"), g.arr()
        w.emit("with np.errstate(divide='ignore'):  # the slope of sqrt is infinite at 0")
        w.emit(f"    {r} = {g_text} * (0.5 / {out})")
        return [Grad(w, g.shape, dt, name=r, fresh=True)]
    if t is ops.Abs:
        return [dense_new(f"{g.arr()} * np.sign({vals[0]})")]
    if t is ops.Tanh:
        return [dense_new(f"{g.arr()} * (1.0 - {out} * {out})")]
    if t is ops.Sigmoid:
        return [dense_new(f"{g.arr()} * ({out} * (1.0 - {out}))")]
    if t is ops.Relu:
        return [dense_new(f"{g.arr()} * ({vals[0]} > 0)")]
    if t is ops.Sum:
        return [spread_code(w, g, fn.axes, fn.keepdims, shapes[0])]
    if t is ops.Mean:
        n = math.prod(shapes[0][i] for i in fn.axes)
        scaled = dense_new(f"{g.arr()} / {n}")
        return [spread_code(w, scaled, fn.axes, fn.keepdims, shapes[0])]
    if t is ops.Reshape:
        return [Grad(w, shapes[0], dt, make=f"{g.arr()}.reshape({shapes[0]})", num=g.num_src)]
    if t is ops.Transpose:
        inverse = tuple(int(i) for i in np.argsort(fn.perm))
        return [Grad(w, shapes[0], dt, make=f"{g.arr()}.transpose({inverse})", num=g.num_src)]
    if t is ops.BroadcastTo:
        return [unbroadcast_code(w, g, shapes[0])]
    if t is ops.GetItem:
        idx = w.const(fn.index, None, f"index{len(w.ns)}")
        full = w.new(f"np.zeros({shapes[0]}, dtype={g.dtype.name!r})", shapes[0], dt)
        if fn.basic:
            w.emit(f"{full.arr()}[{idx}] += {g.arr()}")
        else:
            w.emit(f"np.add.at({full.arr()}, {idx}, {g.arr()})")
        return [full]
    if t is ops.ScatterAdd:
        idx = w.const(fn.index, None, f"index{len(w.ns)}")
        return [Grad(w, shapes[0], dt, make=f"{g.arr()}[{idx}]")]
    if t is ops.MatMul:
        return matmul_backward(w, node, g, vals)
    if t is ops.Concatenate:
        ends = np.cumsum(fn.sizes)[:-1].tolist()
        pieces = w.temp("pieces")
        w.emit(f"{pieces} = np.split({g.arr()}, {ends}, axis={fn.axis})")
        return [
            Grad(w, shapes[i], dt, make=f"{pieces}[{i}]", num=g.num_src) if need else None
            for i, need in enumerate(needs)
        ]
    if t is ops.Stack:
        moved = w.temp("moved")
        w.emit(f"{moved} = np.moveaxis({g.arr()}, {fn.axis}, 0)")
        return [
            Grad(w, shapes[i], dt, make=f"{moved}[{i}]", num=g.num_src) if need else None
            for i, need in enumerate(needs)
        ]
    raise CannotCompile(f"the Tensor operation {t.__name__} is not known to the compiler")  # pragma: no cover


def matmul_backward(w: _Writer, node: Tensor, g: Grad, vals: list[str]) -> list[Grad | None]:
    """``ops.MatMul.backward``: ``dL/da = dL/dout @ b.T``, ``dL/db = a.T @ dL/dout``."""
    fn: Any = node._fn
    a_node, b_node = node._prev
    a, b = vals
    a_shape, b_shape = tuple(a_node.data.shape), tuple(b_node.data.shape)
    a2, a2_shape = (f"{a}[None, :]", (1, *a_shape)) if len(a_shape) == 1 else (a, a_shape)
    b2, b2_shape = (f"{b}[:, None]", (*b_shape, 1)) if len(b_shape) == 1 else (b, b_shape)
    g2_shape = tuple(np.broadcast_shapes(a2_shape[:-2], b2_shape[:-2])) + (a2_shape[-2], b2_shape[-1])
    scale = g.factor
    g2 = w.temp("g")
    w.emit(f"{g2} = {g.arr()}.reshape({g2_shape})")
    dt = g.dtype
    results: list[Grad | None] = [None, None]
    if fn.needs[0]:
        prod_shape = tuple(np.broadcast_shapes(g2_shape[:-2], b2_shape[:-2])) + (g2_shape[-2], b2_shape[-2])
        p = w.new(f"{g2} @ np.swapaxes({b2}, -1, -2)", prod_shape, dt)
        u = unbroadcast_code(w, p, a2_shape)
        ga = w.new(f"{u.arr()}.reshape({a_shape})", a_shape, dt)
        ga.fresh = False  # a view, as in the engine
        results[0] = ga
    if fn.needs[1]:
        prod_shape = tuple(np.broadcast_shapes(a2_shape[:-2], g2_shape[:-2])) + (a2_shape[-1], g2_shape[-1])
        p = w.new(f"np.swapaxes({a2}, -1, -2) @ {g2}", prod_shape, dt)
        u = unbroadcast_code(w, p, b2_shape)
        gb = w.new(f"{u.arr()}.reshape({b_shape})", b_shape, dt)
        gb.fresh = False
        results[1] = gb
    if scale is not None:
        for i in (0, 1):
            r = results[i]
            if r is not None:
                results[i] = w.new(f"{r.arr()} * {scale}", r.shape, dt)
    return results


def accumulate_code(
    w: _Writer, node: Tensor, g: Grad, owned: bool, grads: dict[int, Grad], owns: dict[int, bool]
) -> None:
    """``Tensor._accumulate``: ``node.grad += g``, never writing into an array others share."""
    old = grads.get(id(node))
    dtype = node.data.dtype
    if old is None:
        if not node._prev:  # a leaf owns its array, multiplied out
            if g.factor is not None:
                g = w.new(f"np.asarray({g.arr()} * {g.factor}, dtype={dtype.name!r})", g.shape, dtype)
                owned = True
            elif not owned or g.dtype != dtype:
                g = w.new(f"np.array({g.arr()}, dtype={dtype.name!r})", g.shape, dtype)
                owned = True
        grads[id(node)], owns[id(node)] = g, owned
    elif owns[id(node)]:
        w.emit(f"{old.arr()} += {g.dense().arr()}")
    else:
        grads[id(node)] = w.new(
            f"{old.dense().arr()} + {g.dense().arr()}", old.shape, np.result_type(old.dtype, g.dtype)
        )
        owns[id(node)] = True
