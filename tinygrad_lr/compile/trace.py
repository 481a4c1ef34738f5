"""Recording the graph a loss function builds, and telling its leaves apart.

The compiler never looks inside the user's function: it calls it (with the graph switched on)
and reads the graph it built, as the renderer does. Every leaf of that graph is one of

* a **parameter**: one of the optimizer's parameters (found by identity); its ``data`` is read
  at every step and its ``grad`` written;
* an **input**: data passed to the step as an argument, so it may differ from call to call.
  A ``Tensor`` leaf is an input when its array *is* an input array (or a reshape of one): the
  step will see a new array of the same shape. A ``Value`` leaf is an input when its number is
  one entry of an input;
* a **constant**: anything else (the ``y`` of a closure, the ``n`` of a mean); baked in.

To tell inputs from constants, the function is traced a second time with every input entry
nudged by a different tiny amount. A leaf that moves with an entry is that entry; a leaf that
does not move is a constant; a leaf that moves but is no entry was computed from the data
outside the graph, and the step cannot follow it (:class:`CannotCompile`). The second trace
also checks that the graph's structure does not depend on the data's values.

The first trace is watched (:mod:`.concrete`): a number the function reads from a node that
depends on a parameter or an input (``w.data``, ``float(w)``, ``w.item()``, ``np.asarray(t)``)
is a decision or a constant the code would freeze at the first step's values, so the step
cannot be compiled (:class:`CannotCompile` naming the file and line of the read).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..graph import topological_order
from ..tensor import Tensor
from ..value import Value
from .concrete import Read, watch

__all__ = ["CannotCompile", "Leaf", "Trace", "record", "as_input"]

MAX_VALUE_NODES = 200_000  # straight-line code for more nodes takes Python seconds to compile


class CannotCompile(Exception):
    """This graph cannot be compiled; the message says why (shown in the fallback notice)."""


@dataclass
class Leaf:
    """How a leaf gets its value at every step.

    kind: ``"param"`` (``index`` into the step's parameters), ``"input"`` (``index`` of the
    argument; ``entry`` the flat position of a ``Value`` leaf's number, ``shape`` the reshape of
    a ``Tensor`` leaf's array, ``None`` if it is the input array itself), or ``"const"``.
    """

    kind: str
    index: int = -1
    entry: int = -1
    shape: tuple[int, ...] | None = None


@dataclass
class Trace:
    """One recorded graph: its nodes parents-first, and what each leaf is."""

    engine: str  # "value" or "tensor"
    root: Any
    order: list[Any]
    leaves: dict[int, Leaf] = field(default_factory=dict)  # id(node) -> Leaf

    def leaf(self, node: Any) -> Leaf:
        return self.leaves[id(node)]


def as_input(x: Any) -> Any:
    """An argument as the step passes it to the function: arrays, Tensors and lists as given."""
    return x


def _flat(x: Any) -> np.ndarray:
    data = x.data if isinstance(x, Tensor) else x
    return np.asarray(data, dtype=np.float64).ravel()


def _nudged(inputs: Sequence[Any]) -> tuple[list[Any], list[np.ndarray]]:
    """Copies of the inputs with every entry moved by its own tiny amount (and those amounts)."""
    out: list[Any] = []
    tags: list[np.ndarray] = []
    start = 1
    for x in inputs:
        v = _flat(x)
        k = np.arange(start, start + v.size, dtype=np.float64)
        start += v.size
        t = v + k * 2.0**-30 * np.maximum(1.0, np.abs(v))
        tags.append(t)
        if isinstance(x, Tensor):
            out.append(Tensor(t.reshape(x.shape).astype(x.dtype), requires_grad=x.requires_grad))
        elif isinstance(x, np.ndarray):
            out.append(t.reshape(x.shape).astype(x.dtype if x.dtype.kind == "f" else np.float64))
        elif isinstance(x, (list, tuple)):
            out.append(type(x)(t.reshape(np.shape(x)).tolist()))
        else:
            out.append(float(t[0]))
    return out, tags


def _root(fn: Callable[..., Any], inputs: Sequence[Any]) -> Any:
    root = fn(*inputs)
    if isinstance(root, Value):
        return root
    if isinstance(root, Tensor):
        if root.data.size != 1:
            raise CannotCompile(f"the loss must be a single number, got a Tensor of shape {root.shape}")
        if not root.requires_grad:
            raise CannotCompile("the loss does not depend on any parameter (it does not require grad)")
        return root
    raise CannotCompile(f"the function must return a Value or a Tensor loss, got {type(root).__name__}")


def _op_key(node: Any) -> Any:
    """What must be equal for two nodes to be the same operation."""
    if isinstance(node, Value):
        return node._op
    fn = node._fn
    if fn is None:
        return None
    attrs = []
    for cls in type(fn).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name in ("needs", "a", "b", "out") or not hasattr(fn, name):
                continue
            v = getattr(fn, name)
            attrs.append((name, v.tolist() if isinstance(v, np.ndarray) else repr(v)))
    return (type(fn).__name__, node.data.shape, str(node.data.dtype), tuple(attrs))


def _structure(order: list[Any]) -> list[Any]:
    pos = {id(n): i for i, n in enumerate(order)}
    return [(_op_key(n), tuple(pos[id(p)] for p in n._prev)) for n in order]


def record(fn: Callable[..., Any], inputs: Sequence[Any], params: Sequence[Any]) -> Trace:
    """Trace ``fn(*inputs)`` twice (the second time with nudged inputs) and classify the leaves.

    Raises :class:`CannotCompile` when the graph cannot be followed from step to step.
    """
    with watch() as watched:
        root = _root(fn, inputs)
    engine = "value" if isinstance(root, Value) else "tensor"
    order = topological_order(root)
    if engine == "value" and len(order) > MAX_VALUE_NODES:
        raise CannotCompile(
            f"the Value graph has {len(order):,} nodes, more than {MAX_VALUE_NODES:,} "
            f"(straight-line code for it would take long to compile); use the Tensor engine"
        )
    for node in order:
        if not isinstance(node, type(root)):
            raise CannotCompile(f"the graph mixes {type(root).__name__} and {type(node).__name__} nodes")
    trace = Trace(engine, root, order)
    param_index = {id(p): i for i, p in enumerate(params)}
    read = watched.offender(lambda n: id(n) in param_index)  # before the second trace: its if may differ
    if read is not None:
        raise CannotCompile(_frozen(read, params, None))
    leaves = [n for n in order if not n._prev]
    if not any(id(n) in param_index for n in leaves):
        raise CannotCompile("the loss does not depend on any of the optimizer's parameters")

    nudged, tags = _nudged(inputs)
    root2 = _root(fn, nudged) if inputs else root
    order2 = topological_order(root2) if inputs else order
    if _structure(order2) != _structure(order):
        raise CannotCompile("the graph's structure changes with the values of the inputs")

    where: dict[float, tuple[int, int]] = {}  # a nudged number -> (input, entry): for Value leaves
    for i, t in enumerate(tags if engine == "value" else ()):
        for k, v in enumerate(t.tolist()):
            where.setdefault(v, (i, k))
    flats = [_flat(x) for x in inputs]
    for node, node2 in zip(order, order2):
        if node._prev:
            continue
        if id(node) in param_index:
            trace.leaves[id(node)] = Leaf("param", param_index[id(node)])
        elif engine == "value":
            trace.leaves[id(node)] = _value_leaf(node, node2, where, flats)
        else:
            trace.leaves[id(node)] = _tensor_leaf(node, node2, inputs, nudged)
    inputs_read = {k for k, leaf in trace.leaves.items() if leaf.kind == "input"}
    read = watched.offender(lambda n: id(n) in param_index or id(n) in inputs_read)
    if read is not None:
        raise CannotCompile(_frozen(read, params, trace))
    return trace


def _frozen(read: Read, params: Sequence[Any], trace: Trace | None) -> str:
    """The fallback's words for a read of a number that depends on the parameters or inputs."""
    node = read.node
    name = getattr(node, "label", None) or getattr(node, "name", None)
    if any(node is p for p in params):
        what = f"the parameter {name}" if name else "a parameter"
    elif trace is not None and id(node) in trace.leaves:
        what = "an input"
    else:
        what = "a number computed from the parameters or inputs"
    return (
        f"the function reads the value of {what} ({read.how}) at {read.where()} while it is traced: "
        "an if, an index or a constant made from it would be frozen at the first step's numbers, "
        "so every step runs the function again (to compile, keep the computation in the graph's "
        "ops, and read shapes with .shape)"
    )


def _value_leaf(
    node: Value, node2: Value, where: dict[float, tuple[int, int]], flats: list[np.ndarray]
) -> Leaf:
    a, a2 = node.data, node2.data
    if a2 == a or (math.isnan(a) and math.isnan(a2)):
        return Leaf("const")
    hit = where.get(a2)
    if hit is not None and flats[hit[0]][hit[1]] == a:
        return Leaf("input", hit[0], entry=hit[1])
    raise CannotCompile(
        f"a Value leaf ({a!r}) changes with the inputs but is none of their entries: it was computed "
        "from the data outside the graph; compute it inside the function from Values, or pass it as an input"
    )


def _tensor_leaf(node: Tensor, node2: Tensor, inputs: Sequence[Any], nudged: Sequence[Any]) -> Leaf:
    for i, (x, x2) in enumerate(zip(inputs, nudged)):
        arr = x.data if isinstance(x, Tensor) else x
        arr2 = x2.data if isinstance(x2, Tensor) else x2
        if not isinstance(arr, np.ndarray):
            continue
        if node.data is arr and node2.data is arr2:
            return Leaf("input", i)
        if _reshape_of(node.data, arr) and _reshape_of(node2.data, arr2):
            return Leaf("input", i, shape=node.data.shape)
    same = node.data.shape == node2.data.shape and np.array_equal(node.data, node2.data, equal_nan=True)
    if same:
        return Leaf("const")
    raise CannotCompile(
        f"a Tensor leaf of shape {node.data.shape} changes with the inputs but is none of them: it was "
        "computed from the data outside the graph (or a list input was copied); pass numpy arrays as "
        "inputs and compute inside the function"
    )


def _reshape_of(view: np.ndarray, base: np.ndarray) -> bool:
    """True if ``view`` is ``base.reshape(view.shape)`` (the same memory, in the same order)."""
    if view.size != base.size or view.dtype != base.dtype or not np.shares_memory(view, base):
        return False
    if not (view.flags.c_contiguous and base.flags.c_contiguous):
        return False
    return bool(view.__array_interface__["data"][0] == base.__array_interface__["data"][0])
