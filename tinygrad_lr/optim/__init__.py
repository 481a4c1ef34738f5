"""Optimizers: how the parameters move once backpropagation has given the gradients.

Gradient descent applies, for every parameter ``p`` (a ``Value`` or a ``Tensor``)::

    p <- p - lr * dL/dp

* :class:`GD` -- every sample, one update per epoch (batch gradient descent);
* :class:`SGD` -- ONE sample per update, in order or in a random order (with or without
  replacement), ``n`` updates per epoch;
* :class:`MiniBatchSGD` -- ``batch_size`` samples per update.

The other optimizers change the update rule, and each keeps its memory in ``opt.state[p]``
(written out in their docstrings and in docs/optimizers.md), with ``torch.optim``'s rules and
defaults: :class:`Momentum` and :class:`Nesterov` (``torch.optim.SGD(momentum=...)``),
:class:`Adagrad`, :class:`RMSprop`, :class:`Adam` and :class:`AdamW`. They use the whole data set
per update by default, ``batch_size`` samples per update for mini-batches, one sample with
``batch_size=1`` -- exactly as GD relates to mini-batch SGD and SGD.

So an optimizer is the update rule plus the batching it stands for (``batch_size``,
``shuffle``, ``replacement``, ``drop_last``); :func:`~tinygrad_lr.fit` reads those to draw the
batches with :func:`~tinygrad_lr.data.batch_indices`. As in PyTorch, a training step is::

    opt.zero_grad()          # gradients accumulate, so clear them first
    loss = mse(model(Xb), yb)
    loss.backward()          # dL/dp for every parameter
    opt.step()               # p <- update(p, dL/dp), inside no_grad(): data only, no graph

``step()`` changes parameters' ``data`` (and the optimizer's own state) and nothing else;
``zero_grad()`` their ``grad``. Learning-rate schedules are in :mod:`.schedules`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .base import Optimizer, check_lr
from .gd import GD, SGD, MiniBatchSGD
from .momentum import Momentum, Nesterov
from .newton import Newton
from .schedules import CosineAnnealingLR, ExponentialLR, LinearLR, LRScheduler, StepLR, make_scheduler

__all__ = [
    "Optimizer",
    "GD",
    "SGD",
    "MiniBatchSGD",
    "Newton",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "OPTIMIZERS",
    "make_optimizer",
    "make_scheduler",
    "check_lr",
]


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "gd": GD,
    "sgd": SGD,
    "minibatch": MiniBatchSGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adamw": AdamW,
    "newton": Newton,
}


def make_optimizer(
    name: str,
    params: Iterable[Any],
    lr: float | None,
    batch_size: int | None = None,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    **options: Any,
) -> Optimizer:
    """Build an optimizer by name (a key of :data:`OPTIMIZERS`), checking the options fit it.

    ``options`` are the rule's own settings (``momentum``, ``betas``, ``eps``, ``weight_decay`` ...);
    ``lr=None`` takes the rule's PyTorch default (GD, SGD and mini-batch SGD have none).

    Example:
        >>> from tinygrad_lr import Value
        >>> make_optimizer("adam", [Value(0.0)], None, batch_size=2, betas=(0.8, 0.99))
        Adam(Adam (lr 0.001, betas (0.8, 0.99), eps 1e-08, batch 2, in order))
    """
    key = name.lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[key]
    if key not in ("gd", "sgd", "minibatch"):
        if lr is not None:
            options["lr"] = lr
        try:
            batching = dict(shuffle=shuffle, replacement=replacement, drop_last=drop_last)
            return cls(params, batch_size=batch_size, **batching, **options)
        except TypeError as exc:  # an option this rule does not have
            raise ValueError(f"{cls.title}: {str(exc).split('() ', 1)[-1]}") from None
    if options:
        raise ValueError(f"{cls.title} has no option {', '.join(sorted(options))}")
    if lr is None:
        raise ValueError(f"{cls.title} needs a learning rate (lr)")
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
