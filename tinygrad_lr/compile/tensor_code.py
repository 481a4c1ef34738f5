"""A ``Tensor`` graph written out as numpy calls into arrays allocated once.

The forward pass is one numpy call per node. An array of at least ``BUFFER_MIN`` entries is
written into a buffer allocated when the step is compiled (``np.multiply(x, w, out=t1)``), and
a node whose input is an intermediate not needed again writes over that input in place, so
``w * x + b - y`` fills ONE buffer three times. ``(r ** 2).sum()`` becomes one
``np.einsum('i,i->', r, r)``: no array of squares at all (this adds in another order than
``sum``, so the loss agrees with the engine's to ~1e-16 relative, not to the bit).

The backward pass is :meth:`Tensor._backward <tinygrad_lr.Tensor>` unrolled over the graph: the
same chain rule, the same numpy calls, in the same order, so the gradients are the engine's to
the bit. What the engine decides at run time about the *form* of a gradient is decided here,
once, because it depends only on the graph and the shapes:

* a gradient that is one number spread over an array (``sum`` and ``mean`` give one) is not
  built as an array: the ops behind it scale by that number;
* a gradient that is a number times an array (``(2/n) r`` behind ``(r**2).mean()``) is kept as
  the pair and multiplied out only where an op needs the product (:class:`~tinygrad_lr.ops.Scaled`);
* a sum over the entries of ``dL/dout * x`` (the gradient of a scalar ``w`` in ``w * x``) is one
  ``einsum``, a dot product: one pass over the data, no temporary array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor
from .code import ATOM, text_of
from .names import literal
from .tensor_grads import (
    ArrayCode,
    ArrayExpr,
    accumulate_code,
    backward_node,
    c_einsum,
    einsum_dot,
    spread0,
    unbroadcast_code,
    values_read,
)
from .trace import CannotCompile, Trace
from .writer import Grad, Writer

__all__ = ["tensor_program", "BUFFER_MIN"]

BUFFER_MIN = 1024  # entries from which a value gets a buffer of its own (below, allocating is cheaper)


class _Step(Writer):
    """The writer of one ``Tensor`` step: names for the leaves and the nodes' values."""

    def __init__(
        self, trace: Trace, params: list[Any], input_names: list[str], tensor_inputs: list[bool]
    ) -> None:
        reserved = ["np", "L", *input_names, "spread0", "_one", "einsum", "sigmoid", "scatter"]
        super().__init__(reserved, {"np": np, "spread0": spread0, "einsum": c_einsum})
        self.trace, self.params, self.input_names = trace, params, input_names
        self.tensor_inputs = tensor_inputs
        self.var: dict[int, str] = {}  # id(node) -> the name of its value
        self.param_obj: dict[int, str] = {}
        self.buffers = 0
        self.constants: dict[int, np.ndarray] = {}  # id(leaf) -> its array, for constant leaves

    def leaves(self) -> None:
        self.emit("# the parameters' arrays, the inputs and the constants")
        for node in self.trace.order:
            if node._prev:
                continue
            leaf = self.trace.leaf(node)
            if leaf.kind == "param":
                p = self.params[leaf.index]
                name = self.namer.take(p.name, f"p{leaf.index}")
                obj = self.const(p, f"param_{name}", f"param{leaf.index}")
                self.param_obj[id(node)] = obj
                self.emit(f"{name} = {obj}.data")
            elif leaf.kind == "input":
                src = self.input_names[leaf.index]
                if self._is_tensor_input(leaf.index):
                    src += ".data"
                if leaf.shape is None:  # the input itself (a Tensor's array: the argument's name, rebound)
                    name = self.input_names[leaf.index]
                else:
                    name = self.namer.take(None, f"{self.input_names[leaf.index]}_{len(leaf.shape)}d")
                    src = f"{src}.reshape({leaf.shape})"
                if name != src:
                    self.emit(f"{name} = {src}")
            else:
                data = node.data
                if data.ndim == 0 and data.dtype == np.float64:
                    name = self.const(data, node.name, f"c{len(self.ns)}")
                    self.emit(f"# {name} = {literal(float(data))}, a constant")
                else:
                    name = self.const(data, node.name, f"c{len(self.ns)}")
                    self.emit(f"# {name}: a constant array of shape {data.shape}")
                self.constants[id(node)] = data
            self.var[id(node)] = name

    def _is_tensor_input(self, index: int) -> bool:
        return bool(self.tensor_inputs[index])

    def value(self, node: Tensor) -> ArrayExpr:
        """A node's value in the code (for an op definition to compute with)."""
        e = ArrayExpr(self.var[id(node)], ATOM, node.data.shape, node.data.dtype)
        e.const = self.constants.get(id(node))
        return e


