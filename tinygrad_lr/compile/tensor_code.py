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
from .names import Namer, literal
from .tensor_grads import (
    Grad,
    accumulate_code,
    backward_node,
    c_einsum,
    einsum_dot,
    spread0,
    unbroadcast_code,
)
from .trace import CannotCompile, Trace

__all__ = ["tensor_program", "BUFFER_MIN"]

BUFFER_MIN = 1024  # entries from which a value gets a buffer of its own (below, allocating is cheaper)


def _can_refuse(node: Tensor) -> bool:
    """Whether the engine may refuse this node's inputs (log(0), x/0): the step then reruns eagerly."""
    fn: Any = node._fn
    if type(fn) is ops.Pow:
        return not (fn.n >= 0 and fn.n == round(fn.n))  # a whole power >= 0 is always defined
    if type(fn) is ops.Div:
        divisor = node._prev[1]
        return bool(divisor._prev or divisor.requires_grad or np.any(divisor.data == 0))
    return type(fn) in _CHECKED


def _saved(fn: ops.Function) -> set[str]:
    n = fn.needs
    t = type(fn)
    if t is ops.Mul:
        return ({"b"} if n[0] else set()) | ({"a"} if n[1] else set())
    if t is ops.Div:
        return ({"b"} if n[0] else set()) | ({"a", "b"} if n[1] else set())
    if t is ops.MatMul:
        return ({"b"} if n[0] else set()) | ({"a"} if n[1] else set())
    if t is ops.Maximum:
        return {"a", "b"}
    if t is ops.PowTensor:
        return ({"a", "b"} if n[0] else set()) | ({"a", "out"} if n[1] else set())
    if t in (ops.Pow, ops.Log, ops.Abs, ops.Relu):
        return {"a"}
    if t in (ops.Exp, ops.Sqrt, ops.Tanh, ops.Sigmoid):
        return {"out"}
    return set()


_KNOWN = (
    ops.Add,
    ops.Sub,
    ops.Mul,
    ops.Div,
    ops.Maximum,
    ops.PowTensor,
    ops.Neg,
    ops.Pow,
    ops.Exp,
    ops.Log,
    ops.Sqrt,
    ops.Abs,
    ops.Tanh,
    ops.Sigmoid,
    ops.Relu,
    ops.Sum,
    ops.Mean,
    ops.Reshape,
    ops.Transpose,
    ops.BroadcastTo,
    ops.GetItem,
    ops.ScatterAdd,
    ops.MatMul,
    ops.Concatenate,
    ops.Stack,
)
_CHECKED = (ops.Div, ops.Log, ops.Sqrt, ops.Pow, ops.PowTensor)  # the engine refuses some inputs
_UFUNC = {
    ops.Add: "np.add",
    ops.Sub: "np.subtract",
    ops.Mul: "np.multiply",
    ops.Div: "np.divide",
    ops.Maximum: "np.maximum",
    ops.PowTensor: "np.power",
    ops.Neg: "np.negative",
    ops.Exp: "np.exp",
    ops.Log: "np.log",
    ops.Sqrt: "np.sqrt",
    ops.Abs: "np.abs",
    ops.Tanh: "np.tanh",
}
_INFIX = {ops.Add: "+", ops.Sub: "-", ops.Mul: "*", ops.Div: "/"}


