"""The base class every optimizer shares: parameters, a learning rate, the batching it stands for."""


from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..data import check_batch_size
from ..errors import InputError, describe
from ..graph import no_grad

__all__ = ["Optimizer", "ParamState", "check_lr", "check_range"]


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


def check_range(
    name: str, value: object, low: float, high: float | None = None, *, open_high: bool = True
) -> float:
    """Return ``value`` as a float if ``low <= value`` (and ``value < high``, or ``<= high`` with
    ``open_high=False``); raise a ``ValueError`` naming the option otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < low or (high is not None and (v >= high if open_high else v > high)):
        if high is None:
            bound = f">= {low:g}"
        else:
            bound = f"in [{low:g}, {high:g}{')' if open_high else ']'}"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")
    return v


def sqrt(x: Any) -> Any:
    """Square root of a float (a Value's data stays a Python float) or of an array."""
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def zeros_like(x: Any) -> Any:
    """``0.0`` for a float (a Value's data), an array of zeros for an array: an optimizer's fresh state."""
    return 0.0 if isinstance(x, float) else np.zeros_like(x)


class ParamState:
    """Per-parameter optimizer state, ``opt.state[p]``, as in ``torch.optim``.

    ``opt.state[p]`` is a dict (``{"step": 3, "exp_avg": ..., ...}``) created empty on first use.
    Parameters are told apart by identity, so the state of ``w`` is never confused with the
    state of an equal-valued ``b``.
    """

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Any, dict[str, Any]]] = {}

    def __getitem__(self, p: Any) -> dict[str, Any]:
        entry = self._by_id.get(id(p))
        if entry is None:
            entry = self._by_id[id(p)] = (p, {})  # p is kept so its id cannot be reused
        return entry[1]

    def __contains__(self, p: object) -> bool:
        return id(p) in self._by_id

    def __len__(self) -> int:
        return len(self._by_id)

    def items(self) -> list[tuple[Any, dict[str, Any]]]:
        return list(self._by_id.values())

    def clear(self) -> None:
        self._by_id.clear()

    def __repr__(self) -> str:
        return "ParamState(" + ", ".join(f"{_label(p)}: {s}" for p, s in self._by_id.values()) + ")"


def _label(p: Any) -> str:
    return str(getattr(p, "label", None) or getattr(p, "name", None) or type(p).__name__)


class Optimizer:
    """The update ``p <- p - lr * p.grad`` for a list of parameters.

    Subclasses change :meth:`update` (the rule for one parameter) and keep what they remember
    between steps in ``self.state[p]``; the batching attributes are the same for all of them.

    Attributes:
        params: the parameters (``Value`` or ``Tensor`` leaves), in order.
        lr: the learning rate (finite, > 0).
        batch_size: samples per update; ``None`` means all of them.
        shuffle: draw a new random order of the samples every epoch.
        replacement: draw the samples of an epoch independently (repeats possible).
        drop_last: skip the last, short batch of an epoch.
        state: ``state[p]``, the dict an optimizer keeps for parameter ``p`` between steps
            (empty for GD, SGD and mini-batch SGD, which remember nothing).
    """

    name = "optimizer"
    create_graph = False  # True: fit() calls loss.backward(create_graph=True) (Newton differentiates it)

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
        if self.batch_size is None and (self.shuffle or self.replacement or self.drop_last):
            raise ValueError(
                f"{self.title}: shuffling, replacement and drop_last choose batches; they need a batch_size"
            )
        self.state = ParamState()

    def step(self) -> None:
        """Move every parameter by its update rule: ``p.data <- update(p.data, p.grad, state[p])``."""
        with no_grad():
            for p in self.params:
                g = p.grad
                if g is None:  # a Tensor that took no part in the loss
                    continue
                p.data = self.update(p.data, g, self.state[p])

    def update(self, p: Any, g: Any, state: dict[str, Any]) -> Any:
        """The new value of one parameter from its value ``p`` and gradient ``g = dL/dp``:
        ``p - lr * g`` (plain gradient descent; a float for a Value, an array for a Tensor)."""
        return p - self.lr * g

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
        parts[1:1] = self.hyper_parameters()
        return f"{self.title} ({', '.join(parts)})"

    def hyper_parameters(self) -> list[str]:
        """The settings besides lr and batching, for :meth:`describe` (``["momentum 0.9"]`` ...)."""
        return []

    title = "optimizer"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"
