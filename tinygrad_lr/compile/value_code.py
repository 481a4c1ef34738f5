"""A ``Value`` graph written out as straight-line scalar Python.

The forward pass is one assignment per node, in the order the graph was built. The backward
pass is ``graph.run_backward`` unrolled: the nodes in reverse order, and at each node, for each
parent, the chain rule ``dL/d(parent) += dL/d(node) * d(node)/d(parent)``.

Both come from the op definitions (:mod:`tinygrad_lr.ops`), run on code instead of numbers: the
forward line is the op's ``forward`` and the local derivative its ``dL_da`` with ``dL/d(out) = 1``,
each on :class:`FloatCode`, the toolbox whose functions write float code. Because the operations
and their order are the engine's, the numbers are the engine's, to the bit.

Only gradients that lead to a parameter are computed. Where a gradient or a local derivative
is a number known before the step runs (``dL/dL = 1``, ``d(a+b)/da = 1``), the product is
worked out once, here, with the same float arithmetic, instead of at every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops import FLOATS, ONE
from ..tensor import Tensor
from ..value import Value
from .code import ATOM, COND, Expr, call, text_of
from .names import Namer, literal
from .trace import Trace

__all__ = ["value_program", "FloatCode"]


def _floats(x: Any) -> list[float]:
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64).ravel().tolist()


def _nonzero(a: float) -> float:
    if a == 0.0:
        raise ValueError("the slope of a ** n is infinite at 0")
    return a


NAMESPACE: dict[str, Any] = {"_floats": _floats, "_nonzero": _nonzero, "_inf": math.inf, "_nan": math.nan}


def _int_valued(x: float) -> bool:
    return math.isfinite(x) and x == round(x)


def _cmp(a: Any, symbol: str, b: Any) -> str:
    """``a > b`` for a condition: both sides are names or numbers here (every node has a name)."""
    return f"{text_of(a)} {symbol} {text_of(b)}"


class FloatCode:
    """``xp`` for the ``Value`` compiler: each function writes the code of the float toolbox's
    function of the same name (:class:`tinygrad_lr.ops.floats.Floats`), or calls it.

    Given only numbers (constants of the graph), a function computes its result now, with the
    float toolbox itself. Functions it does not spell out are the float toolbox's, called by
    name from the generated code (``_logaddexp(0.0, t1)``).
    """

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace

    def _calls(self, name: str, *args: Any) -> Any:
        if all(isinstance(a, float) for a in args):
            return getattr(FLOATS, name)(*args)
        self.namespace.setdefault(f"_{name}", getattr(FLOATS, name))
        return Expr(call(f"_{name}", *args))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return lambda *args: self._calls(name, *args)

    def abs(self, a: Any) -> Any:
        return abs(a) if isinstance(a, float) else Expr(call("abs", a))

    def divide(self, a: Any, b: Any) -> Any:
        return FLOATS.divide(a, b) if isinstance(a, float) and isinstance(b, float) else a / b

    def power(self, a: Any, n: Any) -> Any:
        """``a ** n`` as the engine computes it (``real_pow``): plain ``**`` where that is always real."""
        if isinstance(a, float) and isinstance(n, float):
            return FLOATS.power(a, n)
        if isinstance(n, float) and n == 1.0:
            return a  # a ** 1.0 is a itself
        if isinstance(n, float) and n == 0.0:
            return 1.0  # and a ** 0.0 is 1, whatever a is
        if (isinstance(n, float) and _int_valued(n)) or (isinstance(a, float) and a > 0.0):
            return a**n
        return self._calls("real_pow", a, n)

    def square(self, a: Any) -> Any:
        return self.power(a, 2.0)

    def check_power(self, a: Any, n: Any) -> Any:
        if isinstance(a, float):
            return FLOATS.check_power(a, n)
        if isinstance(n, float) and n != 0.0 and n < 1.0:  # the engine refuses 0 ** n: an infinite slope
            return Expr(call("_nonzero", a))
        return a

    def relu(self, a: Any) -> Any:
        return (
            FLOATS.relu(a)
            if isinstance(a, float)
            else Expr(f"{text_of(a)} if {_cmp(a, '>', 0.0)} else 0.0", COND)
        )

    def step(self, a: Any) -> Any:
        return FLOATS.step(a) if isinstance(a, float) else Expr(f"1.0 if {_cmp(a, '>', 0.0)} else 0.0", COND)

    def sign(self, a: Any) -> Any:
        if isinstance(a, float):
            return FLOATS.sign(a)
        return Expr(f"1.0 if {_cmp(a, '>', 0.0)} else -1.0 if {_cmp(a, '<', 0.0)} else 0.0", COND)

    def greater(self, a: Any, b: Any) -> Any:
        if isinstance(a, float) and isinstance(b, float):
            return FLOATS.greater(a, b)
        return Expr(f"1.0 if {_cmp(a, '>', b)} else 0.0", COND)

    def equal(self, a: Any, b: Any) -> Any:
        if isinstance(a, float) and isinstance(b, float):
            return FLOATS.equal(a, b)
        return Expr(f"1.0 if {_cmp(a, '==', b)} else 0.0", COND)

    def div0(self, c: float, y: Any) -> Any:
        if isinstance(y, float):
            return FLOATS.div0(c, y)
        return Expr(f"{literal(c)} / {text_of(y)} if {_cmp(y, '>', 0.0)} else _inf", COND)

    @staticmethod
    def product(g: Any, factor: Any, like: Any) -> Any:
        return g * factor

    @staticmethod
    def scale(g: Any, c: float, a: Any) -> Any:
        return g * (c * a)

    @staticmethod
    def zeros_like(g: Any) -> float:
        return 0.0


class _Writer:
    def __init__(self, trace: Trace, params: list[Any], input_names: list[str]) -> None:
        self.trace = trace
        self.params = params
        self.namer = Namer(["L", "lr", *input_names, *NAMESPACE])
        self.input_names = input_names
        self.expr: dict[int, str] = {}  # id(node) -> its value in the code: a name or a literal
        self.const: dict[int, float] = {}  # id(node) -> its number, for constant leaves
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = dict(NAMESPACE)
        self.xp = FloatCode(self.namespace)

    # --- forward --------------------------------------------------------------------------

    def leaves(self) -> list[str]:
        """Lines reading the parameters and unpacking the inputs; names for every leaf."""
        out: list[str] = []
        entries: dict[int, dict[int, str]] = {}
        for node in self.trace.order:
            if node._prev:
                continue
            leaf = self.trace.leaf(node)
            if leaf.kind == "param":
                p = self.params[leaf.index]
                name = self.namer.take(p.label, f"p{leaf.index}")
                obj = self.namer.take(f"param_{name}", f"param{leaf.index}")
                self.namespace[obj] = p
                out.append(f"{name} = {obj}.data")
                self.expr[id(node)] = name
                self.param_obj = getattr(self, "param_obj", {})
                self.param_obj[id(node)] = (obj, name)
            elif leaf.kind == "input":
                names = entries.setdefault(leaf.index, {})
                if leaf.entry not in names:
                    names[leaf.entry] = self.namer.take(
                        f"{self.input_names[leaf.index]}_{leaf.entry}", f"in{leaf.index}_{leaf.entry}"
                    )
                self.expr[id(node)] = names[leaf.entry]
            else:
                self.const[id(node)] = node.data
                self.expr[id(node)] = literal(node.data)
        for i, names in sorted(entries.items()):
            size = max(names) + 1
            targets = ", ".join(names.get(k, "_") for k in range(size))
            out.append(f"{targets}{',' if size == 1 else ''} = _floats({self.input_names[i]})[:{size}]")
        return out

    def args(self, node: Value) -> list[Any]:
        """The node's inputs in the code: a name, or the number of a constant."""
        return [
            self.const.get(id(p), None) if id(p) in self.const else Expr(self.expr[id(p)]) for p in node._prev
        ]

    def forward_line(self, node: Value, name: str) -> str:
        op = node._op
        assert op is not None
        value = op.forward(self.xp, *self.args(node))
        return f"{name} = {text_of(value)}"

    def local(self, node: Value, i: int, out: str) -> tuple[str, float | str]:
        """``d(node)/d(parent i)``: a comment saying what it is, and its value (number or code):
        the op's derivative with ``dL/d(out) = 1``."""
        op = node._op
        assert op is not None
        d = op.vjp(self.xp, i, ONE, self.args(node), Expr(out))
        if d is ONE:
            d = 1.0
        if isinstance(d, Expr):
            return op.rule(i), d.text if d.prec == ATOM else f"({d.text})"
        return op.rule(i), float(d)


