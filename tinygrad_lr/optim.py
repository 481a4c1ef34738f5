"""Optimizers: gradient descent and its stochastic and mini-batch variants, PyTorch-style.

All three apply the same update to every parameter ``p`` (a ``Value`` or a ``Tensor``)::

    p <- p - lr * dL/dp

What tells them apart is *which samples* the loss ``L`` of one update is computed on:

* :class:`GD` -- every sample, one update per epoch (batch gradient descent);
* :class:`SGD` -- ONE sample per update, in order or in a random order (with or without
  replacement), ``n`` updates per epoch;
* :class:`MiniBatchSGD` -- ``batch_size`` samples per update.

So an optimizer is the update rule plus the batching it stands for (``batch_size``,
``shuffle``, ``replacement``, ``drop_last``); :func:`~tinygrad_lr.fit` reads those to draw the
batches with :func:`~tinygrad_lr.data.batch_indices`. As in PyTorch, a training step is::

    opt.zero_grad()          # gradients accumulate, so clear them first
    loss = mse(model(Xb), yb)
    loss.backward()          # dL/dp for every parameter
    opt.step()               # p <- p - lr * dL/dp, inside no_grad(): data only, no graph

``step()`` changes parameters' ``data`` and nothing else; ``zero_grad()`` their ``grad``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from .data import check_batch_size
from .graph import no_grad

__all__ = ["Optimizer", "GD", "SGD", "MiniBatchSGD", "OPTIMIZERS", "make_optimizer", "check_lr"]


def check_lr(lr: object) -> float:
    """Return ``lr`` as a float if it is a finite number > 0; raise a clear ``ValueError`` if not."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
        raise ValueError(f"the learning rate must be a number, got {lr!r}")
    lr = float(lr)
    if not math.isfinite(lr):
        raise ValueError(f"the learning rate must be a finite number, got {lr!r}")
    if lr <= 0.0:
        raise ValueError(f"the learning rate must be positive, got {lr!r}")
    return lr


