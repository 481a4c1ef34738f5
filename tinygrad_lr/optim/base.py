"""The base class every optimizer shares: parameters, a learning rate, the batching it stands for."""


from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..data import check_batch_size
from ..errors import InputError, describe
from ..graph import no_grad

__all__ = ["Optimizer", "check_lr"]


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
        if isinstance(params, str) or not hasattr(params, "__iter__"):
            raise InputError(
                f"{type(self).__name__}: params must be a list of Values or Tensors "
                f"(model.parameters()), got {describe(params)}"
            )
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
        if self.batch_size is not None and self.batch_size != 1:
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
