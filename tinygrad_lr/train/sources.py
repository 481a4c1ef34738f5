"""Where a training run's batches come from: data in memory, or a CSV file read a chunk at a time.

:func:`~tinygrad_lr.fit` is one loop over a *source*; a source gives, for one epoch, the batches
``(X, y, indices)`` the optimizer's :class:`~tinygrad_lr.data.Batching` asks for, and the loss
over the whole data set after an epoch:

* :class:`InMemory` -- a :class:`~tinygrad_lr.Dataset` (or a pair ``(X, y)``) held in memory;
* :class:`Streamed` -- a :class:`~tinygrad_lr.data.CSVStream`, larger than memory. Memory holds
  one chunk (and one batch), never the file. SGD and mini-batch SGD take their batches in file
  order (shuffled within each chunk: :meth:`~tinygrad_lr.data.Batching.over_chunks`); a
  full-batch GD update is one batch of the whole file given as its chunks (:class:`Chunked`),
  whose gradient is added up chunk by chunk, since ``dL/dp = sum over chunks of d(L_chunk)/dp``
  and ``backward()`` adds into ``.grad``. The loss after an epoch is summed chunk by chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..closed_form import LeastSquares, lstsq
from ..data import Batching, CSVStream, Dataset, check_batch_size, from_arrays
from ..errors import InputError, describe
from ..graph import no_grad
from ..logistic import LogisticRegression, LogisticSolution, irls, separable_note
from ..losses import sse
from ..models import LinearRegression
from ..optim import Optimizer
from .hints import GramSums, Hint, stable_lr_hint

__all__ = [
    "InMemory",
    "Streamed",
    "Chunked",
    "as_dataset",
    "evaluate_loss",
    "grad_norm",
    "loss_and_grad_norm",
]

Loss = Callable[[Any, Any], Any]
Batch = tuple[Any, Any, Any]  # (X, y, the sample indices or None)


def as_dataset(data: Dataset | tuple[Any, Any]) -> Dataset:
    """``data`` as a :class:`~tinygrad_lr.Dataset`: itself, or a pair ``(X, y)`` of arrays."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return from_arrays(data[0], data[1])
    raise InputError(f"data must be a Dataset or a pair (X, y), got {describe(data)}")


def evaluate_loss(model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Loss) -> float:
    """The loss of ``model`` on ``(X, y)`` as a float, computed by the model's engine without a graph."""
    with no_grad():
        return float(np.asarray(loss_fn(model(X), y).data))


def grad_norm(params: Sequence[Any]) -> float:
    """``sqrt(sum_p |dL/dp|^2)`` over the parameters' current gradients."""
    total = 0.0
    for p in params:
        g = p.grad
        if type(g) is float:  # a Value's gradient: g * g is what np.square gives, without numpy's call
            total += g * g
        elif g is not None:
            g = np.asarray(getattr(g, "data", g))  # after backward(create_graph=True): a graph node
            total += float((g * g).sum())  # np.sum(np.square(g)), without the wrappers' cost
    return math.sqrt(total)


def loss_and_grad_norm(model: Any, X: np.ndarray, y: np.ndarray, loss_fn: Loss) -> tuple[float, float]:
    """The loss over ``(X, y)`` and the norm of its gradient (the gradients are cleared after)."""
    params = model.parameters()
    for p in params:
        p.zero_grad()
    L = loss_fn(model(X), y)
    L.backward()
    norm = grad_norm(params)
    for p in params:
        p.zero_grad()
    return float(np.asarray(L.data)), norm


class InMemory:
    """The batches of a data set held in memory, cut by ``batching`` (random ones from ``rng``).

    ``window``: shuffle within runs of this many samples, the order a stream of chunks that
    size uses. ``loss_fn`` is the run's loss (with its penalty terms, if any).
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, loss_fn: Loss, batching: Batching, rng: Any, window: int | None
    ) -> None:
        self.X, self.y, self.loss_fn, self.batching, self.window = X, y, loss_fn, batching, window
        self.n_samples = int(X.shape[0])
        if batching.batch_size is not None:
            check_batch_size(batching.batch_size, self.n_samples)
        self.gen = batching.generator(rng)
        self.whole = batching.whole  # one batch of every sample, in order: the same every epoch
        self._all = [(X, y, None)]

    def start(self, model: Any) -> float:
        """The loss before the first update."""
        return evaluate_loss(model, self.X, self.y, self.loss_fn)

    def batches(self) -> Iterable[Batch]:
        """The batches of one epoch."""
        if self.whole:
            return self._all
        return self._cut(self.batching.epoch(self.n_samples, self.gen, self.window))

    def _cut(self, indices: list[np.ndarray]) -> Iterator[Batch]:
        X, y = self.X, self.y
        for idx in indices:
            yield X[idx], y[idx], idx

    def indices(self, idx: np.ndarray | None) -> np.ndarray:
        """A batch's sample indices (all of them for the whole data set)."""
        return np.arange(self.n_samples) if idx is None else np.asarray(idx)

    def loss(self, model: Any, with_grad_norm: bool) -> tuple[float, float | None]:
        """The loss over the whole data set, and (when asked, at the cost of a backward pass) the
        norm of its gradient."""
        if with_grad_norm:
            return loss_and_grad_norm(model, self.X, self.y, self.loss_fn)
        return evaluate_loss(model, self.X, self.y, self.loss_fn), None

    def final_grad_norm(self, model: Any) -> float | None:
        """``|dL/dtheta|`` over the whole data set (a backward pass)."""
        return loss_and_grad_norm(model, self.X, self.y, self.loss_fn)[1]

    def hint(self, model: Any, loss_name: str, optimizer: Optimizer, l2: float = 0.0) -> Hint | None:
        return stable_lr_hint(model, self.X, loss_name, optimizer.batch_size, optimizer, l2)

    def closed_form(self, model: Any, loss_name: str, l2: float) -> LeastSquares | LogisticSolution | None:
        """The answer to compare the run with: least squares (ridge) for linear regression with SSE
        or MSE; Newton's method (IRLS) on the formulas for logistic regression with the BCE."""
        if isinstance(model, LogisticRegression) and loss_name == "bce":
            return irls(self.X, self.y, bias=model.bias, l2=l2)
        if not isinstance(model, LinearRegression) or loss_name not in ("sse", "mse"):
            return None
        return lstsq(self.X, self.y, bias=model.bias, loss=loss_name, l2=l2)

    def reference_note(self, answer: Any, model: Any) -> str | None:
        """Why there is no answer to compare with (the classes are separable), else None."""
        if not isinstance(answer, LogisticSolution):
            return None
        return separable_note(answer, self.y, model.param_names())


