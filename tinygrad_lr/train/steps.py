"""One update's forward and backward pass, then the optimizer's step: eager or compiled.

:class:`EagerStep` is the step as a learner writes it (``zero_grad``, forward, loss,
``backward``; then ``optimizer.step()``), building the graph every time. ``fit(compile=True)``
runs a compiled step instead: the graph traced once and replayed as generated code. The compiler
is a lens above the training loop, so the loop never imports it; like ``torch.compile``, it
wraps the step from outside: :mod:`tinygrad_lr.compile` hands ``compile_step`` to
:func:`register_compiler` when it is imported (``import tinygrad_lr`` does), and ``compile=`` may
also be any function ``(loss_of_batch, optimizer) -> step`` of your own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..optim import Optimizer
from .sources import Chunked

__all__ = ["EagerStep", "FitUpdate", "register_compiler", "compiled_step"]

Compiler = Callable[[Callable[[Any, Any], Any], Optimizer], Any]
_COMPILER: list[Compiler] = []


def register_compiler(compiler: Compiler) -> None:
    """Make ``compiler`` what ``fit(compile=True)`` uses (:mod:`tinygrad_lr.compile` registers
    ``compile_step`` when it is imported)."""
    _COMPILER[:] = [compiler]


def compiled_step(
    compile: bool | Compiler, model: Any, loss_fn: Callable[[Any, Any], Any], opt: Optimizer
) -> Any:
    """The compiled step ``compile`` asks for: ``step.forward_backward(X, y) -> loss``, ``step.update()``."""
    compiler = compile if callable(compile) else (_COMPILER[0] if _COMPILER else None)
    if compiler is None:
        raise RuntimeError("fit(compile=True): no compiler registered; import tinygrad_lr.compile")
    return compiler(lambda Xb, yb: loss_fn(model(Xb), yb), opt)


class EagerStep:
    """``zero_grad``, forward, loss and ``backward`` on one batch; ``update()`` is the optimizer's ``step()``.

    After :meth:`forward_backward`, ``loss`` and ``predictions`` are the batch's graph nodes
    (backpropagated), what a ``callback`` reads.
    """

    def __init__(self, model: Any, loss_fn: Callable[[Any, Any], Any], optimizer: Optimizer) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.create_graph = bool(getattr(optimizer, "create_graph", False))  # Newton differentiates it
        self.loss: Any = None
        self.predictions: Any = None
        self.update = optimizer.step  # the update is the optimizer's step itself

    def forward_backward(self, X: Any, y: Any) -> float:
        """The batch's loss, with ``dL/dp`` left in every parameter's ``grad``."""
        self.optimizer.zero_grad()
        if type(X) is Chunked:  # a batch too large for memory: its gradient added up chunk by chunk
            return X.forward_backward(self.model)
        pred = self.model(X)
        L = self.loss_fn(pred, y)
        if self.create_graph:
            L.backward(create_graph=True)
        else:
            L.backward()
        self.loss, self.predictions = L, pred
        return float(L.data)


@dataclass(frozen=True)
class FitUpdate:
    """What one optimizer step of :func:`~tinygrad_lr.fit` saw, handed to its ``callback`` right
    after the step.

    The gradients are still in the parameters' ``grad`` (``step()`` does not clear them), so a
    callback reads ``dL/dp`` there and the new values in ``model``.

    Attributes:
        update: the update's number (1-based, counted over the whole run).
        epoch: the epoch it belongs to (1-based).
        batch: the indices of the samples the loss was computed on.
        loss: the loss node of this update (backpropagated: every node holds its ``grad``).
        predictions: the model's predictions on the batch (graph nodes, also backpropagated).
        params_before: the parameter vector ``[w..., b]`` the loss was computed at.
        model: the model, holding the parameters after the step.
    """

    update: int
    epoch: int
    batch: np.ndarray
    loss: Any
    predictions: Any
    params_before: np.ndarray
    model: Any
