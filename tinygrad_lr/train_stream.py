"""Training on a CSV larger than memory: :func:`fit_stream`, the loop of :func:`~tinygrad_lr.fit`
run one chunk of a :class:`~tinygrad_lr.data.CSVStream` at a time.

* SGD and mini-batch SGD: batches are cut from the rows in file order (shuffled, or drawn with
  replacement, within each chunk; see :mod:`tinygrad_lr.data.stream` for the rule). A batch may
  span two chunks. Given ``shuffle_window=chunk_rows``, in-memory :func:`~tinygrad_lr.fit`
  makes exactly the same updates.
* full-batch GD: one update per epoch, its gradient accumulated chunk by chunk, since
  ``dL/dp = sum over chunks of d(L_chunk)/dp`` (``L_chunk`` = the chunk's squared errors, / n
  for the MSE) and ``backward()`` adds into ``.grad``.
* the loss after every epoch is the loss over the whole file, summed chunk by chunk; for GD it
  is read from the next epoch's gradient pass, as the in-memory loop does.

Memory holds one chunk (and one batch), never the file: its size does not grow with the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .data import CSVStream, as_generator, check_batch_size
from .data.batches import draw_in_chunk
from .errors import InputError
from .graph import no_grad
from .losses import get_loss, sse
from .optim import Optimizer, make_optimizer
from .train import DivergenceError, History, _diverged

__all__ = ["fit_stream"]


def fit_stream(
    model: Any,
    stream: CSVStream,
    optimizer: Optimizer | str = "gd",
    *,
    loss: str | Callable[[Any, Any], Any] = "mse",
    epochs: int = 100,
    lr: float | None = None,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    rng: np.random.Generator | int | None = None,
    patience: int | None = 5,
) -> History:
    """Train ``model`` on a :class:`~tinygrad_lr.data.CSVStream`, a chunk at a time.

    The arguments and the returned :class:`~tinygrad_lr.History` are :func:`~tinygrad_lr.fit`'s
    (``fit(model, stream, ...)`` calls this); the loss must be ``"sse"`` or ``"mse"``, whose sums
    split over chunks.

    Example::

        history = fit(LinearRegression(engine="tensor"), CSVStream("big.csv"), "minibatch",
                      lr=0.01, batch_size=64, epochs=2)
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    if patience is not None and (isinstance(patience, bool) or not isinstance(patience, int) or patience < 1):
        raise ValueError(f"patience must be a whole number >= 1 or None, got {patience!r}")
    loss_name, loss_fn = get_loss(loss)
    if loss_name not in ("sse", "mse"):
        raise InputError(
            f"streaming needs the loss 'sse' or 'mse' (sums that split over chunks), got {loss!r}"
        )
    if isinstance(optimizer, str):
        if lr is None:
            raise ValueError(f"fit(optimizer={optimizer!r}) needs a learning rate: lr=...")
        opt = make_optimizer(optimizer, model.parameters(), lr, batch_size, shuffle, replacement, drop_last)
    else:
        if lr is not None or batch_size is not None or shuffle or replacement or drop_last:
            raise ValueError("lr and batch options go to the optimizer when it is built, not to fit()")
        opt = optimizer
    if getattr(opt, "create_graph", False):
        raise InputError("streaming takes first-order optimizers (GD, SGD, mini-batch, momentum, adaptive)")
    n_features = getattr(model, "n_features", stream.n_features)
    if n_features != stream.n_features:
        raise ValueError(f"the model has {n_features} features but the data has {stream.n_features}")
    gen = as_generator(rng) if (opt.shuffle or opt.replacement) else None
    bias = bool(getattr(model, "bias", True))

    history = History(
        initial_loss=math.nan,
        param_names=list(model.param_names()) if hasattr(model, "param_names") else [],
        lr=opt.lr,
        optimizer=getattr(opt, "name", type(opt).__name__),
        loss_name=loss_name,
    )
    stats = _Stats(stream.n_features, bias)

    def whole_loss(collect: bool = False) -> float:
        """The loss over the whole file under the current parameters, one chunk at a time."""
        total = 0.0
        with no_grad():
            for X, y in stream.chunks():
                total += float(np.asarray(sse(model(X), y).data))
                if collect:
                    stats.add(X)
        n = stream.count()
        return total / n if loss_name == "mse" else total

    with np.errstate(over="ignore", invalid="ignore"):  # inf/nan are detected, with a reason
        history.initial_loss = whole_loss(collect=True)  # also counts the rows and their scale
        n = stream.count()
        if opt.batch_size is not None:
            check_batch_size(opt.batch_size, n)
        history.initial_params = model.param_vector()
        guard = _Guard(history, model, opt.lr, patience, lambda: stats.hint(loss_name, n, opt.batch_size))
        whole = opt.batch_size is None and not opt.shuffle and not opt.replacement
        try:
            if whole:
                _full_batch_epochs(model, stream, opt, loss_name, n, int(epochs), history, guard)
            else:
                for epoch in range(1, int(epochs) + 1):
                    _batch_epoch(model, stream, opt, loss_fn, gen, history)
                    guard.end_epoch(epoch, whole_loss())
        except OverflowError as exc:
            raise guard.diverged(f"the numbers overflowed ({exc})", math.inf) from None
        except DivergenceError as err:
            history.final_params = model.param_vector()
            err.history = history
            raise
    history.final_params = model.param_vector()
    return history


