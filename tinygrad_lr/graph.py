"""The graph machinery shared by :class:`~tinygrad_lr.Value` and :class:`~tinygrad_lr.Tensor`.

Every node of a computation graph (a ``Value`` or a ``Tensor``) has

* ``_prev``: the tuple of nodes it was computed from (empty for a leaf), in argument order, so
  pictures and tests are deterministic;
* ``grad``: ``dL/d(node)``, filled in by the backward pass;
* ``_backward()``: a method that takes ``self.grad`` (``dL/d(out)``) and *adds*
  ``dL/d(out) * d(out)/d(parent)`` to each parent's ``grad`` -- the chain rule, one node at a time;
* ``_reset_grad()``: a method that sets an intermediate node's gradient back to "nothing yet".

This module knows nothing else about the nodes: it finds the order in which the chain rule
must visit them, and drives the backward pass in that order. The order is built with an
explicit stack, never recursion, so a graph of millions of nodes backpropagates under
Python's default recursion limit.

It also passes on the ``no_grad`` switch (:mod:`tinygrad_lr.grad_mode`): inside ``with no_grad():``
operations build no graph.

**Gradients of gradients.** :func:`backward_graph` (``L.backward(create_graph=True)``) and
:func:`grad` run the same chain rule with graph nodes instead of numbers: each node's
``_backward_graph(g)`` returns ``dL/d(parent)`` built from the engine's own operations, so the
gradient is a graph that can be drawn and differentiated again. The first-order pass above
never builds those nodes.

**Pictures.** ``node.draw()`` is a lens (the drawing code, :mod:`tinygrad_lr.viz`), which sits
above the engines: an engine never imports it. The drawing package registers its
``draw_graph`` here when it is imported (:func:`register_display`), and :func:`display` calls it.

**Watching a pass.** Hooks (``register_hook``) and ``detect_anomaly()`` need to look at every
gradient as it is completed. While any hook exists or anomaly mode is on, ``run_backward``
takes a second, watched loop (one flag test per pass); otherwise it runs the plain loop.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from .errors import InputError, describe
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Node",
    "topological_order",
    "run_backward",
    "backward_graph",
    "grad",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "gc_paused",
    "RemovableHandle",
    "register_display",
    "display",
    "check_nodes",
]


class Node(Protocol):
    """What the machinery needs from a graph node (``Value`` and ``Tensor`` both provide it)."""

    _prev: tuple[Any, ...]

    def _backward(self) -> None: ...

    def _reset_grad(self) -> None: ...


def topological_order(root: Node) -> list[Any]:
    """Return every node ``root`` depends on, each exactly once, parents before children.

    ``root`` comes last. Reversed, this is the order in which the chain rule visits the nodes:
    a node's gradient is complete once every node computed *from* it has been visited.

    It is a depth-first search with an explicit stack instead of recursion, so its depth is
    limited by memory, not by the recursion limit. The node on top of the stack either has a
    parent not seen yet, which goes on the stack above it (or, if it is a leaf, straight into
    the order), or has all its parents placed, and is placed itself.

    Nodes are kept in a set, so they must hash by identity: a node class that defines
    ``__eq__`` must keep ``__hash__ = object.__hash__``.
    """
    order: list[Any] = []
    seen = {root}
    stack = [root]
    while stack:
        node = stack[-1]
        for parent in node._prev:
            if parent not in seen:
                seen.add(parent)
                if parent._prev:
                    stack.append(parent)  # explore it before coming back to `node`
                    break
                order.append(parent)  # a leaf has no parents: it is placed at once
        else:  # every parent is placed: the node itself can go
            order.append(stack.pop())
    return order


def run_backward(root: Node, seed: Callable[[Any], None]) -> list[Any]:
    """Backpropagate from ``root``: the one backward driver of both engines.

    1. Find the topological order of the graph.
    2. Reset every *intermediate* node's gradient, so that each pass starts them from nothing;
       leaves keep theirs, so gradients of parameters accumulate across calls (as in PyTorch).
    3. ``seed(root)`` sets ``dL/dL`` (1 for a scalar loss).
    4. Visit the nodes from ``root`` back to the leaves; each pushes its gradient into its
       parents with the chain rule.

    Returns the order (parents first), for callers that want to show the pass step by step.
    """
    if watched:  # a hook is registered or detect_anomaly() is on
        return _run_backward_watched(root, seed)
    # The cyclic garbage collector is paused (see gc_paused), switched off before anything is
    # allocated here: an allocation could set off the collection that a paused build deferred.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        order = topological_order(root)
        inner = [node for node in order if node._prev]  # leaves have no chain rule to apply
        for node in inner:
            node._reset_grad()
        seed(root)
        for node in reversed(inner):
            node._backward()
    finally:
        if was_enabled:
            gc.enable()
    return order


def _run_backward_watched(root: Node, seed: Callable[[Any], None]) -> list[Any]:
    """``run_backward`` with every completed gradient shown to the hooks and the anomaly checker.

    The same steps, visiting the leaves too: a node's gradient is complete when it is reached
    in the reversed order (everything computed from it was visited), which is when its hooks
    run. A leaf with hooks collects this pass's gradient on its own first, so the hook sees
    that, not the sum with earlier passes.
    """
    observer = pass_observer
    with gc_paused():
        order = topological_order(root)
        if observer is not None:
            observer.check_forward(order, root)
        for node in order:
            if node._prev:
                node._reset_grad()
        earlier = {}
        for node in order:
            if not node._prev and hooks_of(node):
                earlier[node] = node.grad
                node._reset_grad()
        seed(root)
        if observer is not None:
            observer.check_backward(None, root, order)
        check = None if observer is None else _hook_check(observer, root, order)
        for node in reversed(order):
            hooks = hooks_of(node)
            if hooks:
                _call_hooks(node, hooks, node.grad, _set_grad, check)
            if node._prev:
                node._backward()
                if observer is not None:
                    observer.check_backward(node, root, order)
        for leaf, old in earlier.items():
            leaf.grad = _add(old, leaf.grad)
    return order


def _set_grad(node: Any, g: Any) -> None:
    node.grad = g


def _call_hooks(
    node: Any,
    hooks: list[Callable[[Any], Any]],
    g: Any,
    store: Callable[[Any, Any], None],
    check: Callable[[Any, Any, Any, Any], None] | None = None,
) -> None:
    """Show ``g`` (the node's complete gradient) to each hook; a returned value replaces it.
    ``check(node, hook, given, returned)`` (anomaly mode's) sees each replacement a hook made."""
    if g is None:  # a Tensor that nothing downstream sent a gradient to
        return
    changed = False
    for hook in list(hooks):
        new = hook(g)
        if new is not None:
            given, g, changed = g, _check_replacement(node, g, new), True
            if check is not None:
                check(node, hook, given, g)
    if changed:
        store(node, g)


def _hook_check(observer: Any, root: Any, order: list[Any]) -> Callable[[Any, Any, Any, Any], None] | None:
    """The observer's check of what a hook returned, for this pass (``None`` if it has none)."""
    check_hook = getattr(observer, "check_hook", None)
    if check_hook is None:
        return None
    return lambda node, hook, given, g: check_hook(node, hook, given, g, root, order)


def _check_replacement(node: Any, old: Any, new: Any) -> Any:
    if np.shape(new) != np.shape(old):
        raise ValueError(
            f"a hook on {_describe(node)} returned a gradient of shape {np.shape(new)}; "
            f"it must have the gradient's shape {np.shape(old)}"
        )
    if isinstance(old, float):
        return new if type(new) is float or hasattr(new, "_prev") else float(new)
    return new


def _describe(node: Any) -> str:
    name = getattr(node, "label", None)
    return repr(name) if name else (f"the {node.op!r} node" if node._prev else "a leaf")


def _add(old: Any, new: Any) -> Any:
    """``old + new`` for gradients that may be missing (a Tensor's ``None``)."""
    if old is None:
        return new
    if new is None:
        return old
    return old + new


# --- gradients as graphs ---------------------------------------------------------------------


def _graph_grads(root: Node, seed: Any) -> tuple[list[Any], dict[Any, Any]]:
    """The chain rule with graph nodes: ``{node: dL/d(node)}`` for every node ``root`` depends on.

    Each node's ``_backward_graph(g)`` returns ``g * d(node)/d(parent)`` for each parent as a
    graph node (or ``None``); contributions to a parent are added with the engine's ``+``.
    Hooks run when a node's gradient is complete, as in the first-order pass.
    """
    order = topological_order(root)
    observer = pass_observer
    if observer is not None:
        observer.check_forward(order, root)
    grads: dict[Any, Any] = {root: seed}
    check = None if observer is None else _hook_check(observer, root, order)
    for node in reversed(order):
        g = grads.get(node)
        if g is None:
            continue
        hooks = hooks_of(node)
        if hooks:
            _call_hooks(node, hooks, g, grads.__setitem__, check)
            g = grads[node]
        if not node._prev:
            continue
        for parent, pg in zip(node._prev, node._backward_graph(g)):
            if pg is not None:
                grads[parent] = _add(grads.get(parent), pg)
        if observer is not None:
            observer.check_graph_backward(node, root, order, grads)
    return order, grads


def backward_graph(root: Node, seed: Any) -> None:
    """``root.backward(create_graph=True)``: leaves' ``grad`` become graph nodes.

    A leaf's new gradient graph is added to what its ``grad`` held (gradients accumulate, as in
    the first-order pass); an intermediate node's ``grad`` is set to the numbers.
    """
    order, grads = _graph_grads(root, seed)
    for node in order:
        g = grads.get(node)
        if node._prev:
            node._reset_grad()
            if g is not None:
                node.grad = g.data
        elif g is not None:
            old = node.grad
            node.grad = g if old is None or (type(old) is float and old == 0.0) else old + g


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    Nothing's ``.grad`` is read or written: the gradients are returned, one per input, as
    nodes of the inputs' engine (``Value`` or ``Tensor``). With ``create_graph=True`` they are
    graphs built from the engine's operations, which can be differentiated again (a second
    derivative, a Hessian); otherwise they are plain leaves holding the numbers.

    Args:
        outputs: a node (a scalar loss), or a sequence of nodes whose gradients are added.
        inputs: a node or a sequence of nodes.
        grad_outputs: ``dL/d(output)`` for each output (default 1; needed for a non-scalar
            Tensor output, as in ``backward(grad)``).
        create_graph: build the gradient as a graph.
        allow_unused: give ``None`` for an input the outputs do not depend on (else an error).

    Example:
        >>> from tinygrad_lr import Value
        >>> x = Value(2.0)
        >>> (dy,) = grad(x ** 3, x, create_graph=True)    # 3 x^2
        >>> (d2y,) = grad(dy, x)                          # 6 x
        >>> dy.data, d2y.data
        (12.0, 12.0)
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not outs or not ins:
        raise ValueError("grad(): needs at least one output and one input")
    check_nodes(outs, ins, "grad()")
    seeds = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs] * len(outs)
    if len(seeds) != len(outs):
        raise ValueError(f"grad(): {len(seeds)} grad_outputs for {len(outs)} outputs")
    previous = set_grad_enabled(bool(create_graph))
    try:
        totals: dict[Any, Any] = {}
        for out, seed in zip(outs, seeds):
            _, grads = _graph_grads(out, out._seed_node(seed))
            for node in ins:
                if node in grads:
                    totals[node] = _add(totals.get(node), grads[node])
    finally:
        set_grad_enabled(previous)
    result = []
    for k, node in enumerate(ins):
        if node not in totals and not allow_unused:
            raise ValueError(
                f"grad(): input {k} ({_describe(node)}) was not used to compute the outputs; "
                f"pass allow_unused=True to get None for it"
            )
        result.append(totals.get(node))
    return tuple(result)


