"""A ``Value`` graph written out as straight-line scalar Python.

The forward pass is one assignment per node, in the order the graph was built. The backward
pass is ``graph.run_backward`` unrolled: the nodes in reverse order, and at each node, for each
parent, the chain rule ``dL/d(parent) += dL/d(node) * d(node)/d(parent)`` with the local
derivative written as the engine computes it (see :mod:`tinygrad_lr.value`). Because the
operations and their order are the engine's, the numbers are the engine's, to the bit.

Only gradients that lead to a parameter are computed. Where a gradient or a local derivative
is a number known before the step runs (``dL/dL = 1``, ``d(a+b)/da = 1``), the product is
worked out once, here, with the same float arithmetic, instead of at every step.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from ..value import Value, _real_pow
from .names import Namer, literal
from .trace import CannotCompile, Trace

__all__ = ["value_program"]


def _log(a: float) -> float:
    if not a > 0.0:
        raise ValueError(f"log of {a!r}")  # the step then runs eagerly, which says it properly
    return math.log(a)


def _pow_value(a: float, b: float) -> float:
    if a <= 0.0:
        raise ValueError(f"{a!r} ** Value")
    return _real_pow(a, b)


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a)) if a >= 0.0 else math.exp(a) / (1.0 + math.exp(a))


def _floats(x: Any) -> list[float]:
    return np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64).ravel().tolist()


def _nonzero(a: float) -> float:
    if a == 0.0:
        raise ValueError("the slope of a ** n is infinite at 0")
    return a


NAMESPACE: dict[str, Any] = {
    "_exp": math.exp,
    "_tanh": math.tanh,
    "_sqrt": math.sqrt,
    "_log": _log,
    "_real_pow": _real_pow,
    "_pow_value": _pow_value,
    "_sigmoid": _sigmoid,
    "_nonzero": _nonzero,
    "_floats": _floats,
    "_inf": math.inf,
    "_nan": math.nan,
}


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _int_valued(x: float) -> bool:
    return math.isfinite(x) and x == round(x)


def _powf(a: str, n: float) -> str:
    """``a ** n`` as the engine computes it (``_real_pow``): plain ``**`` where that is always real."""
    if n == 1.0:
        return a  # a ** 1.0 is a itself
    return f"{a} ** {literal(n)}" if _int_valued(n) else f"_real_pow({a}, {literal(n)})"


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

    def forward_line(self, node: Value, name: str) -> str:
        op = node._op
        args = [self.expr[id(p)] for p in node._prev]
        if op in ("+", "-", "*", "/"):
            return f"{name} = {args[0]} {op} {args[1]}"
        if op == "neg":
            return f"{name} = -{args[0]}"
        if op == "**":
            return f"{name} = _pow_value({args[0]}, {args[1]})"
        if op.startswith("**"):
            n = self._exponent(node)
            text = _powf(args[0], n)
            if n != 0.0 and n < 1.0:  # the engine refuses 0 ** n here: the slope is infinite
                text = _powf(f"_nonzero({args[0]})", n)
            return f"{name} = {text}"
        if op.endswith("**"):
            c = self._base(node)
            return f"{name} = {literal(c)} ** {args[0]}"
        if op == "exp":
            return f"{name} = _exp({args[0]})"
        if op == "log":
            return f"{name} = _log({args[0]})"
        if op == "tanh":
            return f"{name} = _tanh({args[0]})"
        if op == "sqrt":
            return f"{name} = _sqrt({args[0]})"
        if op == "sigmoid":
            return f"{name} = _sigmoid({args[0]})"
        if op == "relu":
            return f"{name} = {args[0]} if {args[0]} > 0.0 else 0.0"
        if op == "abs":
            return f"{name} = abs({args[0]})"
        raise CannotCompile(f"the Value operation {op!r} is not known to the compiler")

    def _exponent(self, node: Value) -> float:
        n = _parse_number(node._op[2:])
        (a,) = node._prev
        if n is None or not _same(_safe(lambda: _real_pow(a.data, n)), node.data):
            raise CannotCompile(f"the exponent of {node._op!r} is shown rounded and cannot be recovered")
        return n

    def _base(self, node: Value) -> float:
        c = _parse_number(node._op[:-2])
        (x,) = node._prev
        if c is None or c <= 0.0 or not _same(_safe(lambda: _real_pow(c, x.data)), node.data):
            raise CannotCompile(f"the base of {node._op!r} is shown rounded and cannot be recovered")
        return c

    # --- backward -------------------------------------------------------------------------

    def local(self, node: Value, i: int, out: str) -> tuple[str, float | str]:
        """``d(node)/d(parent i)``: a comment saying what it is, and its value (number or code)."""
        op = node._op
        args = [self.expr[id(p)] for p in node._prev]
        consts = [self.const.get(id(p)) for p in node._prev]
        if op == "+":
            return "d(a+b)/da = d(a+b)/db = 1", 1.0
        if op == "-":
            return ("d(a-b)/da = 1", 1.0) if i == 0 else ("d(a-b)/db = -1", -1.0)
        if op == "*":
            other = 1 - i
            known = consts[other]
            value: float | str = known if known is not None else args[other]
            return ("d(a*b)/da = b" if i == 0 else "d(a*b)/db = a"), value
        if op == "/":
            a, b = args
            if i == 0:
                return "d(a/b)/da = 1/b", f"(1.0 / {b})"
            return "d(a/b)/db = -a/b**2", f"(-{a} / ({b} * {b}))"
        if op == "neg":
            return "d(-a)/da = -1", -1.0
        if op == "**":
            a, b = args
            if i == 0:
                return "d(a**b)/da = b * a**(b-1)", f"({b} * _real_pow({a}, {b} - 1.0))"
            return "d(a**b)/db = a**b * log(a)", f"({out} * _log({a}))"
        if op.startswith("**"):
            n = self._exponent(node)
            if n == 0.0:
                return "d(a**0)/da = 0", 0.0
            m = n - 1.0
            if m == 0.0:
                return "d(a**1)/da = 1", n * 1.0
            return f"d(a**n)/da = n * a**(n-1), n = {n:g}", f"({literal(n)} * {_powf(args[0], m)})"
        if op.endswith("**"):
            c = self._base(node)
            return f"d(c**x)/dx = c**x * log(c), c = {c:g}", f"({out} * {literal(math.log(c))})"
        if op == "exp":
            return "d(exp a)/da = exp a", out
        if op == "log":
            return "d(log a)/da = 1/a", f"(1.0 / {args[0]})"
        if op == "tanh":
            return "d(tanh a)/da = 1 - tanh(a)**2", f"(1.0 - {out} * {out})"
        if op == "sqrt":
            return "d(sqrt a)/da = 1/(2 sqrt a)", f"(0.5 / {out} if {out} > 0.0 else _inf)"
        if op == "sigmoid":
            return "d(sigmoid a)/da = s (1 - s)", f"({out} * (1.0 - {out}))"
        if op == "relu":
            return "d(relu a)/da = 1 if a > 0 else 0", f"(1.0 if {args[0]} > 0.0 else 0.0)"
        if op == "abs":
            a = args[0]
            return "d|a|/da = sign(a)", f"(1.0 if {a} > 0.0 else -1.0 if {a} < 0.0 else 0.0)"
        raise CannotCompile(f"the Value operation {op!r} is not known to the compiler")


def _safe(f: Callable[[], float]) -> float | None:
    try:
        return f()
    except (ArithmeticError, ValueError):
        return None


def _same(a: float | None, b: float) -> bool:
    return a is not None and (a == b or (math.isnan(a) and math.isnan(b)))


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

    body.append("# the gradients go to the parameters (as backward() leaves them)")
    seen: set[int] = set()
    for node in trace.order:
        if node._prev or trace.leaf(node).kind != "param" or id(node) in seen:
            continue
        seen.add(id(node))
        obj, _ = w.param_obj[id(node)]
        g = grad.get(id(node), 0.0)
        body.append(f"{obj}.grad = {literal(g) if isinstance(g, float) else g}")
    present = {trace.leaf(n).index for n in trace.order if not n._prev and trace.leaf(n).kind == "param"}
    for i, p in enumerate(params):
        if i not in present:  # not in this graph: zero_grad() leaves 0 and backward() adds nothing
            obj = w.namer.take(f"param_{p.label}" if p.label else None, f"param{i}")
            w.namespace[obj] = p
            body.append(f"{obj}.grad = 0.0")
    body.append("return L")
    args = ", ".join(input_names)
    source = f"def forward_backward({args}):\n" + "".join(f"    {line}\n" for line in body)
    return source, w.namespace
