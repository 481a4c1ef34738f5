"""The training loop, :func:`fit`: epochs of (zero_grad, forward, loss, backward, step) over a
source of batches, a history, and a guard that stops a diverging run with an explanation.

One epoch is one pass over the data set, cut into the batches the optimizer stands for (all
samples for GD, one for SGD, ``batch_size`` for mini-batch). After every epoch the loss over the
*whole* data set is recorded, so runs with different optimizers can be compared. The data may be
in memory or a CSV file larger than memory, read a chunk at a time: the same loop, another
source of batches (:mod:`.sources`). What the loop is given is checked and built first
(:mod:`.run`); the options are :class:`~.options.FitOptions`; the guard is :mod:`.guard`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import CSVStream, Dataset
from ..optim import Optimizer
from .history import History
from .options import FitOptions, with_fit_options
from .run import Run
from .sources import grad_norm
from .steps import FitUpdate

__all__ = ["fit"]


@with_fit_options
def fit(
    model: Any,
    data: Dataset | CSVStream | tuple[Any, Any],
    optimizer: Optimizer | str = "gd",
    options: FitOptions | None = None,
    **keywords: Any,
) -> History:
    """Train ``model`` on ``data`` for ``epochs`` epochs and return the :class:`History`.

    Every update is::

        optimizer.zero_grad()
        L = loss(model(X[batch]), y[batch])     # forward: build the graph
        L.backward()                             # dL/dp for every parameter p
        optimizer.step()                         # p <- p - lr * dL/dp

    Args:
        model: a :class:`~tinygrad_lr.LinearRegression` (or anything with ``parameters()``,
            ``__call__(X)`` returning predictions, and ``param_vector()``).
        data: a :class:`~tinygrad_lr.Dataset`, a pair ``(X, y)`` of arrays, or a
            :class:`~tinygrad_lr.data.CSVStream` (a file larger than memory, trained on a chunk
            at a time).
        optimizer: an optimizer built on ``model.parameters()``, or a name (a key of
            :data:`~tinygrad_lr.optim.OPTIMIZERS`: ``"gd"``, ``"sgd"``, ``"minibatch"``,
            ``"adam"`` ...) with ``lr`` (and ``batch_size``, ``shuffle``, ``replacement``,
            ``drop_last``) given here.
        options: a :class:`~tinygrad_lr.train.FitOptions`; the keywords below change it.
        **keywords: the fields of :class:`~tinygrad_lr.train.FitOptions` -- ``loss``,
            ``epochs``, ``lr``, ``batch_size``, ``shuffle``, ``replacement``, ``drop_last``,
            ``rng``, ``record_params``, ``patience``, ``progress``, ``callback``, ``compile``,
            ``scheduler``, ``grad_tol``, ``loss_tol``, ``standardize``, ``l1``, ``l2``,
            ``shuffle_window`` (``FitOptions.help(name)`` says what each does).

    Raises:
        DivergenceError: the loss became inf/nan or kept growing (a ``ValueError``).
        ValueError: a bad learning rate, batch size, number of epochs or other option.

    Example (the step-by-step tutorial):
        >>> from tinygrad_lr import LinearRegression, fit
        >>> m = LinearRegression(w=1.0, b=0.0)
        >>> h = fit(m, ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01, loss="sse", epochs=1000)
        >>> float(m.weights[0]), m.intercept
        (2.000148389025502, 0.9996626768662412)
    """
    run = Run(model, data, optimizer, FitOptions.of(options, keywords))
    with np.errstate(over="ignore", invalid="ignore"):  # inf/nan are caught by the guard, with a reason
        try:
            run.start()
            _epochs(run)
        finally:
            run.finish()  # even after a divergence: the model back in the data's units
    run.conclude()
    return run.history


def _epochs(run: Run) -> None:
    """Every epoch, every batch: zero_grad, forward, loss, backward, step; after the epoch, the guard."""
    model, opt, source, step, h = run.model, run.optimizer, run.source, run.step, run.history
    params, record, callback = model.parameters(), run.options.record_params, run.options.callback
    # Full-batch GD in order: the loss after epoch k is exactly the loss the forward pass of epoch
    # k+1 computes anyway (same parameters, same samples, same order), so it is read there instead
    # of being computed twice; only the last epoch needs its own pass.
    pending = None
    epoch = 0
    try:
        for epoch in run.progress:
            lr = opt.param_groups[0]["lr"]  # the (first param group's) lr this epoch uses
            for X, y, idx in source.batches():
                loss = step.forward_backward(X, y)  # zero_grad, forward, loss, backward
                if pending is not None:
                    if run.end_epoch(pending, loss, grad_norm(params)):
                        return
                    pending = None
                before: Any = model.param_vector() if callback is not None else None
                step.update()  # optimizer.step()
                h.updates += 1
                if record:
                    h.params.append(model.param_vector())
                if callback is not None:
                    callback(
                        FitUpdate(
                            h.updates, epoch, source.indices(idx), step.loss, step.predictions, before, model
                        )
                    )
            h.lrs.append(lr)
            stop = False
            if source.whole:
                pending = epoch
            else:
                stop = run.end_epoch(epoch, *source.loss(model, run.options.grad_tol is not None))
            if run.scheduler is not None:
                run.scheduler.step()
            if stop:
                return
        if pending is not None:
            run.end_epoch(pending, *source.loss(model, True))
        else:
            h.final_grad_norm = _or_nan(source.final_grad_norm(model))
    except OverflowError as exc:
        raise run.guard.overflowed(exc, pending or epoch) from None
    except ZeroDivisionError as exc:  # the Value engine's own (a loss that divides by 0): where, and why
        raise ValueError(
            f"training stopped at epoch {pending or epoch}: the loss or its gradient divides by zero "
            f"({exc}); a loss of your own must not divide by a number that can be 0"
        ) from None


def _or_nan(x: float | None) -> float:
    return float("nan") if x is None else x