class Optimizer:
    """The update ``p <- p - lr * p.grad`` for a list of parameters.

    Attributes:
        params: the parameters (``Value`` or ``Tensor`` leaves), in order.
        lr: the learning rate (finite, > 0).
        batch_size: samples per update; ``None`` means all of them.
        shuffle: draw a new random order of the samples every epoch.
        replacement: draw the samples of an epoch independently (repeats possible).
        drop_last: skip the last, short batch of an epoch.
    """

    name = "optimizer"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        batch_size: int | None = None,
        shuffle: bool = False,
        replacement: bool = False,
        drop_last: bool = False,
    ) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: no parameters to optimize")
        for p in self.params:
            if not hasattr(p, "data") or not hasattr(p, "grad"):
                raise TypeError(f"{type(self).__name__}: parameters must be Values or Tensors, got {p!r}")
        self.lr = check_lr(lr)
        self.batch_size = None if batch_size is None else check_batch_size(batch_size)
        self.shuffle = bool(shuffle)
        self.replacement = bool(replacement)
        self.drop_last = bool(drop_last)

    def step(self) -> None:
        """Move every parameter against its gradient: ``p.data <- p.data - lr * p.grad``."""
        lr = self.lr
        with no_grad():
            for p in self.params:
                g = p.grad
                if g is None:  # a Tensor that took no part in the loss
                    continue
                p.data = p.data - lr * g

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (gradients accumulate across ``backward()`` calls)."""
        for p in self.params:
            p.zero_grad()

    def describe(self) -> str:
        """A short human description, e.g. ``"mini-batch SGD (lr 0.01, batch 10, shuffled)"``."""
        parts = [f"lr {self.lr:g}"]
        if self.batch_size is not None and type(self) is not SGD:
            parts.append(f"batch {self.batch_size}")
        if self.replacement:
            parts.append("random samples with replacement")
        elif self.shuffle:
            parts.append("shuffled every epoch")
        elif self.batch_size is not None:
            parts.append("in order")
        if self.drop_last:
            parts.append("last short batch dropped")
        return f"{self.title} ({', '.join(parts)})"

    title = "optimizer"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class GD(Optimizer):
    """Batch gradient descent: one update per epoch, with the gradient of the loss over ALL samples.

    Example (the step-by-step tutorial's first step, by hand: w 1 -> 1.4, b 0 -> 0.18):
        >>> from tinygrad_lr import Value, sse
        >>> w, b = Value(1.0), Value(0.0)
        >>> opt = GD([w, b], lr=0.01)
        >>> opt.zero_grad(); sse([w * x + b for x in (1, 2, 3)], [3, 5, 7]).backward(); opt.step()
        >>> round(w.data, 12), round(b.data, 12)
        (1.4, 0.18)
    """

    name = "gd"
    title = "gradient descent"

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        super().__init__(params, lr)


class SGD(Optimizer):
    """Stochastic gradient descent: one update per sample, with that sample's own gradient.

    ``shuffle=False`` (default) visits the samples in order, as the PyTorch course does;
    ``shuffle=True`` in a new random order every epoch (each sample once);
    ``replacement=True`` draws every update's sample at random, as the SGD tutorial's
    ``randint(n)`` (some samples twice in an epoch, some not at all).

    Example (the PyTorch course's first update: x=1, y=2, w=1, grad 2*x*(x*w-y) = -2):
        >>> from tinygrad_lr import Value, mse
        >>> w = Value(1.0)
        >>> opt = SGD([w], lr=0.01)
        >>> opt.zero_grad(); mse([1.0 * w], [2.0]).backward(); opt.step()
        >>> w.data
        1.02
    """

    name = "sgd"
    title = "stochastic gradient descent"

    def __init__(
        self, params: Iterable[Any], lr: float, shuffle: bool = False, replacement: bool = False
    ) -> None:
        super().__init__(params, lr, batch_size=1, shuffle=shuffle, replacement=replacement)


class MiniBatchSGD(Optimizer):
    """Mini-batch SGD: one update per ``batch_size`` samples.

    Batches are consecutive samples (default), or cut from a fresh random permutation every
    epoch (``shuffle=True``), or drawn with replacement (``replacement=True``). The last batch
    is shorter when ``batch_size`` does not divide the number of samples, unless ``drop_last``.
    With ``batch_size`` equal to the data size and no shuffling it is exactly :class:`GD`.

    Example:
        >>> from tinygrad_lr import LinearRegression, fit
        >>> m = LinearRegression()
        >>> h = fit(m, ([1, 2, 3], [3, 5, 7]), MiniBatchSGD(m.parameters(), lr=0.05, batch_size=2), epochs=3)
        >>> h.updates          # two batches per epoch: samples [0, 1], then [2]
        6
    """

    name = "minibatch"
    title = "mini-batch SGD"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        batch_size: int,
        shuffle: bool = False,
        replacement: bool = False,
        drop_last: bool = False,
    ) -> None:
        if batch_size is None:
            raise ValueError("MiniBatchSGD needs a batch_size (use GD for full batches)")
        super().__init__(params, lr, batch_size, shuffle, replacement, drop_last)


OPTIMIZERS: dict[str, type[Optimizer]] = {"gd": GD, "sgd": SGD, "minibatch": MiniBatchSGD}


def make_optimizer(
    name: str,
    params: Iterable[Any],
    lr: float,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
) -> Optimizer:
    """Build an optimizer by name (``"gd"``, ``"sgd"`` or ``"minibatch"``), checking the options fit it."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if key == "gd":
        if batch_size is not None:
            raise ValueError("gradient descent uses every sample; a batch size needs --optimizer minibatch")
        if shuffle or replacement or drop_last:
            raise ValueError("gradient descent uses every sample in order; shuffling needs sgd or minibatch")
        return GD(params, lr)
    if key == "sgd":
        if batch_size not in (None, 1):
            raise ValueError(f"SGD uses one sample per update; batch size {batch_size} needs minibatch")
        if drop_last:
            raise ValueError("SGD batches are single samples: there is no short last batch to drop")
        return SGD(params, lr, shuffle=shuffle, replacement=replacement)
    if batch_size is None:
        raise ValueError("mini-batch SGD needs a batch size")
    return MiniBatchSGD(params, lr, batch_size, shuffle=shuffle, replacement=replacement, drop_last=drop_last)