def _times(g: float | str, d: float | str) -> float | str:
    """``g * d`` as code, or as a number when both are known now (the same float product)."""
    if isinstance(g, float) and isinstance(d, float):
        return g * d
    if isinstance(g, float) and g == 1.0:
        return d  # 1.0 * d is exactly d
    if isinstance(d, float) and d == 1.0:
        return g
    if isinstance(d, float) and d == -1.0:
        return f"-{g}"
    gs = literal(g) if isinstance(g, float) else g
    ds = literal(d) if isinstance(d, float) else d
    return f"{gs} * {ds}"


def value_program(trace: Trace, params: list[Any], input_names: list[str]) -> tuple[str, dict[str, Any]]:
    """The source of ``forward_backward(inputs...)`` and the namespace it runs in."""
    w = _Writer(trace, params, input_names)
    body = ["# the parameters' values (and the inputs' numbers)", *w.leaves()]
    inner = [n for n in trace.order if n._prev]
    body.append(f"# forward: {len(inner)} operations, each a new number")
    names: dict[int, str] = {}
    forward_text: dict[int, str] = {}
    for k, node in enumerate(inner, start=1):
        name = "L" if node is trace.root else w.namer.take(None, f"t{k}")
        names[id(node)] = name
        line = w.forward_line(node, name)
        forward_text[id(node)] = line
        body.append(line)
        w.expr[id(node)] = name

    # which nodes lead to a parameter: only their gradients are needed
    needs: dict[int, bool] = {}
    for node in trace.order:
        if node._prev:
            needs[id(node)] = any(needs[id(p)] for p in node._prev)
        else:
            needs[id(node)] = trace.leaf(node).kind == "param"

    body.append("# backward: dL/dL = 1, then the chain rule at every node, from L back to the leaves:")
    body.append("#   dL/d(parent) += dL/d(node) * d(node)/d(parent)")
    grad: dict[int, float | str] = {id(trace.root): 1.0}
    gname: dict[int, str] = {}

    def gvar(node: Value) -> str:
        if id(node) not in gname:
            leaf = not node._prev
            base = w.expr[id(node)] if leaf else names[id(node)]
            gname[id(node)] = w.namer.take(f"dL_d{base}", f"dL_dnode{len(gname)}")
        return gname[id(node)]

    for node in reversed(inner):
        if not needs[id(node)]:
            continue
        g = grad[id(node)]
        out = names[id(node)]
        body.append(f"# {forward_text[id(node)]}")
        for i, parent in enumerate(node._prev):
            if not needs[id(parent)]:
                continue
            why, d = w.local(node, i, out)
            contribution = _times(g, d)
            old = grad.get(id(parent))
            target = gvar(parent)
            if isinstance(contribution, float) and (old is None or isinstance(old, float)):
                grad[id(parent)] = (0.0 if old is None else old) + contribution  # worked out now
                continue
            text = literal(contribution) if isinstance(contribution, float) else contribution
            if old is None:
                body.append(f"{target} = {text}  # {why}")
            elif isinstance(old, float):
                body.append(f"{target} = {literal(old)} + {text}  # {why}")
            else:
                body.append(f"{target} += {text}  # {why}")
            grad[id(parent)] = target

    body += _param_grads(w, trace, params, grad)
    body.append("return L")
    args = ", ".join(input_names)
    source = f"def forward_backward({args}):\n" + "".join(f"    {line}\n" for line in body)
    return source, w.namespace


def _param_grads(w: _Writer, trace: Trace, params: list[Any], grad: dict[int, float | str]) -> list[str]:
    """The lines giving every parameter its gradient, as ``backward()`` leaves them."""
    lines = ["# the gradients go to the parameters (as backward() leaves them)"]
    seen: set[int] = set()
    for node in trace.order:
        if node._prev or trace.leaf(node).kind != "param" or id(node) in seen:
            continue
        seen.add(id(node))
        obj, _ = w.param_obj[id(node)]
        g = grad.get(id(node), 0.0)
        lines.append(f"{obj}.grad = {literal(g) if isinstance(g, float) else g}")
    present = {trace.leaf(n).index for n in trace.order if not n._prev and trace.leaf(n).kind == "param"}
    for i, p in enumerate(params):
        if i not in present:  # not in this graph: zero_grad() leaves 0 and backward() adds nothing
            obj = w.namer.take(f"param_{p.label}" if p.label else None, f"param{i}")
            w.namespace[obj] = p
            lines.append(f"{obj}.grad = 0.0")
    return lines