class _Plan:
    """What the forward pass needs to know before it is written: who uses each value, which
    values some derivative reads (never written over), which squares fold into their sum."""

    def __init__(self, trace: Trace, inner: list[Tensor]) -> None:
        self.users: dict[int, list[Tensor]] = {}
        for node in inner:
            for p in node._prev:
                self.users.setdefault(id(p), []).append(node)
        self.saved: set[int] = set()
        for node in inner:
            for i in values_read(node):
                self.saved.add(id(node) if i == -1 else id(node._prev[i]))
        self.folded: set[int] = set()  # x**2 nodes computed inside their sum's einsum
        for node in inner:
            if self._foldable(node, trace):
                self.folded.add(id(node))
        self.owned_buf: set[int] = set()  # nodes whose value lives in a buffer of the step

    def _foldable(self, node: Tensor, trace: Trace) -> bool:
        fn: Any = node._fn
        if not (
            isinstance(fn, ops.Pow) and fn.n == 2 and id(node) not in self.saved and node is not trace.root
        ):
            return False
        us = self.users.get(id(node), [])
        return (
            len(us) == 1
            and isinstance(us[0]._fn, (ops.Sum, ops.Mean))
            and us[0]._fn.reduces_everything(node.data.ndim)
            and node.data.ndim >= 1
        )


