"""Gradient descent, SGD and mini-batch SGD: one update rule, three ways to batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Optimizer
from .registry import register

__all__ = ["GD", "SGD", "MiniBatchSGD"]


@register
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
    summary = "p <- p - lr * dL/dp with every sample in each update"
    batching_rule = "whole"
    order = 10

    def __init__(self, params: Iterable[Any], lr: float, **batching: Any) -> None:
        super().__init__(params, {"lr": lr}, **batching)


@register
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
    summary = "the same with one sample per update"
    batching_rule = "one"
    order = 11

    def __init__(self, params: Iterable[Any], lr: float, **batching: Any) -> None:
        super().__init__(params, {"lr": lr}, **batching)


@register
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
    summary = "the same with batch_size samples per update"
    batching_rule = "batches"
    order = 12

    def __init__(
        self, params: Iterable[Any], lr: float, batch_size: int | None = None, **batching: Any
    ) -> None:
        super().__init__(params, {"lr": lr}, batch_size=batch_size, **batching)