class _Writer:
    def __init__(self, trace: Trace, params: list[Any], input_names: list[str]) -> None:
        self.trace = trace
        self.params = params
        self.input_names = input_names
        self.namer = Namer(["np", "L", *input_names, "spread0", "_one", "einsum"])
        self.ns: dict[str, Any] = {"np": np, "spread0": spread0, "einsum": c_einsum}
        self.lines: list[str] = []
        self.indent = ""
        self.var: dict[int, str] = {}  # id(node) -> the name of its value
        self.param_obj: dict[int, str] = {}
        self.buffers = 0  # id(leaf) -> the name of its Tensor object
        self.k = 0

    def emit(self, line: str) -> None:
        self.lines.append(self.indent + line)

    def temp(self, prefix: str) -> str:
        self.k += 1
        return self.namer.take(None, f"{prefix}{self.k}")

    def new(self, expr: str, shape: tuple[int, ...], dtype: Any, prefix: str = "g") -> Grad:
        name = self.temp(prefix)
        self.emit(f"{name} = {expr}")
        return Grad(self, shape, dtype, name=name, fresh=True)

    def const(self, value: Any, wanted: str | None, fallback: str) -> str:
        name = self.namer.take(wanted, fallback)
        self.ns[name] = value
        return name

    # --- leaves -------------------------------------------------------------------------------

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
            self.var[id(node)] = name

    def _is_tensor_input(self, index: int) -> bool:
        return bool(self.tensor_inputs[index])

    tensor_inputs: list[bool] = []


def tensor_program(
    trace: Trace, params: list[Any], input_names: list[str], tensor_inputs: list[bool] | None = None
) -> tuple[str, dict[str, Any]]:
    """The source of ``forward_backward(inputs...)`` and the namespace it runs in."""
    w = _Writer(trace, params, input_names)
    w.tensor_inputs = tensor_inputs or [False] * len(input_names)
    order = trace.order
    inner = [n for n in order if n._prev]
    for node in inner:
        if type(node._fn) not in _KNOWN:
            raise CannotCompile(
                f"the Tensor operation {type(node._fn).__name__} is not known to the compiler"
            )
    checked = any(_can_refuse(n) for n in inner)
    w.leaves()

    # --- planning: who uses what, what backward keeps, which Pow(2) folds into its sum -------
    users: dict[int, list[Any]] = {}
    for node in inner:
        for p in node._prev:
            users.setdefault(id(p), []).append(node)
    saved: set[int] = set()
    for node in inner:
        keep = _saved(node._fn)
        prev = node._prev
        if "a" in keep:
            saved.add(id(prev[0]))
        if "b" in keep and len(prev) > 1:
            saved.add(id(prev[1]))
        if "out" in keep:
            saved.add(id(node))
    folded: set[int] = set()  # Pow(2) nodes computed inside their sum's einsum
    for node in inner:
        fn: Any = node._fn
        if type(fn) is ops.Pow and fn.n == 2 and id(node) not in saved and node is not trace.root:
            us = users.get(id(node), [])
            if (
                len(us) == 1
                and type(us[0]._fn) in (ops.Sum, ops.Mean)
                and us[0]._fn.keepdims is False
                and len(us[0]._fn.axes) == node.data.ndim
                and node.data.ndim >= 1
            ):
                folded.add(id(node))
    owned_buf: set[int] = set()  # nodes whose value lives in a buffer of the step

    # --- forward ---------------------------------------------------------------------------
    w.emit(f"# forward: {len(inner)} operations (arrays of {BUFFER_MIN}+ entries into buffers made once)")
    if checked:
        w.emit("with np.errstate(divide='raise', invalid='raise'):  # log(0), x/0: rerun eagerly")
        w.indent = "    "
    seen_users: dict[int, int] = {}
    for node in inner:
        name = "L" if node is trace.root else w.temp("t")
        w.var[id(node)] = name
        if id(node) in folded:
            w.var[id(node)] = f"({w.var[id(node._prev[0])]}**2)"  # never built: its sum squares
            continue
        _forward(w, node, name, users, saved, folded, owned_buf, seen_users)
    w.indent = ""

    # --- backward --------------------------------------------------------------------------
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
        fn = node._fn
        if g.factor is not None and not fn.takes_scaled:
            g = g.dense()
        vals = [w.var[id(p)] for p in node._prev]
        name = w.var[id(node)]
        formula = "not built (the einsum squares)" if id(node) in folded else f"= {_formula(node, vals)}"
        w.emit(f"# {name} {formula}; dL/d{name} = {g.describe()}")
        results = backward_node(w, node, g, vals)
        handed: list[Grad] = []
        for parent, r in zip(node._prev, results):
            if r is None or not parent.requires_grad:
                continue
            if r.shape != parent.data.shape:
                r = unbroadcast_code(w, r, parent.data.shape)
            owned = r.factor is None and r.fresh and r is not g and not any(r is h for h in handed)
            handed.append(r)
            accumulate_code(w, parent, r, owned, grads, owns)

    w.emit("# the gradients go to the leaves that require grad (as backward() leaves them)")
    for node in order:
        if node._prev or not node.requires_grad:
            continue
        g = grads.get(id(node))
        leaf = trace.leaf(node)
        if leaf.kind != "param":
            raise CannotCompile("a leaf requires grad but is not one of the optimizer's parameters")
        obj = w.param_obj[id(node)]
        w.emit(f"{obj}.grad = {'None' if g is None else g.arr()}")
    present = {trace.leaf(n).index for n in order if not n._prev and trace.leaf(n).kind == "param"}
    for i, p in enumerate(params):
        if i not in present:  # zero_grad() leaves None, and backward() never reaches it
            obj = w.const(p, f"param_{p.name}" if p.name else None, f"param{i}")
            w.emit(f"{obj}.grad = None")
    w.emit("return float(L)")
    args = ", ".join(input_names)
    source = f"def forward_backward({args}):\n" + "".join(f"    {line}\n" for line in w.lines)
    return source, w.ns


