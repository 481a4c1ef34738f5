"""What a learner calls each node, and how its numbers are written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..ops import ATOM, SUM, Op
from ..tensor import Tensor

_PARAM_LABEL = re.compile(r"^(w|b|theta)(_?\d+|\[\d+\])?$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NUMBER = re.compile(r"^-?\d[\d.]*(e[+-]?\d+)?$")


def num(x: float) -> str:
    """A number as a learner writes it: ``-4``, ``0.18``, ``12.9612``."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def factor(s: str) -> str:
    """A number or expression as a factor of a product: negative ones in parentheses."""
    return f"({s})" if s.startswith("-") else s


def _wrap(name: str) -> str:
    """``f`` stays ``f``; ``w*x`` becomes ``(w*x)``, as in ``d(w*x)/dw``; numbers stay as they are."""
    if _NUMBER.match(name):
        return name if not name.startswith("-") else f"({name})"
    return name if _IDENT.match(name) else f"({name})"


def derivative(top: str, bottom: str) -> str:
    return f"d{_wrap(top)}/d{_wrap(bottom)}"


def summary(a: Any, digits: int = 6) -> str:
    """A short summary of a Tensor's values: all of them when few, else the ends and the mean.

    ``digits``: significant digits of each element of an array (a picture's boxes use 4, to
    stay narrow; a single number always gets 6).
    """
    import numpy as np

    arr = np.asarray(a, dtype=float)
    flat = arr.reshape(-1)
    if arr.ndim == 0 or flat.size == 1:
        return num(flat[0])

    def entry(x: float) -> str:
        s = f"{float(x):.{digits}g}"
        return "0" if s == "-0" else s

    if flat.size <= 6:
        return "[" + ", ".join(entry(v) for v in flat) + "]"
    return f"[{entry(flat[0])}, {entry(flat[1])}, ..., {entry(flat[-1])}]  mean {entry(flat.mean())}"


BOX_DIGITS = 4  # an array's elements in a picture's box


def grad_known(node: Any, root: Any, grads: bool | None) -> bool:
    """The rule of the module docstring: may this node's ``grad`` be shown as a number?"""
    if isinstance(node, Tensor):
        return node.grad is not None and grads is not False
    if grads is not None:
        return grads
    return root.grad != 0.0


def grad_text_of(node: Any) -> str:
    return summary(node.grad, BOX_DIGITS) if isinstance(node, Tensor) else num(node.grad)


def grad_label(g: Any) -> str | None:
    """A gradient for a label: a number, a short array summary, or None (not known)."""
    if g is None:
        return None
    return num(g) if isinstance(g, float) else summary(g, BOX_DIGITS)


def data_text(node: Any) -> str:
    return summary(node.data, BOX_DIGITS) if isinstance(node, Tensor) else num(node.data)


def node_role(node: Any, param_ids: set[int] | None, data_ids: Iterable[int] = ()) -> str:
    """``param``, ``data``, ``const`` (leaves) or ``inner`` (computed nodes). ``data_ids``: the
    unlabelled numbers :func:`node_names` found to be a loss's data (:attr:`Names.data`)."""
    if node._prev:
        return "inner"
    if id(node) in data_ids:
        return "data"
    if param_ids is not None:
        if id(node) in param_ids:
            return "param"
    elif isinstance(node, Tensor):
        if node.requires_grad:
            return "param"
    elif node.label and _PARAM_LABEL.match(node.label):
        return "param"
    return "data" if node.label else "const"