def _full_batch_epochs(
    model: Any,
    stream: CSVStream,
    opt: Any,
    loss_name: str,
    n: int,
    epochs: int,
    history: History,
    guard: _Guard,
) -> None:
    scale = 1.0 / n if loss_name == "mse" else 1.0
    for epoch in range(1, epochs + 1):
        opt.zero_grad()
        total = 0.0
        for X, y in stream.chunks():  # dL/dp = sum over chunks: backward() accumulates into .grad
            L = sse(model(X), y) * scale if scale != 1.0 else sse(model(X), y)
            L.backward()
            total += float(np.asarray(L.data))
        if epoch > 1:  # this pass's loss is the loss after the previous epoch's update
            guard.end_epoch(epoch - 1, total)
        opt.step()
        history.updates += 1
    if epochs:
        total = 0.0
        with no_grad():
            for X, y in stream.chunks():
                total += float(np.asarray(sse(model(X), y).data))
        guard.end_epoch(epochs, total * scale)


def _batch_epoch(
    model: Any,
    stream: CSVStream,
    opt: Any,
    loss_fn: Callable[[Any, Any], Any],
    gen: np.random.Generator | None,
    history: History,
) -> None:
    B = int(opt.batch_size)
    carry_X: np.ndarray | None = None
    carry_y: np.ndarray | None = None

    def update(Xb: np.ndarray, yb: np.ndarray) -> None:
        opt.zero_grad()
        L = loss_fn(model(Xb), yb)
        L.backward()
        opt.step()
        history.updates += 1

    for X, y in stream.chunks():
        if gen is not None:  # within this chunk only: the rule CSVStream documents
            order = draw_in_chunk(len(y), bool(opt.replacement), gen)
            X, y = X[order], y[order]
        if carry_X is not None and carry_y is not None:  # a batch spanning two chunks
            X, y = np.concatenate([carry_X, X]), np.concatenate([carry_y, y])
        full = len(y) - len(y) % B
        for i in range(0, full, B):
            update(X[i : i + B], y[i : i + B])
        carry_X, carry_y = (X[full:], y[full:]) if full < len(y) else (None, None)
    if carry_X is not None and carry_y is not None and not opt.drop_last:
        update(carry_X, carry_y)


class _Stats:
    """``A^T A`` (``A = [X, 1]``) and the largest ``|a|^2``, summed over chunks, for the hint."""

    def __init__(self, d: int, bias: bool) -> None:
        self.bias = bias
        self.gram = np.zeros((d + bias, d + bias))
        self.max_row = 0.0

    def add(self, X: np.ndarray) -> None:
        A = np.hstack([X, np.ones((len(X), 1))]) if self.bias else X
        self.gram += A.T @ A
        self.max_row = max(self.max_row, float(np.max(np.sum(A * A, axis=1))))

    def hint(self, loss_name: str, n: int, batch_size: int | None) -> tuple[float, str] | None:
        H = 2.0 * self.gram / (n if loss_name == "mse" else 1.0)
        if not np.all(np.isfinite(H)):
            return None
        lam = float(np.linalg.eigvalsh(H).max())
        if lam <= 0.0:
            return None
        gd = 2.0 / lam
        text = (
            f"for this data and the {loss_name.upper()} loss, gradient descent is stable only for "
            f"lr < {gd:.6g} = 2 / {lam:.6g}, the largest eigenvalue of the loss's Hessian"
        )
        if batch_size != 1 or self.max_row <= 0.0:
            return gd, text
        one = 1.0 / self.max_row
        return one, f"every one-sample SGD step shrinks the error only for lr < {one:.6g}; {text}"


class _Guard:
    """The end of an epoch: record the loss, or stop a diverging run (as :func:`~tinygrad_lr.fit`)."""

    def __init__(
        self, history: History, model: Any, lr: float, patience: int | None, hint: Callable[[], Any]
    ) -> None:
        self.history, self.model, self.lr, self.patience, self.hint = history, model, lr, patience, hint
        self.prev = history.initial_loss
        self.rising = 0
        self.epoch = 0

    def diverged(self, reason: str, loss: float) -> DivergenceError:
        return _diverged(reason, self.epoch + 1, self.lr, loss, self.hint())

    def end_epoch(self, epoch: int, current: float) -> None:
        h = self.history
        params = self.model.param_vector()
        self.epoch = epoch - 1
        if not math.isfinite(current):
            raise self.diverged(
                "the loss became nan" if math.isnan(current) else "the loss became inf", current
            )
        if not np.all(np.isfinite(params)):
            raise self.diverged("a parameter became inf or nan", current)
        h.losses.append(current)
        h.epoch_params.append(params)
        self.epoch = epoch
        self.rising = self.rising + 1 if current > self.prev else 0
        p = self.patience
        if p is not None and self.rising >= p and current > h.initial_loss:
            start = h.losses[-p - 1] if len(h.losses) > p else h.initial_loss
            self.epoch = epoch - 1
            raise self.diverged(
                f"the loss grew for {p} epochs in a row, from {start:.6g} to {current:.6g}", current
            )
        self.prev = current
