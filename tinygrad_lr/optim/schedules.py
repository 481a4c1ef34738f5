"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s names and semantics.

A scheduler changes its optimizer's ``lr`` once per epoch. As in PyTorch, it is built after
the optimizer (which sets the starting lr, ``base_lr``, to the optimizer's ``lr`` at that time)
and ``scheduler.step()`` is called after each epoch's updates::

    opt = GD(model.parameters(), lr=0.1)
    sched = StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        ...                  # the epoch's updates, each ending with opt.step()
        sched.step()         # lr for the next epoch
    sched.get_last_lr()      # [the lr the next epoch uses]

:func:`~tinygrad_lr.fit` does this for you with ``fit(..., scheduler=sched)``. Every schedule
is a formula of the epoch count ``e`` (0 before the first ``step()``), written in its docstring.

**Two schedules on one optimizer multiply**, as ``torch.optim.lr_scheduler``'s schedules do when
both are stepped (its "chaining"): every schedule starts from the lr the optimizer had before the
first one was built (PyTorch's ``initial_lr``), and the lr is that times each schedule's factor::

    warm = LinearLR(opt, start_factor=0.5, total_iters=2)     # factor 0.5, 0.75, 1, 1, ...
    decay = ExponentialLR(opt, gamma=0.9)                     # factor 0.9^e
    # after e steps of both: lr = base_lr * warm's factor * 0.9^e

:class:`ChainedScheduler` steps several at once (``fit`` takes one scheduler: give it the chain).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..errors import OptionError
from .base import Optimizer, check_range

__all__ = [
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "ChainedScheduler",
    "make_scheduler",
]


def _whole(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise OptionError(name, f"a whole number >= {low}", value)
    return value


class LRScheduler:
    """The base class: ``lr = base_lr * factor(e)`` after ``e`` calls of :meth:`step`.

    Every param group of the optimizer follows the schedule from its own starting lr, as in
    ``torch.optim.lr_scheduler``. Schedules built on the same optimizer share that starting lr and
    multiply their factors (see the module's text); ``optimizer.schedulers`` lists them.

    Attributes:
        optimizer: the optimizer whose ``lr`` is set.
        base_lrs: every param group's lr before the optimizer's first schedule was built
            (``base_lr``: the first group's).
        last_epoch: ``e``, the number of ``step()`` calls so far.
    """

    name = "schedule"

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__} needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        chain = optimizer.schedulers
        starts = [float(group["lr"]) for group in optimizer.param_groups]
        self.base_lrs = [*chain[0].base_lrs, *starts[len(chain[0].base_lrs) :]] if chain else starts
        self.last_epoch = 0
        chain.append(self)
        self._set(0)

    @property
    def base_lr(self) -> float:
        """The (first param group's) lr when the scheduler was built."""
        return self.base_lrs[0]

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        """The learning rate after ``epoch`` calls of :meth:`step`, from ``base_lr`` (default:
        the first param group's)."""
        raise NotImplementedError

    def step(self) -> None:
        """One more epoch is done: set the optimizer's lr for the next one."""
        self.last_epoch += 1
        self._set(self.last_epoch)

    def get_last_lr(self) -> list[float]:
        """The lr set by the last :meth:`step`, one per param group (as PyTorch gives it)."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def _set(self, epoch: int) -> None:
        """Every group's lr: ``base * factor`` of each schedule on the optimizer, at its own epoch."""
        chain = self.optimizer.schedulers
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            lr = chain[0].lr_at(chain[0].last_epoch, base)  # one schedule alone: exactly its formula
            for other in chain[1:]:
                lr *= other.lr_at(other.last_epoch, base) / base
            group["lr"] = float(lr)  # may reach 0 (a cosine's end): not checked

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` epochs: ``lr = base_lr * gamma^floor(e / step_size)``.

    Example:
        >>> from tinygrad_lr import GD, Value
        >>> sched = StepLR(GD([Value(0.0)], lr=0.1), step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.1, 0.05, 0.05, 0.025, 0.025]
    """

    name = "step"

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _whole("step_size", step_size, 1)
        self.gamma = check_range("gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return base * self.gamma ** (epoch // self.step_size)

    def describe(self) -> str:
        return f"lr x {self.gamma:g} every {self.step_size} epochs"


class ExponentialLR(LRScheduler):
    """Multiply the lr by ``gamma`` every epoch: ``lr = base_lr * gamma^e``.

    Example:
        >>> from tinygrad_lr import GD, Value
        >>> sched = ExponentialLR(GD([Value(0.0)], lr=0.1), gamma=0.5)
        >>> sched.step(); sched.step(); sched.get_last_lr()
        [0.025]
    """

    name = "exponential"

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = check_range("gamma", gamma, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return base * self.gamma**epoch

    def describe(self) -> str:
        return f"lr x {self.gamma:g} every epoch"


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs::

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * e / T_max)) / 2

    (PyTorch's closed form; after ``T_max`` the cosine rises again.)

    Example:
        >>> from tinygrad_lr import GD, Value
        >>> sched = CosineAnnealingLR(GD([Value(0.0)], lr=0.1), T_max=4)
        >>> [round(sched.lr_at(e), 12) for e in range(5)]
        [0.1, 0.085355339059, 0.05, 0.014644660941, 0.0]
    """

    name = "cosine"

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 - PyTorch's name
        self.T_max = _whole("T_max", T_max, 1)
        self.eta_min = check_range("eta_min", eta_min, 0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return self.eta_min + (base - self.eta_min) * (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0

    def describe(self) -> str:
        return f"cosine from lr to {self.eta_min:g} over {self.T_max} epochs"


class LinearLR(LRScheduler):
    """A linear warm-up (or cool-down): the factor goes from ``start_factor`` to ``end_factor`` in
    ``total_iters`` epochs, then stays::

        lr = base_lr * (start_factor + (end_factor - start_factor) * min(e, total_iters) / total_iters)

    The defaults are PyTorch's: a third of the lr at first, the full lr after 5 epochs.

    Example:
        >>> from tinygrad_lr import GD, Value
        >>> sched = LinearLR(GD([Value(0.0)], lr=0.3), start_factor=0.5, total_iters=2)
        >>> [round(sched.lr_at(e), 12) for e in range(4)]
        [0.15, 0.225, 0.3, 0.3]
    """

    name = "warmup"

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3.0,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = check_range("start_factor", start_factor, 0.0, 1.0, open_high=False)
        if self.start_factor == 0.0:
            raise ValueError("start_factor must be > 0 (a learning rate of 0 would not move)")
        self.end_factor = check_range("end_factor", end_factor, 0.0, 1.0, open_high=False)
        self.total_iters = _whole("total_iters", total_iters, 1)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        frac = min(epoch, self.total_iters) / self.total_iters
        return base * (self.start_factor + (self.end_factor - self.start_factor) * frac)

    def describe(self) -> str:
        return f"lr x {self.start_factor:g} -> x {self.end_factor:g} over {self.total_iters} epochs"


class ChainedScheduler(LRScheduler):
    """Several schedules on one optimizer, stepped together (``torch.optim.lr_scheduler.ChainedScheduler``).

    Their factors multiply (as they would stepped one by one): after ``e`` steps the lr is
    ``base_lr * factor_1(e) * factor_2(e) * ...``. Give it to ``fit(..., scheduler=...)``, which
    takes one scheduler, to step every schedule of the optimizer.

    Example (half the lr at first, rising to the full lr at epoch 2, times 0.5 every epoch):
        >>> from tinygrad_lr import GD, Value
        >>> opt = GD([Value(0.0)], lr=0.4)
        >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> chain = ChainedScheduler([warm, ExponentialLR(opt, 0.5)])
        >>> lrs = [chain.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     chain.step(); lrs.append(round(chain.get_last_lr()[0], 12))
        >>> lrs                              # 0.4 * (0.5, 0.75, 1, 1) * (1, 0.5, 0.25, 0.125)
        [0.2, 0.15, 0.1, 0.05]
    """

    name = "chained"

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        items = list(schedulers) if isinstance(schedulers, (list, tuple)) else None
        if not items or not all(isinstance(s, LRScheduler) for s in items):
            raise TypeError(f"ChainedScheduler needs a list of schedules (StepLR, ...), got {schedulers!r}")
        opt = items[0].optimizer if optimizer is None else optimizer
        if any(s.optimizer is not opt for s in items):
            raise ValueError("ChainedScheduler: every schedule must be built on the same optimizer")
        if len({id(s) for s in items}) != len(items):
            raise ValueError(
                "ChainedScheduler: a schedule is given twice (it would be stepped twice per epoch)"
            )
        self.optimizer, self.schedulers = opt, items
        self.base_lrs = items[0].base_lrs

    @property
    def last_epoch(self) -> int:  # type: ignore[override]
        return self.schedulers[0].last_epoch

    def step(self) -> None:
        for s in self.schedulers:
            s.step()

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        lr = self.schedulers[0].lr_at(epoch, base)
        for other in self.schedulers[1:]:
            lr *= other.lr_at(epoch, base) / base
        return lr

    def describe(self) -> str:
        return "; times ".join(s.describe() for s in self.schedulers)


SCHEDULE_SYNTAX = (
    "step:STEP_SIZE[:GAMMA], exponential:GAMMA, cosine[:T_MAX[:ETA_MIN]] or warmup[:ITERS[:START_FACTOR]]"
)


def make_scheduler(spec: str, optimizer: Optimizer, epochs: int) -> LRScheduler:
    """Build a schedule from a short text, as the command line's ``--schedule`` takes it.

    ``step:10:0.5`` is ``StepLR(opt, 10, 0.5)``; ``exponential:0.99`` is ``ExponentialLR(opt, 0.99)``;
    ``cosine`` is ``CosineAnnealingLR(opt, T_max=epochs)`` (``cosine:50:0.001`` sets both);
    ``warmup`` is ``LinearLR(opt)`` (``warmup:10:0.1`` warms up over 10 epochs from lr/10).

    Example:
        >>> from tinygrad_lr import GD, Value
        >>> make_scheduler("step:10:0.5", GD([Value(0.0)], lr=0.1), epochs=100)
        StepLR(lr x 0.5 every 10 epochs)
    """
    try:
        return _make_scheduler(spec, optimizer, epochs)
    except OptionError as exc:  # a value of the spec: the command line says --schedule
        said = f"schedule {spec!r}: {exc.subject}"
        raise OptionError("schedule", exc.requirement, exc.value, subject=said, part=exc.subject) from None


def _make_scheduler(spec: str, optimizer: Optimizer, epochs: int) -> LRScheduler:
    kind, *args = spec.strip().split(":")
    kind = kind.lower()
    makers: dict[str, tuple[Any, int, int]] = {  # class, required args, max args
        "step": (StepLR, 1, 2),
        "exponential": (ExponentialLR, 1, 1),
        "cosine": (CosineAnnealingLR, 0, 2),
        "warmup": (LinearLR, 0, 2),
    }
    if kind not in makers:
        raise ValueError(f"unknown schedule {spec!r}; use {SCHEDULE_SYNTAX}")
    cls, low, high = makers[kind]
    if not low <= len(args) <= high:
        raise ValueError(
            f"schedule {spec!r}: {kind} takes {low} to {high} numbers after ':'; use {SCHEDULE_SYNTAX}"
        )
    try:
        nums = [float(a) for a in args]
    except ValueError:
        raise ValueError(f"schedule {spec!r}: the values after ':' must be numbers") from None
    whole = [int(n) if n.is_integer() else n for n in nums[:1]]  # first value: epochs for step/cosine/warmup
    if kind == "step":
        return StepLR(optimizer, whole[0], *nums[1:])  # type: ignore[arg-type]
    if kind == "exponential":
        return ExponentialLR(optimizer, nums[0])
    if kind == "cosine":
        return CosineAnnealingLR(optimizer, whole[0] if nums else max(int(epochs), 1), *nums[1:])  # type: ignore[arg-type]
    start = nums[1] if len(nums) > 1 else 1.0 / 3.0
    return LinearLR(optimizer, start_factor=start, total_iters=whole[0] if nums else 5)  # type: ignore[arg-type]
