"""The backward pass of a ``Tensor`` graph, written out: the op definitions' derivatives as code.

Each op's derivative (:mod:`tinygrad_lr.ops`) runs here on :class:`ArrayCode`, the toolbox whose
functions write numpy code instead of computing: ``g * (1.0 - out * out)`` becomes the line
``g7 = g6 * (1.0 - t3 * t3)``. The pieces with fast paths mirror the engine's one by one --
``unbroadcast``, ``unbroadcast_product``, ``spread``, ``Tensor._accumulate`` -- and return a
:class:`~tinygrad_lr.compile.writer.Grad` saying what form the gradient has. The form (a number
spread over an array, a number times an array, a plain array) is decided by the graph and the
shapes alone, so it is decided here, once, exactly as the engine decides it at every step; the
numpy calls are the engine's, in its order, so the gradients are the engine's to the bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor
from .code import ATOM, CMP, MUL, Expr, call, text_of
from .names import literal
from .trace import CannotCompile
from .writer import Grad, Writer

__all__ = [
    "ArrayExpr",
    "ArrayCode",
    "accumulate_code",
    "backward_node",
    "c_einsum",
    "einsum_dot",
    "spread0",
    "unbroadcast_code",
    "values_read",
]

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

try:  # np.einsum without its Python wrapper: the same C function (the same sums), 1 us less a call
    from numpy._core.multiarray import c_einsum as c_einsum
except ImportError:  # pragma: no cover - another numpy layout
    c_einsum = np.einsum


def einsum_dot(ndim: int) -> str:
    return f"{_LETTERS[:ndim]},{_LETTERS[:ndim]}->"


def spread0(g: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a sum of everything: one number seen through strides of 0 (as ops.spread)."""
    g = np.asarray(g)
    view = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
    view.flags.writeable = False
    return view


# --- the values of a Tensor step as code ----------------------------------------------------------


_UFUNCS = {"+": "np.add", "-": "np.subtract", "*": "np.multiply", "/": "np.divide", "**": "np.power"}


class ArrayExpr(Expr):
    """An array in the generated code: its text, shape and dtype.

    ``ufunc``: the numpy function and arguments that compute it, when it can write into a
    buffer (``np.add(a, b, out=buf)``); ``elementwise``: it may then write over an input of
    its shape; ``ignore_divide``: an infinite slope (``0.5 / out`` at 0) is computed silently.
    """

    __slots__ = ("ufunc", "elementwise", "ignore_divide", "const")

    def __init__(
        self,
        text: str,
        prec: int = ATOM,
        shape: tuple[int, ...] = (),
        dtype: Any = None,
        ufunc: tuple[str, tuple[Any, ...]] | None = None,
        elementwise: bool = True,
        ignore_divide: bool = False,
    ) -> None:
        super().__init__(text, prec, shape, dtype)
        self.ufunc, self.elementwise, self.ignore_divide = ufunc, elementwise, ignore_divide
        self.const: np.ndarray | None = None  # a constant of the graph: its array

    def new(self, text: str, prec: int, *others: Any) -> Expr:
        shapes = [tuple(getattr(o, "shape", ())) for o in others]
        dtypes = [o.dtype for o in others if getattr(o, "dtype", None) is not None] or [self.dtype]
        shape = tuple(np.broadcast_shapes(self.shape, *shapes))
        quiet = self.ignore_divide or any(getattr(o, "ignore_divide", False) for o in others)
        return ArrayExpr(text, prec, shape, np.result_type(*dtypes), ignore_divide=quiet)

    def binary(self, symbol: str, prec: int, left: Any, right: Any) -> Any:
        out = super().binary(symbol, prec, left, right)
        if out is NotImplemented:
            return out
        if symbol in _UFUNCS:
            out.ufunc = (_UFUNCS[symbol], (left, right))
        return out

    def __neg__(self) -> Expr:
        out = super().__neg__()
        assert isinstance(out, ArrayExpr)
        out.ufunc = ("np.negative", (self,))
        return out

    def call_into(self, target: str) -> str:
        """The code that computes this value into the buffer ``target``."""
        assert self.ufunc is not None
        name, args = self.ufunc
        return f"{name}({', '.join(text_of(a) for a in args)}, out={target})"