class Chunked:
    """The whole file as one batch, given as its chunks: the losses ``sse(chunk) * scale`` add up
    to the loss (``scale = 1/n`` for the MSE), and their gradients to its gradient."""

    def __init__(self, stream: CSVStream, scale: float) -> None:
        self.stream, self.scale = stream, scale

    def forward_backward(self, model: Any) -> float:
        """Backpropagate every chunk's share of the loss into ``.grad``; the loss."""
        total, scale = 0.0, self.scale
        for X, y in self.stream.chunks():  # dL/dp = sum over chunks: backward() accumulates into .grad
            L = sse(model(X), y) * scale if scale != 1.0 else sse(model(X), y)
            L.backward()
            total += float(np.asarray(L.data))
        return total


class Streamed:
    """The batches of a :class:`~tinygrad_lr.data.CSVStream`, one chunk in memory at a time.

    Only the sums of squares split over chunks, so the loss is ``"sse"`` or ``"mse"``; the number
    of rows is known after the first pass (:meth:`start`), which also adds up what the hint needs.
    """

    IN_MEMORY_ONLY = (
        "callback", "compile", "record_params", "shuffle_window", "scheduler",
        "grad_tol", "loss_tol", "standardize", "l1", "l2",
    )  # fmt: skip

    def __init__(
        self, stream: CSVStream, model: Any, loss_name: str, loss_fn: Loss, batching: Batching, rng: Any
    ):
        if loss_name not in ("sse", "mse"):
            raise InputError(
                f"streaming needs the loss 'sse' or 'mse' (sums that split over chunks), got {loss_name!r}"
            )
        self.stream, self.loss_name, self.loss_fn, self.batching = stream, loss_name, loss_fn, batching
        self.gen = batching.generator(rng)
        self.whole = batching.whole
        self.sums = GramSums(stream.n_features, bool(getattr(model, "bias", True)))
        self.n_samples = 0

    def start(self, model: Any) -> float:
        """The initial loss, from a first pass that also counts the rows and adds up the hint's sums."""
        loss = self._loss(model, collect=True)
        self.n_samples = self.stream.count()
        if self.batching.batch_size is not None:
            check_batch_size(self.batching.batch_size, self.n_samples)
        return loss

    def batches(self) -> Iterable[Batch]:
        if self.whole:
            scale = 1.0 / self.n_samples if self.loss_name == "mse" else 1.0
            return [(Chunked(self.stream, scale), None, None)]
        return ((X, y, None) for X, y in self.batching.over_chunks(self.stream.chunks(), self.gen))

    def indices(self, idx: None) -> np.ndarray:
        """A stream keeps no sample indices (a callback, which reads them, needs the data in memory)."""
        raise InputError("the batches of a CSVStream have no sample indices: load the data to read them")

    def loss(self, model: Any, with_grad_norm: bool) -> tuple[float, float | None]:
        """The loss over the whole file, summed chunk by chunk (the gradient norm would cost a pass
        over the file more: not computed)."""
        return self._loss(model), None

    def _loss(self, model: Any, collect: bool = False) -> float:
        total = 0.0
        with no_grad():
            for X, y in self.stream.chunks():
                total += float(np.asarray(sse(model(X), y).data))
                if collect:
                    self.sums.add(X)
        n = self.stream.count()
        return total / n if self.loss_name == "mse" else total

    def final_grad_norm(self, model: Any) -> float | None:
        return None  # a pass over the file more, for a number the stream's report does not show

    def hint(self, model: Any, loss_name: str, optimizer: Optimizer, l2: float = 0.0) -> Hint | None:
        return self.sums.hint(
            loss_name, self.n_samples, optimizer.batch_size, optimizer
        )  # a stream takes no l2

    def closed_form(self, model: Any, loss_name: str, l2: float) -> LeastSquares | None:
        return None

    def reference_note(self, answer: Any, model: Any) -> str | None:
        return None