def check_nodes(
    outputs: list[Any], inputs: list[Any], caller: str, output: str = "output", input: str = "input"
) -> None:
    """Refuse, naming ``caller`` and the position, an ``output`` or an ``input`` that is not a graph
    node (a number, an array, a string): gradients are of nodes, with respect to nodes."""
    for k, out in enumerate(outputs):
        if not hasattr(out, "_seed_node"):
            which = f"{output} {k}" if len(outputs) > 1 else f"the {output}"
            raise InputError(
                f"{caller}: {which} must be a Value or a Tensor computed from the {input}s (a graph "
                f"to differentiate), got {describe(out)}"
            )
    for k, node in enumerate(inputs):
        if not hasattr(node, "_prev") or not hasattr(node, "grad"):
            raise InputError(
                f"{caller}: {input} {k} must be a Value or a Tensor the {output} was computed from "
                f"(w = Value(2.0), then L = f(w)), got {describe(node)}"
            )


# --- hooks -----------------------------------------------------------------------------------

# id(node) -> (node, its hooks). The hooks live here, not on the nodes: a node carries nothing
# for them (a Value stays as small as the fast path needs), and a hook keeps its node alive
# until its handle's remove().
_hooks: dict[int, tuple[Any, list[Callable[[Any], Any]]]] = {}
pass_observer: Any = None  # detect_anomaly()'s checker while it is on (set it with set_observer)
watched = False  # a hook is registered or pass_observer is set: run_backward takes the watched loop


