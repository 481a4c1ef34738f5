"""``Tensor``: a numpy array that remembers how it was made, and backpropagates through it.

``Tensor`` is :class:`~tinygrad_lr.Value` on whole arrays. The same chain rule runs, one node at
a time, but each node holds an array, so ``w * x`` with 10 million ``x`` is one node and one
numpy call rather than 10 million scalar nodes::

    dL/d(parent) += dL/d(out) * d(out)/d(parent)      (elementwise, then summed over broadcasting)

The math of each op lives in :mod:`tinygrad_lr.ops` (one definition per op, forward and
derivative side by side, run here on numpy arrays); the order of the backward pass comes from
:mod:`tinygrad_lr.graph`, shared with ``Value``. This module joins them: it builds the graph
nodes, and adds each parent's gradient into ``.grad``. Its methods (``+``, ``exp``, ``@``, ...)
come from the op definitions' registry; a new op registered there is a method here too.

Gradient arrays are shared where that is free: ``a + b`` passes its gradient to ``a`` and ``b``
unchanged, so ``a.grad is b.grad`` right after a backward pass. A node only ever adds *in
place* into a gradient array it owns (one built for it alone); otherwise it builds a new one.
That keeps one node's accumulation from changing another node's gradient. Leaves (parameters)
always get an array of their own, which optimizers may modify.

A gradient that is one number times an array (:class:`~tinygrad_lr.ops.Scaled`) is kept that
way inside the backward pass, and multiplied out only when ``.grad`` is read.
"""

from __future__ import annotations

from .core import ArrayLike, Tensor, as_tensor
from .methods import concatenate, input_grads, stack

__all__ = ["Tensor", "concatenate", "stack", "input_grads", "as_tensor", "ArrayLike"]