def tensor_program(
    trace: Trace,
    params: list[Any],
    input_names: list[str],
    tensor_inputs: list[bool] | None = None,
    name: str = "forward_backward",
    returns_grads: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The source of ``forward_backward(inputs...)`` and the namespace it runs in.

    With ``returns_grads`` the function leaves the parameters' ``grad`` alone and returns
    ``(loss, (dL/dp for every parameter, None where L does not reach it))``: the blocked step
    (:mod:`.blocked`) runs it on several blocks at once and adds the results up itself.
    """
    w = _Step(trace, params, input_names, tensor_inputs or [False] * len(input_names))
    inner = [n for n in trace.order if n._prev]
    for node in inner:
        if not isinstance(node._fn, ops.Op):
            raise CannotCompile(
                f"the Tensor operation {type(node._fn).__name__} is not known to the compiler"
            )
    w.leaves()
    plan = _Plan(trace, inner)
    _write_forward(w, trace, inner, plan)
    grads = _write_backward(w, trace, inner, plan)
    if returns_grads:
        _write_returned_grads(w, trace, params, grads)
    else:
        _write_leaf_grads(w, trace, params, grads)
        w.emit("return float(L)")
    args = ", ".join(input_names)
    source = f"def {name}({args}):\n" + "".join(f"    {line}\n" for line in w.lines)
    return source, w.ns


def _write_forward(w: _Step, trace: Trace, inner: list[Tensor], plan: _Plan) -> None:
    w.emit(f"# forward: {len(inner)} operations (arrays of {BUFFER_MIN}+ entries into buffers made once)")
    xp = ArrayCode(w)
    start = len(w.lines)
    for node in inner:
        name = "L" if node is trace.root else w.temp("t")
        w.var[id(node)] = name
        if id(node) in plan.folded:
            w.var[id(node)] = f"({w.var[id(node._prev[0])]}**2)"  # never built: its sum squares
            continue
        src = node._prev[0]
        if id(src) in plan.folded:  # (r ** 2).sum() as one dot product r . r
            w.emit(f"{name} = {_square_sum(w, node, src)}")
            continue
        try:
            value = node._fn.forward(xp, *[w.value(p) for p in node._prev])  # type: ignore[union-attr]
        except (AttributeError, TypeError, NotImplementedError) as e:
            raise CannotCompile(f"the op {node.op!r} cannot be written as code ({e})") from None
        _assign(w, node, name, value, plan)
    if xp.refuses:  # log(0), x/0: the numbers would be inf or nan; the engine refuses them
        body = w.lines[start:]
        w.lines[start:] = ["with np.errstate(divide='raise', invalid='raise'):  # log(0), x/0: rerun eagerly"]
        w.lines += ["    " + line for line in body]


def _square_sum(w: _Step, node: Tensor, src: Tensor) -> str:
    """``(r ** 2).sum()`` (or ``.mean()``) as one einsum: no array of squares is built."""
    (r,) = [w.var[id(q)] for q in src._prev]
    sub = einsum_dot(src.data.ndim)
    small = src.data.ndim == 1 and src.data.size < BUFFER_MIN  # r.r by BLAS: fastest when tiny
    expr = f"{r}.dot({r})" if small else f"einsum('{sub}', {r}, {r})"
    mean = isinstance(node._fn, ops.Mean)
    if mean:
        expr += f" / {src.data.size}"
    return f"{expr}  # ({r} ** 2).{'mean' if mean else 'sum'}() in one pass"


def _assign(w: _Step, node: Tensor, name: str, value: Any, plan: _Plan) -> None:
    """``name = value``: into a buffer made once (over a dead input, if there is one) when big."""
    big = node.data.ndim >= 1 and node.data.size >= BUFFER_MIN and type(node.data) is np.ndarray
    if not (big and isinstance(value, ArrayExpr) and value.ufunc is not None):
        w.emit(f"{name} = {text_of(value)}")
        return
    shape, dtype = node.data.shape, node.data.dtype
    target = None
    for p in node._prev if value.elementwise else ():
        if (
            id(p) in plan.owned_buf
            and id(p) not in plan.saved
            and len(plan.users.get(id(p), [])) == 1
            and sum(q is p for q in node._prev) == 1
            and p.data.shape == shape
            and p.data.dtype == dtype
        ):
            target = w.var[id(p)]
            break
    if target is None:
        w.buffers += 1
        target = w.const(np.empty(shape, dtype), None, f"buf{w.buffers}")
    plan.owned_buf.add(id(node))
    w.emit(f"{name} = {value.call_into(target)}")


def _write_backward(w: _Step, trace: Trace, inner: list[Tensor], plan: _Plan) -> dict[int, Grad]:
    w.emit("# backward: dL/dL = 1, then at every node, from L back to the leaves,")
    w.emit("#   dL/d(parent) += dL/d(node) * d(node)/d(parent)  (summed back over broadcasting)")
    root = trace.root
    w.ns["_one"] = np.ones(root.data.shape, root.data.dtype)
    grads: dict[int, Grad] = {id(root): Grad(w, root.data.shape, root.data.dtype, name="_one", fresh=True)}
    owns: dict[int, bool] = {id(root): True}
    for node in reversed(inner):
        g = grads.get(id(node))
        if g is None:
            continue
        fn: Any = node._fn
        if g.factor is not None and not fn.takes_scaled:
            g = g.dense()
        vals = [w.var[id(p)] for p in node._prev]
        name = w.var[id(node)]
        formula = fn.formula(vals, [ATOM] * len(vals), code=True)[0]
        what = "not built (the einsum squares)" if id(node) in plan.folded else f"= {formula}"
        w.emit(f"# {name} {what}; dL/d{name} = {g.describe()}")
        results = backward_node(w, node, g, [w.value(p) for p in node._prev], name)
        handed: list[Grad] = []
        for parent, r in zip(node._prev, results):
            if r is None or not parent.requires_grad:
                continue
            if r.shape != parent.data.shape:
                r = unbroadcast_code(w, r, parent.data.shape)
            owned = r.factor is None and r.fresh and r is not g and not any(r is h for h in handed)
            handed.append(r)
            accumulate_code(w, parent, r, owned, grads, owns)
    return grads


def _write_leaf_grads(w: _Step, trace: Trace, params: list[Any], grads: dict[int, Grad]) -> None:
    w.emit("# the gradients go to the leaves that require grad (as backward() leaves them)")
    for node in trace.order:
        if node._prev or not node.requires_grad:
            continue
        g = grads.get(id(node))
        leaf = trace.leaf(node)
        if leaf.kind != "param":
            raise CannotCompile("a leaf requires grad but is not one of the optimizer's parameters")
        obj = w.param_obj[id(node)]
        w.emit(f"{obj}.grad = {'None' if g is None else g.arr()}")
    present = {trace.leaf(n).index for n in trace.order if not n._prev and trace.leaf(n).kind == "param"}
    for i, p in enumerate(params):
        if i not in present:  # zero_grad() leaves None, and backward() never reaches it
            obj = w.const(p, f"param_{p.name}" if p.name else None, f"param{i}")
            w.emit(f"{obj}.grad = None")


def _write_returned_grads(w: _Step, trace: Trace, params: list[Any], grads: dict[int, Grad]) -> None:
    got: dict[int, str] = {}
    for node in trace.order:
        if node._prev or not node.requires_grad:
            continue
        leaf = trace.leaf(node)
        if leaf.kind != "param":
            raise CannotCompile("a leaf requires grad but is not one of the optimizer's parameters")
        g = grads.get(id(node))
        if g is not None:
            got[leaf.index] = g.arr()
    names = [got.get(i, "None") for i in range(len(params))]
    what = ", ".join(f"dL/d{p.name or f'p{i}'}" for i, p in enumerate(params))
    w.emit(f"return float(L), ({', '.join(names)}{',' if len(names) == 1 else ''})  # the loss; {what}")