def _update_watched() -> None:
    global watched
    watched = bool(_hooks) or pass_observer is not None


def hooks_of(node: Any) -> list[Callable[[Any], Any]] | None:
    """The hooks registered on ``node`` (``None`` if there are none)."""
    entry = _hooks.get(id(node))
    return entry[1] if entry is not None else None


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook off again.

    Also a context manager that removes the hook at the end of the block. While any hook is
    registered, every backward pass takes the watched loop: remove hooks you no longer need.
    """

    __slots__ = ("_key", "_hook")

    def __init__(self, key: int, hook: Callable[[Any], Any]) -> None:
        self._key: int | None = key
        self._hook = hook

    def remove(self) -> None:
        """Remove the hook (a second call does nothing)."""
        key, self._key = self._key, None
        if key is None or key not in _hooks:
            return
        entry = _hooks[key]
        hooks = entry[1]
        for i, h in enumerate(hooks):
            if h is self._hook:
                del hooks[i]
                break
        if not hooks:
            del _hooks[key]
            _update_watched()

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(node: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    """Register ``hook`` on ``node`` (``Value.register_hook``, ``Tensor.register_hook``)."""
    if not callable(hook):
        raise TypeError(f"register_hook needs a function, got {hook!r}")
    key = id(node)
    _hooks.setdefault(key, (node, []))[1].append(hook)
    _update_watched()
    return RemovableHandle(key, hook)


def set_observer(observer: Any) -> Any:
    """Install ``observer`` (or ``None``) as the pass checker; return the one it replaces."""
    global pass_observer
    previous, pass_observer = pass_observer, observer
    _update_watched()
    return previous


def is_finite(x: Any) -> bool:
    """True if the number or array ``x`` holds no NaN and no infinity (``None`` counts as finite)."""
    if x is None:
        return True
    if type(x) is float:
        return math.isfinite(x)
    if hasattr(x, "_prev"):  # a graph node: its numbers
        x = x.data
    return bool(np.all(np.isfinite(np.asarray(x, dtype=np.float64))))


class gc_paused:
    """Context manager that pauses Python's cyclic garbage collector for the duration of the block.

    Graph nodes hold no reference cycles, so the collector has nothing to find in them; but
    while millions of nodes are being created or visited it would still walk them again and
    again (see docs/performance.md). ``run_backward`` pauses it; wrap the *building* of a very
    large graph yourself::

        with gc_paused():
            L = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys))

    A class rather than a ``@contextmanager`` generator: it is entered on every backward pass,
    and this costs a fraction of a microsecond instead of a few.
    """

    def __enter__(self) -> gc_paused:
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()


# --- pictures --------------------------------------------------------------------------------

_display: Callable[..., Any] | None = None  # viz.draw_graph, once the drawing package is imported


def register_display(draw: Callable[..., Any]) -> None:
    """Make ``draw(node, **options)`` what ``Value.draw()`` and ``Tensor.draw()`` return.

    :mod:`tinygrad_lr.viz` calls this when it is imported (``import tinygrad_lr`` imports it),
    so the engines show their graphs without importing the drawing code themselves.
    """
    global _display
    _display = draw


def display(node: Any, **options: Any) -> Any:
    """The picture of the graph behind ``node`` (``node.draw()``), by the registered drawing code."""
    if _display is None:
        raise RuntimeError("draw(): no drawing code is registered; import tinygrad_lr.viz first")
    return _display(node, **options)