@dataclass
class Names:
    """What every node of one graph is called, the same in every picture and caption.

    ``name[id(node)]``: the short name used in captions and in other nodes' formulas (``w``,
    ``x1``, ``w*x1``, ``f1``, ``f1 - y1``, ``L1``, ``2``); unique within the graph.
    ``title[id(node)]``: the first line of the node's box: the name, or the name with its
    formula when the name hides it (``f1 = w*x1 + b``, ``L = L1 + L2 + L3``,
    ``partial sum L1 + L2``). ``sample[id(node)]``: for a loss summed over samples, the
    1-based sample a node belongs to alone (absent for shared nodes such as ``w``, ``b``).
    """

    name: dict[int, str]
    title: dict[int, str]
    sample: dict[int, int]
    precedence: dict[int, int]  # how tightly the name binds, for putting it inside a formula
    data: frozenset[int] = frozenset()  # unlabelled numbers that are a summed loss's data (x1, y1)


NAME_MAX = 18  # a longer formula gets a letter of its own, and the box shows "u1 = <formula>"
_LETTERS = "uvzpqrst"
_SUM_SHOWN = 3  # L = L1 + L2 + L3 in full; more terms: L = L1 + L2 + ... + L100


def op_symbol(node: Any) -> str:
    """A node's operation as the picture's ellipse shows it: ``*``, ``+``, ``^2``, ``exp`` (its
    op definition's ``label``; ``""`` for a leaf)."""
    fn = node.grad_fn
    return "" if fn is None else str(getattr(fn, "label", fn.symbol))


def formula(node: Any, names: dict[int, str], prec: dict[int, int]) -> tuple[str, int]:
    """The node as a formula of its parents' names, with the formula's precedence.

    ``w*x1``, ``w*x1 + b``, ``f1 - y1``, ``(f1 - y1)^2``, ``exp(a)``, ``X@w``: written by the
    op's definition (:meth:`tinygrad_lr.ops.Op.formula`), parentheses only where needed.
    """
    args = [names[id(p)] for p in node._prev]
    fn = node.grad_fn
    if isinstance(fn, Op):
        return fn.formula(args, [prec[id(p)] for p in node._prev])
    return f"{node.op}({', '.join(args)})", ATOM  # an opaque numpy Function


def _leaf_name(node: Any) -> str:
    """An unlabelled leaf: a plain number mixed into the formula is written as its value."""
    if isinstance(node, Tensor):
        return num(node.data.reshape(-1)[0]) if node.data.size == 1 else "c"
    return num(node.data)


def _loss_sum(order: Sequence[Any], root: Any) -> tuple[Any, list[Any], list[Any]] | None:
    """A loss summed over samples: ``(top, terms, partial_sums)``, or None.

    ``top`` is the root or, for a mean, the sum the root divides by a number. The terms are
    what the ``+`` nodes below ``top`` add up, in order (a constant 0 that ``sum()`` starts
    from is left out), computed by the same operation; the partial sums are the inner ``+``
    nodes that nothing but the sum uses.
    """
    top = root
    if (
        top.op == "/"
        and len(top._prev) == 2
        and not top._prev[1]._prev
        and not top._prev[1].label
        and top._prev[0].op == "+"
    ):
        top = top._prev[0]
    if top.op != "+":
        return None
    users: dict[int, int] = {}
    for node in order:
        for p in node._prev:
            users[id(p)] = users.get(id(p), 0) + 1
    terms: list[Any] = []
    partial: list[Any] = []
    stack = [top]
    while stack:  # left to right: the order the terms were added in
        node = stack.pop()
        if node is top or (node.op == "+" and users.get(id(node)) == 1):
            if node is not top:
                partial.append(node)
            stack.extend(reversed(node._prev))
        elif node._prev or node.label or float(getattr(node, "data", 1.0)) != 0.0:
            terms.append(node)
    if len(terms) < 2 or any(not t._prev for t in terms) or len({t.op for t in terms}) != 1:
        return None
    return top, terms, partial


def _own_nodes(terms: Sequence[Any]) -> dict[int, int]:
    """Sample k's own nodes (ancestors of term k and of no other term) -> k (1-based)."""
    owner: dict[int, int] = {}
    shared: set[int] = set()
    for k, term in enumerate(terms, 1):
        stack, seen = [term], set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if id(node) in owner and owner[id(node)] != k:
                shared.add(id(node))
            owner.setdefault(id(node), k)
            stack.extend(node._prev)
    return {i: k for i, k in owner.items() if i not in shared}


