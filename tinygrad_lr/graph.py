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

It also holds the ``no_grad`` switch: inside ``with no_grad():`` operations build no graph.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Node", "topological_order", "run_backward", "no_grad", "is_grad_enabled", "gc_paused"]


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


# --- no_grad ---------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside a ``no_grad()`` block."""
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """Context manager (and decorator) inside which operations build no graph.

    The results of operations are plain leaves: they remember no parents, so nothing is
    backpropagated through them. Optimizers update parameters inside it::

        with no_grad():
            w.data -= lr * w.grad
    """

    def _recreate_cm(self) -> no_grad:
        # a fresh instance per use, so a decorated function may call itself
        return type(self)()

    def __enter__(self) -> no_grad:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False
        return self

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous
