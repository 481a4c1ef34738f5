"""Trace once, run fast: a training step compiled from the graph it builds.

An eager training step builds the whole graph again on every iteration, only to walk it
backwards and throw it away. The graph is the same every time: the same operations on arrays
of the same shapes. :func:`compile_step` records it once and writes it out as code::

    step = compile_step(lambda: sse([w * x + b for x in xs], ys), GD([w, b], lr=0.01))
    for _ in range(1000):
        step()                # forward, backward and update: no graph is built
    print(step.source)        # the code it runs, to read

The code has three parts, in the order a learner knows them: the **forward** pass (one line
per node of the graph), the **backward** pass (the chain rule ``dL/da += dL/dout * dout/da``
written out, node by node, in the order ``backward()`` visits them) and the **update**.

* A :class:`~tinygrad_lr.Value` graph becomes straight-line scalar Python.
* A :class:`~tinygrad_lr.Tensor` graph becomes numpy calls writing into arrays allocated once
  (``out=``, in place where a value is not needed again; ``(r ** 2).sum()`` as one ``einsum``).

Modules: :mod:`.trace` records the graph and tells parameters, inputs and constants apart;
:mod:`.value_code` and :mod:`.tensor_code` write the code; :mod:`.step` runs it, checks it
against the eager engine on its first call, and falls back to the eager step (with a
:class:`CompileWarning`) for a graph it cannot compile.
"""

from __future__ import annotations

from ..train import register_compiler
from .step import CompiledStep, CompileWarning, compile_step

register_compiler(compile_step)  # fit(compile=True) wraps its step in it; the loop never imports this package

__all__ = ["compile_step", "CompiledStep", "CompileWarning"]