def _joined(parts: Sequence[str]) -> str:
    if len(parts) > _SUM_SHOWN + 1:
        parts = [*parts[: _SUM_SHOWN - 1], "...", parts[-1]]
    return " + ".join(parts)


def sample_data(order: Sequence[Any], sample: dict[int, int]) -> dict[int, str]:
    """The data of a loss summed over samples that came in as plain numbers (``w * 1.0 + b``):
    each sample's own unlabelled numbers, position by position, where the value differs between
    the samples, named as the model and the losses name theirs -- ``y1`` for the target of
    ``(f - y)^2``, ``x1`` for an input (``x1_1``, ``x1_2`` ... for several); a number that is the
    same in every sample (the ``2`` of ``2*w``), or whose label was set to ``""``, stays a number."""
    own: dict[int, list[Any]] = {}
    for node in order:
        # label None: never named (an empty label "" asks for the number itself, as docs/compile.md does)
        if not node._prev and node.label is None and not isinstance(node, Tensor) and id(node) in sample:
            own.setdefault(sample[id(node)], []).append(node)
    if len(own) < 2 or len({len(nodes) for nodes in own.values()}) != 1:
        return {}
    targets = {
        id(node._prev[0]._prev[1])
        for node in order
        if node.op == "**2" and node._prev[0].op == "-" and not node._prev[0]._prev[1]._prev
    }
    columns = [c for c in zip(*(own[k] for k in sorted(own))) if len({float(n.data) for n in c}) > 1]
    is_target = [any(id(n) in targets for n in c) for c in columns]
    n_inputs = is_target.count(False)
    out: dict[int, str] = {}
    j = 0
    for column, target in zip(columns, is_target):
        j += not target
        for node in column:
            k = sample[id(node)]
            out[id(node)] = f"y{k}" if target else f"x{k}" if n_inputs == 1 else f"x{k}_{j}"
    return out


def node_names(order: Sequence[Any], root: Any) -> Names:
    """Name every node of the graph behind ``root`` (``order``: its topological order).

    * a label wins (``w``, ``b``, ``x1``, ``y1``, ``f1``: the user's, or the model's and the
      losses' own for the data and predictions they create);
    * an unlabelled leaf is its number (``2``): a plain Python number mixed into the formula;
    * the root is ``L`` (unless labelled); for a loss summed over samples the terms are ``L1``,
      ``L2``, ... in the order they are added and the root reads ``L = L1 + L2 + L3``
      (for a mean, ``S = L1 + L2 + L3`` and ``L = S/3``); the inner sums are partial sums;
    * any other node is the formula of its parents' names (``w*x1``, ``f1 - y1``,
      ``(f1 - y1)^2``); a formula longer than 18 characters gets a letter (``u1``), with the
      formula shown in the node's box;
    * where two nodes would get one name, the sample index (or a count) tells them apart:
      ``(w*2)_1`` and ``(w*2)_2`` (numbers need none: each is its own value);
    * ``f`` (``f1``, ``f2``, ...) is the prediction in a squared error ``(f - y)^2``.
    """
    namer = _Naming(order, root)
    for node in order:
        namer.add(node)
    return Names(namer.names, namer.titles, namer.sample, namer.prec, frozenset(namer.data))


