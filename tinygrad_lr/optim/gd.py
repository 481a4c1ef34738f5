"""Gradient descent, SGD and mini-batch SGD: one update rule, three ways to batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .base import Optimizer

__all__ = ["GD", "SGD", "MiniBatchSGD"]


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