class ArrayCode:
    """``xp`` for the ``Tensor`` compiler: each function writes the numpy code of the array
    toolbox's function of the same name (:class:`tinygrad_lr.ops.arrays.Arrays`).

    In a forward it returns an :class:`ArrayExpr`; in a derivative, given a
    :class:`~tinygrad_lr.compile.writer.Grad`, it writes the lines and returns the new ``Grad``.
    ``refuses`` becomes true when the forward calls a function the engine may refuse
    (``log``, a division, a fractional power): the step then runs under ``np.errstate(raise)``
    and reruns eagerly on such an error, so the error is the engine's own.
    """

    def __init__(self, w: Writer) -> None:
        self.w = w
        self.refuses = False
        self.out = ""  # the node whose derivative is being written, by name (for comments)

    # --- forward -------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Callable[..., ArrayExpr]:
        function = getattr(np, name)
        ufunc = isinstance(function, np.ufunc)

        def apply(*args: Any) -> ArrayExpr:
            return _call(f"np.{name}", args, ufunc=ufunc)

        return apply

    def log(self, a: Any) -> ArrayExpr:
        self.refuses = True
        return _call("np.log", (a,), ufunc=True)

    def sqrt(self, a: Any) -> ArrayExpr:
        self.refuses = True
        return _call("np.sqrt", (a,), ufunc=True)

    def divide(self, a: Any, b: Any) -> Any:
        const = getattr(b, "const", None)
        if const is None or np.any(const == 0):  # a divisor that can change, or holds a zero
            self.refuses = True
        return a / b

    def check_power(self, a: Any, n: Any) -> Any:
        if not (isinstance(n, float) and n >= 0 and n == round(n)):  # a whole n >= 0 never fails
            self.refuses = True
        return a

    def positive_base(self, a: Any, b: Any) -> Any:
        self.refuses = True
        return a

    def power(self, a: Any, n: Any) -> ArrayExpr:
        out = _call("np.power", (a, n), ufunc=True)
        out.ignore_divide = True  # as ARRAYS.power: an infinite slope at 0 stays inf
        return out

    def square(self, a: Any) -> Any:
        return a * a

    def sigmoid(self, a: Any) -> ArrayExpr:
        self.w.ns["sigmoid"] = ops.ARRAYS.sigmoid  # the engine's own function (it takes out=)
        return _call("sigmoid", (a,), ufunc=True)

    def relu(self, a: Any) -> ArrayExpr:
        return _call("np.maximum", (a, 0.0), ufunc=True)

    def sum(self, a: Any, axis: tuple[int, ...], keepdims: bool) -> ArrayExpr:
        return ArrayExpr(f"{text_of(a)}.sum(axis={axis}, keepdims={keepdims})", ATOM, (), a.dtype)

    def mean(self, a: Any, axis: tuple[int, ...], keepdims: bool) -> ArrayExpr:
        return ArrayExpr(f"{text_of(a)}.mean(axis={axis}, keepdims={keepdims})", ATOM, (), a.dtype)

    def matmul(self, a: Any, b: Any) -> ArrayExpr:
        if a.ndim <= 2 and b.ndim <= 2:
            return ArrayExpr(call("np.dot", a, b), ufunc=("np.dot", (a, b)), elementwise=False)
        return ArrayExpr(f"{text_of(a)} @ {text_of(b)}", MUL, ufunc=("np.matmul", (a, b)), elementwise=False)

    def broadcast_to(self, a: Any, shape: tuple[int, ...]) -> ArrayExpr:
        return ArrayExpr(call("np.broadcast_to", a, shape), shape=shape)

    def concatenate(self, arrays: Sequence[Any], axis: int) -> ArrayExpr:
        args = f"({', '.join(text_of(a) for a in arrays)},)"
        first = list(arrays[0].shape)
        k = axis % len(first)
        first[k] = sum(a.shape[k] for a in arrays)
        out = ArrayExpr(
            f"np.concatenate({args}, axis={axis})", ATOM, tuple(first), arrays[0].dtype, elementwise=False
        )
        out.ufunc = ("np.concatenate", (ArrayExpr(args), _Keyword("axis", axis)))
        return out

    def stack(self, arrays: Sequence[Any], axis: int) -> ArrayExpr:
        shape = list(arrays[0].shape)
        shape.insert(axis % (len(shape) + 1), len(arrays))
        text = f"np.stack(({', '.join(text_of(a) for a in arrays)},), axis={axis})"
        return ArrayExpr(text, ATOM, tuple(shape), arrays[0].dtype)

    # --- both: views and indexing ----------------------------------------------------------------

    def reshape(self, x: Any, shape: tuple[int, ...]) -> Any:
        shape = tuple(shape)
        if isinstance(x, Grad):
            return x.view(f"{x.arr()}.reshape({shape})", shape)
        return _derived(x, f"{x.text}.reshape({shape})", shape)

    def transpose(self, x: Any, axes: tuple[int, ...]) -> Any:
        shape = tuple(x.shape[i] for i in axes)
        if isinstance(x, Grad):
            return x.view(f"{x.arr()}.transpose({tuple(axes)})", shape)
        return _derived(x, f"{x.text}.transpose({tuple(axes)})", shape)

    def index(self, x: Any, index: Any) -> Any:
        shape = np.broadcast_to(np.empty((), np.bool_), x.shape)[index].shape
        if _plain(index):
            where = repr(index)
        else:
            where = self.w.const(index, None, f"index{len(self.w.ns)}")
        if isinstance(x, Grad):  # a piece of an array spread evenly is spread evenly, unless copied
            return x.view(f"{x.arr()}[{where}]", shape, uniform=_basic(index))
        return _derived(x, f"{x.text}[{where}]", shape)

    def scatter(self, x: Any, index: Any, shape: tuple[int, ...], basic: bool) -> Any:
        idx = self.w.const(index, None, f"index{len(self.w.ns)}")
        if not isinstance(x, Grad):  # the forward of a scatter (a gradient of a gradient)
            self.w.ns["scatter"] = ops.scatter
            return ArrayExpr(f"scatter({text_of(x)}, {idx}, {tuple(shape)}, {basic})", shape=shape)
        full = self.w.new(f"np.zeros({tuple(shape)}, dtype={x.dtype.name!r})", shape, x.dtype)
        if basic:
            self.w.emit(f"{full.arr()}[{idx}] += {x.arr()}")
        else:
            self.w.emit(f"np.add.at({full.arr()}, {idx}, {x.arr()})")
        return full

    def as_row(self, a: Any) -> Any:
        return _derived(a, f"{a.text}[None, :]", (1, *a.shape)) if a.ndim == 1 else a

    def as_column(self, a: Any) -> Any:
        return _derived(a, f"{a.text}[:, None]", (*a.shape, 1)) if a.ndim == 1 else a

    def swap_last(self, a: Any) -> ArrayExpr:
        return _derived(a, f"np.swapaxes({a.text}, -1, -2)", (*a.shape[:-2], a.shape[-1], a.shape[-2]))

    # --- derivatives ---------------------------------------------------------------------------

    def product(self, g: Grad, factor: Any, like: Any) -> Grad:
        """``ops.unbroadcast_product``: a dot product where it can be one."""
        if isinstance(factor, ArrayExpr) and factor.prec < ATOM:  # computed once, as the engine does
            factor = self.w.new(text_of(factor), factor.shape, factor.dtype, prefix="r")
            return product_code(self.w, g, factor.arr(), factor.shape, tuple(like.shape))
        return product_code(
            self.w, g, text_of(factor), tuple(getattr(factor, "shape", ())), tuple(like.shape)
        )

    def scale(self, g: Grad, c: float, a: Any) -> Grad:
        """``g * (c * a)``; for ``g`` one number ``u`` spread over an array, the pair (``c u``, ``a``)."""
        u = g.uniform()
        if u is None:
            return g * (c * a)
        f = self.w.temp("f")
        why = f"d{self.out}/d{text_of(a)} = {c:g} {text_of(a)}, times dL/d{self.out} = {u} at every entry"
        value = repr(c * float(u)) if u == "1.0" else f"{literal(c)} * {u}"
        self.w.emit(f"{f} = {value}  # {why}")
        return Grad(self.w, a.shape, a.dtype, name=text_of(a), factor=f)

    def zeros_like(self, g: Grad) -> Grad:
        return self.w.new(f"np.zeros_like({g.arr()})", g.shape, g.dtype)

    def step(self, a: Any) -> ArrayExpr:
        return ArrayExpr(f"{text_of(a)} > 0", CMP, a.shape, np.bool_)

    def greater(self, a: Any, b: Any) -> ArrayExpr:
        return ArrayExpr(f"{text_of(a)} > {text_of(b)}", CMP, np.broadcast_shapes(a.shape, b.shape), np.bool_)

    def equal(self, a: Any, b: Any) -> ArrayExpr:
        return ArrayExpr(
            f"{text_of(a)} == {text_of(b)}", CMP, np.broadcast_shapes(a.shape, b.shape), np.bool_
        )

    def div0(self, c: float, y: Any) -> ArrayExpr:
        return ArrayExpr(f"{literal(c)} / {text_of(y)}", MUL, y.shape, y.dtype, ignore_divide=True)

    def spread(self, g: Grad, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Grad:
        return spread_code(self.w, g, axes, keepdims, shape)

    def unbroadcast(self, g: Grad, shape: tuple[int, ...]) -> Grad:
        return unbroadcast_code(self.w, g, shape)


class _Keyword:
    """``axis=0`` among a ufunc's arguments."""

    def __init__(self, name: str, value: Any) -> None:
        self.name, self.value = name, value

    def __repr__(self) -> str:
        return f"{self.name}={self.value!r}"


def _call(function: str, args: Sequence[Any], ufunc: bool) -> ArrayExpr:
    arrays = [a for a in args if isinstance(a, Expr)]
    shape = tuple(np.broadcast_shapes(*[a.shape for a in arrays])) if arrays else ()
    dtypes = [a.dtype for a in arrays if a.dtype is not None]
    dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
    quiet = any(getattr(a, "ignore_divide", False) for a in arrays)
    out = ArrayExpr(call(function, *args), ATOM, shape, dtype, ignore_divide=quiet)
    if ufunc:
        out.ufunc = (function, tuple(args))
    return out


def _derived(x: Any, text: str, shape: tuple[int, ...]) -> ArrayExpr:
    """A view of ``x`` (``x[None, :]``): its value is read when the view's is, not now."""
    out = ArrayExpr(text, ATOM, shape, x.dtype)
    out.watch = x.watch
    return out


def _plain(index: Any) -> bool:
    """An index of ints, written into the code as it is (``g[2]``)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(type(p) is int for p in parts)


def _basic(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


# --- the pieces with fast paths: ops.broadcast, as code ------------------------------------------------


def unbroadcast_code(w: Writer, g: Grad, shape: tuple[int, ...]) -> Grad:
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


def total_code(w: Writer, g: Grad) -> str:
    c = g.uniform()
    return f"{c} * {g.size}" if c is not None else f"{g.arr()}.sum()"


def product_code(
    w: Writer, g: Grad, factor: str, factor_shape: tuple[int, ...], shape: tuple[int, ...]
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


def spread_code(w: Writer, g: Grad, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Grad:
    """``ops.spread``: the gradient of a reduction, a view (nothing of the input's size is built)."""
    if not g.shape:
        return Grad(w, shape, g.dtype, make=f"spread0({g.arr()}, {tuple(shape)})", num=g.arr())
    src = g.arr() if keepdims else f"np.expand_dims({g.arr()}, {axes})"
    return Grad(w, shape, g.dtype, make=f"np.broadcast_to({src}, {tuple(shape)})", num=g.num_src)


def backward_node(w: Writer, node: Tensor, g: Grad, args: list[ArrayExpr], out: str) -> list[Grad | None]:
    """The lines of ``node``'s chain rule: ``dL/d(parent)`` for each parent that needs one."""
    fn: Any = node._fn
    xp = ArrayCode(w)
    xp.out = out
    out_value = ArrayExpr(out, ATOM, node.data.shape, node.data.dtype)
    results: list[Grad | None] = []
    for i, need in enumerate(fn.needs):
        if not need:
            results.append(None)
            continue
        try:
            r = fn.vjp(xp, i, g, args, out_value)
        except (AttributeError, TypeError, NotImplementedError) as e:
            raise CannotCompile(
                f"the derivative of the op {fn.name!r} cannot be written as code ({e})"
            ) from None
        results.append(_as_grad(w, r, node.data.dtype))
    return results


def _as_grad(w: Writer, r: Any, dtype: Any) -> Grad:
    if isinstance(r, Grad):
        return r
    if isinstance(r, ArrayExpr):  # a derivative that does not involve the incoming gradient
        return w.new(text_of(r), r.shape, r.dtype if r.dtype is not None else dtype)
    raise CannotCompile(f"a derivative gave {r!r}, not an array")


def values_read(node: Tensor) -> set[int]:
    """Which of ``node``'s values its derivative reads: parent ``i`` (0, 1, ...) and -1 for the output.

    Found by writing the derivative once into a scratch writer and watching which values'
    names it uses: the compiled forward may write over a value only when no derivative reads it.
    """
    fn: Any = node._fn
    read: set[int] = set()
    scratch = Writer([], {})

    def watched(i: int, shape: tuple[int, ...], dtype: Any) -> ArrayExpr:
        e = ArrayExpr(f"v{i + 1}", ATOM, shape, dtype)
        e.watch = lambda: read.add(i)
        return e

    args = [watched(i, p.data.shape, p.data.dtype) for i, p in enumerate(node._prev)]
    out = watched(-1, node.data.shape, node.data.dtype)
    xp = ArrayCode(scratch)
    g = Grad(scratch, node.data.shape, node.data.dtype, name="g")
    for i, need in enumerate(fn.needs):
        if need:
            try:
                fn.vjp(xp, i, g, args, out)
            except (AttributeError, TypeError, NotImplementedError) as e:
                raise CannotCompile(
                    f"the derivative of the op {fn.name!r} cannot be written as code ({e})"
                ) from None
    return read


def accumulate_code(
    w: Writer, node: Tensor, g: Grad, owned: bool, grads: dict[int, Grad], owns: dict[int, bool]
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
