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

So an optimizer is the update rule, its hyper-parameters kept as ``torch.optim`` keeps them
(``opt.defaults``, ``opt.param_groups``), plus the batching it stands for (``batch_size``,
``shuffle``, ``replacement``, ``drop_last``: one :class:`~tinygrad_lr.data.Batching`, given to
every optimizer the same way); :func:`~tinygrad_lr.fit` cuts its batches by it. As in PyTorch, a
training step is::

    opt.zero_grad()          # gradients accumulate, so clear them first
    loss = mse(model(Xb), yb)
    loss.backward()          # dL/dp for every parameter
    opt.step()               # p <- update(p, dL/dp), inside no_grad(): data only, no graph

``step()`` changes parameters' ``data`` (and the optimizer's own state) and nothing else;
``zero_grad()`` their ``grad``. Learning-rate schedules are in :mod:`.schedules`.

:data:`OPTIMIZERS` is the registry of every rule by name (:mod:`.registry`): each module of this
package is imported here, and a class decorated with ``@register`` in it enters the registry, so
adding an optimizer is adding one file; :func:`make_optimizer`, ``fit(..., "name")``, the command
line and the live lab take it from there.
"""

from __future__ import annotations

import importlib
import pkgutil

from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .base import Optimizer, Option, check_lr
from .gd import GD, SGD, MiniBatchSGD
from .momentum import Momentum, Nesterov
from .newton import Newton
from .registry import OPTIMIZERS, make_optimizer, optimizer_class, register
from .schedules import (
    ChainedScheduler,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    StepLR,
    make_scheduler,
)

for _module in pkgutil.iter_modules(__path__):  # an optimizer in a new file registers itself on import
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "Optimizer",
    "Option",
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
    "ChainedScheduler",
    "OPTIMIZERS",
    "register",
    "optimizer_class",
    "make_optimizer",
    "make_scheduler",
    "check_lr",
]