def _formula(node: Tensor, vals: list[str]) -> str:
    """The node's operation as a learner writes it: ``t1 + b``, ``t3**2``, ``sum(t4)``."""
    op = node.op
    if op in ("+", "-", "*", "/", "@"):
        return f"{vals[0]} {op} {vals[1]}"
    if op.startswith("**") and len(vals) == 1:
        return f"{vals[0]}{op}"
    if op == "**":
        return f"{vals[0]} ** {vals[1]}"
    if op == "neg":
        return f"-{vals[0]}"
    return f"{op}({', '.join(vals)})"


def _forward(
    w: _Writer,
    node: Tensor,
    name: str,
    users: dict[int, list[Any]],
    saved: set[int],
    folded: set[int],
    owned_buf: set[int],
    seen: dict[int, int],
) -> None:
    fn: Any = node._fn
    t = type(fn)
    prev = node._prev
    args = [w.var[id(p)] for p in prev]
    out_shape, dtype = node.data.shape, node.data.dtype
    big = node.data.ndim >= 1 and node.data.size >= 1024 and type(node.data) is np.ndarray

    def out_target(reuse: bool = True) -> str:
        """Where a result goes: over a dead input of the same shape (element-wise ops), or a new buffer."""
        for p in prev if reuse else ():
            if (
                id(p) in owned_buf
                and id(p) not in saved
                and len(users.get(id(p), [])) == 1
                and sum(q is p for q in prev) == 1
                and p.data.shape == out_shape
                and p.data.dtype == dtype
            ):
                owned_buf.add(id(node))
                return w.var[id(p)]
        w.buffers += 1
        buf = w.const(np.empty(out_shape, dtype), None, f"buf{w.buffers}")
        owned_buf.add(id(node))
        return buf

    def assign(expr_plain: str, ufunc_call: str | None, reuse: bool = True) -> None:
        if big and ufunc_call is not None:
            target = out_target(reuse)
            w.emit(f"{name} = {ufunc_call.format(out=target)}")
        else:
            w.emit(f"{name} = {expr_plain}")

    if t in _INFIX:
        a, b = args
        assign(f"{a} {_INFIX[t]} {b}", f"{_UFUNC[t]}({a}, {b}, out={{out}})")
    elif t in (ops.Maximum, ops.PowTensor):
        a, b = args
        assign(f"{_UFUNC[t]}({a}, {b})", f"{_UFUNC[t]}({a}, {b}, out={{out}})")
    elif t in (ops.Neg, ops.Exp, ops.Log, ops.Sqrt, ops.Abs, ops.Tanh):
        (a,) = args
        plain = f"-{a}" if t is ops.Neg else f"{_UFUNC[t]}({a})"
        assign(plain, f"{_UFUNC[t]}({a}, out={{out}})")
    elif t is ops.Relu:
        (a,) = args
        assign(f"np.maximum({a}, 0.0)", f"np.maximum({a}, 0.0, out={{out}})")
    elif t is ops.Sigmoid:
        (a,) = args
        if big:  # exp(-log(1 + exp(-a))), one step at a time in one buffer
            target = out_target()
            w.emit(f"{name} = np.negative({a}, out={target})")
            w.emit(f"np.logaddexp(0.0, {name}, out={name})")
            w.emit(f"np.negative({name}, out={name})")
            w.emit(f"np.exp({name}, out={name})")
        else:
            w.emit(f"{name} = np.exp(-np.logaddexp(0.0, -{a}))")
    elif t is ops.Pow:
        (a,) = args
        n = fn.n
        if n == 2:
            assign(f"{a} * {a}", f"np.multiply({a}, {a}, out={{out}})")
        else:
            assign(f"np.power({a}, {literal(n)})", f"np.power({a}, {literal(n)}, out={{out}})")
    elif t in (ops.Sum, ops.Mean):
        (a,) = args
        src = prev[0]
        method = "sum" if t is ops.Sum else "mean"
        if id(src) in folded:  # (r ** 2).sum() as one dot product r . r
            (r,) = [w.var[id(q)] for q in src._prev]
            sub = einsum_dot(src.data.ndim)
            small = src.data.ndim == 1 and src.data.size < BUFFER_MIN  # r.r by BLAS: fastest when tiny
            expr = f"{r}.dot({r})" if small else f"einsum('{sub}', {r}, {r})"
            if t is ops.Mean:
                expr += f" / {src.data.size}"
            w.emit(f"{name} = {expr}  # ({r} ** 2).{method}() in one pass")
        else:
            w.emit(f"{name} = {a}.{method}(axis={fn.axes}, keepdims={fn.keepdims})")
    elif t is ops.Reshape:
        w.emit(f"{name} = {args[0]}.reshape({fn.shape})")
    elif t is ops.Transpose:
        w.emit(f"{name} = {args[0]}.transpose({fn.perm})")
    elif t is ops.BroadcastTo:
        w.emit(f"{name} = np.broadcast_to({args[0]}, {fn.shape})")
    elif t is ops.GetItem:
        idx = w.const(fn.index, None, f"index{len(w.ns)}")
        w.emit(f"{name} = {args[0]}[{idx}]")
    elif t is ops.ScatterAdd:
        idx = w.const(fn.index, None, f"index{len(w.ns)}")
        w.ns["_scatter"] = ops._scatter
        w.emit(f"{name} = _scatter({args[0]}, {idx}, {fn.shape}, {fn.basic})")
    elif t is ops.MatMul:
        a, b = args
        if prev[0].data.ndim <= 2 and prev[1].data.ndim <= 2:
            assign(f"np.dot({a}, {b})", f"np.dot({a}, {b}, out={{out}})", reuse=False)
        else:
            assign(f"{a} @ {b}", f"np.matmul({a}, {b}, out={{out}})", reuse=False)
    elif t is ops.Concatenate:
        assign(
            f"np.concatenate(({', '.join(args)},), axis={fn.axis})",
            f"np.concatenate(({', '.join(args)},), axis={fn.axis}, out={{out}})",
            reuse=False,
        )
    elif t is ops.Stack:
        w.emit(f"{name} = np.stack(({', '.join(args)},), axis={fn.axis})")
    else:  # pragma: no cover - _KNOWN lists every op above
        raise CannotCompile(f"the Tensor operation {t.__name__} is not known to the compiler")
