"""What a learner calls each node, and how its numbers are written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..tensor import Tensor

_PARAM_LABEL = re.compile(r"^(w|b|theta)(_?\d+|\[\d+\])?$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NAME_MAX = 14  # longer derived names fall back to n<index>


def _num(x: float) -> str:
    """A number as a learner writes it: ``-4``, ``0.18``, ``12.9612``."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def _factor(s: str) -> str:
    """A number or expression as a factor of a product: negative ones in parentheses."""
    return f"({s})" if s.startswith("-") else s


def _wrap(name: str) -> str:
    """``f`` stays ``f``; ``w*x`` becomes ``(w*x)``, as in ``d(w*x)/dw``."""
    return name if _IDENT.match(name) else f"({name})"


def _d(num: str, den: str) -> str:
    return f"d{_wrap(num)}/d{_wrap(den)}"


def _summary(a: Any) -> str:
    """A short summary of a Tensor's values: all of them when few, else the ends and the mean."""
    import numpy as np

    arr = np.asarray(a, dtype=float)
    flat = arr.reshape(-1)
    if arr.ndim == 0 or flat.size == 1:
        return _num(flat[0])
    if flat.size <= 6:
        return "[" + ", ".join(_num(v) for v in flat) + "]"
    return f"[{_num(flat[0])}, {_num(flat[1])}, ..., {_num(flat[-1])}]  mean {_num(flat.mean())}"


def _grad_known(node: Any, root: Any, grads: bool | None) -> bool:
    """The rule of the module docstring: may this node's ``grad`` be shown as a number?"""
    if isinstance(node, Tensor):
        return node.grad is not None and grads is not False
    if grads is not None:
        return grads
    return root.grad != 0.0


def _grad_text(node: Any) -> str:
    return _summary(node.grad) if isinstance(node, Tensor) else _num(node.grad)


def _text(g: Any) -> str | None:
    """A gradient for a label: a number, a short array summary, or None (not known)."""
    if g is None:
        return None
    return _num(g) if isinstance(g, float) else _summary(g)


def _data_text(node: Any) -> str:
    return _summary(node.data) if isinstance(node, Tensor) else _num(node.data)


def _role(node: Any, param_ids: set[int] | None) -> str:
    """``param``, ``data``, ``const`` (leaves) or ``inner`` (computed nodes)."""
    if node._prev:
        return "inner"
    if param_ids is not None:
        if id(node) in param_ids:
            return "param"
    elif isinstance(node, Tensor):
        if node.requires_grad:
            return "param"
    elif node.label and _PARAM_LABEL.match(node.label):
        return "param"
    return "data" if node.label else "const"


def _names(order: Sequence[Any], root: Any) -> dict[int, str]:
    """A short, unique name per node, used in pictures and captions.

    A label wins; a constant is its number; the root is ``L``; another computed node is the
    expression of its parents' names (``w*x``, ``(f-y)**2``) when that is short, else
    ``n<position in the topological order>``.
    """
    names: dict[int, str] = {}
    used: dict[str, int] = {}
    for i, node in enumerate(order):
        if node.label:
            name = str(node.label)
        elif node is root:
            name = "L"
        elif not node._prev:
            name = _num(node.data) if not isinstance(node, Tensor) else f"c{i}"
        else:
            name = _expression(node, names)
            if len(name) > _NAME_MAX or name in used:
                name = f"n{i}"
        if name in used:
            used[name] += 1
            name = f"{name}#{used[name]}"
        used.setdefault(name, 1)
        names[id(node)] = name
    return names


def _expression(node: Any, names: dict[int, str]) -> str:
    """``w*x`` for a product of w and x, ``(f-y)**2``, ``exp(a)``: the node as a formula."""
    op = node.op
    args = [names[id(p)] for p in node._prev]

    def arg(s: str) -> str:
        return s if _IDENT.match(s) or re.match(r"^\d[\d.e+]*$", s) else f"({s})"

    if len(args) == 2 and op in ("+", "-", "*", "/", "**", "@"):
        return f"{arg(args[0])}{op}{arg(args[1])}"
    if len(args) == 1 and op.startswith("**"):
        return f"{arg(args[0])}{op}"
    if len(args) == 1 and op.endswith("**"):
        return f"{op}{arg(args[0])}"
    if len(args) == 1 and op == "neg":
        return f"-{arg(args[0])}"
    return f"{op}({', '.join(args)})"


def _param_ids(params: Iterable[Any] | None) -> set[int] | None:
    return None if params is None else {id(p) for p in params}
