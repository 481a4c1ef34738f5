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

from collections.abc import Iterable
from typing import Any

from .base import Optimizer, check_lr
from .gd import GD, SGD, MiniBatchSGD
from .newton import Newton

__all__ = ["Optimizer", "GD", "SGD", "MiniBatchSGD", "Newton", "OPTIMIZERS", "make_optimizer", "check_lr"]


OPTIMIZERS: dict[str, type[Optimizer]] = {"gd": GD, "sgd": SGD, "minibatch": MiniBatchSGD, "newton": Newton}


def make_optimizer(
    name: str,
    params: Iterable[Any],
    lr: float,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
) -> Optimizer:
    """Build an optimizer by name (``"gd"``, ``"sgd"``, ``"minibatch"``, ``"newton"``); check its options."""
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if key == "gd":
        if batch_size is not None:
            raise ValueError("gradient descent uses every sample; a batch size needs --optimizer minibatch")
        if shuffle or replacement or drop_last:
            raise ValueError("gradient descent uses every sample in order; shuffling needs sgd or minibatch")
        return GD(params, lr)
    if key == "newton":
        if batch_size is not None or shuffle or replacement or drop_last:
            raise ValueError("Newton's method uses every sample in order (its Hessian is the full loss's)")
        return Newton(params, lr)
    if key == "sgd":
        if batch_size not in (None, 1):
            raise ValueError(f"SGD uses one sample per update; batch size {batch_size} needs minibatch")
        if drop_last:
            raise ValueError("SGD batches are single samples: there is no short last batch to drop")
        return SGD(params, lr, shuffle=shuffle, replacement=replacement)
    if batch_size is None:
        raise ValueError("mini-batch SGD needs a batch size")
    return MiniBatchSGD(params, lr, batch_size, shuffle=shuffle, replacement=replacement, drop_last=drop_last)