class _Naming:
    """The state :func:`node_names` builds up, node by node, parents first."""

    def __init__(self, order: Sequence[Any], root: Any) -> None:
        self.root = root
        self.names: dict[int, str] = {}
        self.titles: dict[int, str] = {}
        self.prec: dict[int, int] = {}
        self.sample: dict[int, int] = {}
        self.term_index: dict[int, int] = {}
        self.partial_ids: set[int] = set()
        self.top: Any = None
        summed = _loss_sum(order, root)
        if summed is not None:
            self.top, terms, partial = summed
            self.sample = _own_nodes(terms)
            self.term_index = {id(t): k for k, t in enumerate(terms, 1)}
            self.partial_ids = {id(p) for p in partial}
        self.data = sample_data(order, self.sample)  # x1, y1 given as plain numbers
        self.predictions = {  # f in (f - y)^2, with y a leaf: the model's prediction
            id(node._prev[0]._prev[0])
            for node in order
            if node.op == "**2" and node._prev[0].op == "-" and not node._prev[0]._prev[1]._prev
        }
        self.root_name = str(root.label) if root.label else "L"
        self.term_stem = self.root_name if len(self.root_name) == 1 and _IDENT.match(self.root_name) else "L"
        self.used: dict[str, int] = {}
        self.letters: dict[str, str] = {}
        self.plain_terms: dict[int, list[str]] = {}  # a partial sum's terms' names, for "L1 + L2 + L3"

    def add(self, node: Any) -> None:
        i = id(node)
        text: str | None = None
        if i in self.partial_ids or node is self.top:
            # a partial sum the user named (t9) is written by its name, not opened up
            parts = [n for p in node._prev for n in self._terms_of(p)]
            parts = [s for s in parts if s != "0"]
            self.plain_terms[i] = parts
            text, precedence = _joined(parts), SUM
        elif node._prev:
            text, precedence = formula(node, self.names, self.prec)
        else:
            precedence = ATOM
        name, precedence = self._name(node, text, precedence)
        name, precedence = self._distinct(i, name, precedence)
        self.used.setdefault(name, 1)
        self.names[i], self.prec[i] = name, precedence
        if i in self.partial_ids and not node.label:
            self.titles[i] = f"partial sum {name}"
        elif text is not None and text != name:
            self.titles[i] = f"{name} = {text}"
        else:
            self.titles[i] = name

    def _terms_of(self, p: Any) -> list[str]:
        """The names a sum's input adds: its own, or a partial sum's terms (unless the user named
        the partial sum, t9: then it is written by that name, not opened up)."""
        own = [self.names[id(p)]]
        return own if p.label else self.plain_terms.get(id(p), own)

    def _name(self, node: Any, text: str | None, precedence: int) -> tuple[str, int]:
        i = id(node)
        if node.label:
            return str(node.label), ATOM
        if node is self.root:
            return self.root_name, ATOM
        if node is self.top:
            return "S", ATOM
        if i in self.term_index:
            return f"{self.term_stem}{self.term_index[i]}", ATOM
        if i in self.data:
            return self.data[i], ATOM
        if not node._prev:
            return _leaf_name(node), precedence
        if i in self.predictions:
            return f"f{self.sample.get(i, '')}", ATOM
        name = text or ""
        if i not in self.partial_ids and len(name) > NAME_MAX:
            key = re.sub(r"\d+", "#", name)
            if key not in self.letters:
                free = (c for c in _LETTERS if c not in self.letters.values() and c not in self.used)
                self.letters[key] = next(free, f"u{len(self.letters)}")
            return self.letters[key] + (str(self.sample[i]) if i in self.sample else ""), ATOM
        return name, precedence

    def _distinct(self, i: int, name: str, precedence: int) -> tuple[str, int]:
        """Where two nodes would get one name, the sample index (or a count) tells them apart
        (numbers need no telling apart: each is its own value)."""
        if name not in self.used or _NUMBER.match(name):
            return name, precedence
        self.used[name] += 1
        k = self.sample.get(i, self.used[name])
        base = name if _IDENT.match(name) else f"({name})"
        name = f"{base}_{k}"
        while name in self.used:
            name += "'"
        return name, ATOM


def short_names(order: Sequence[Any], root: Any) -> dict[int, str]:
    """The short name of every node (:func:`node_names`), for captions."""
    return node_names(order, root).name


def ids_of_params(params: Iterable[Any] | None) -> set[int] | None:
    return None if params is None else {id(p) for p in params}
