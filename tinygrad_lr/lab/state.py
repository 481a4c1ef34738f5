"""The lab's state: one plain value holding everything a situation needs, and its checks.

A :class:`LabState` is the data, the parameters ``w`` and ``b``, the settings (loss, engine,
optimizer and its options, learning rate, batching), the optimizer's memory (Adam's averages,
momentum's velocity ...), where the run is (update, epoch, this epoch's batches, the random
generator) and the path so far. It holds numbers only: the engine objects are rebuilt from it
for every update (:mod:`.engine`), so a state can be copied, undone, and written into a link
(:mod:`.code`) and read back to the last bit.

Every number that comes in is checked here: finite, at most :data:`MAX_ABS` in size, at most
:data:`MAX_POINTS` points and :data:`MAX_UPDATES` updates. What is refused raises
:class:`LabInputError`, whose message the page shows; the state it was applied to is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..data import batch_indices
from ..models import ENGINES
from . import menu

__all__ = [
    "MAX_POINTS",
    "MAX_UPDATES",
    "MAX_ABS",
    "ORDERS",
    "LOSSES",
    "LabInputError",
    "Settings",
    "Position",
    "Trail",
    "LabState",
    "WORKED_EXAMPLE",
    "check_data",
    "new_run",
    "next_position",
    "whole",
    "number",
    "fresh_position",
    "Memory",
]

MAX_POINTS = 1000  # data points: every update builds a graph over its batch, every view over all
MAX_UPDATES = 5000  # updates in one run: the path and the loss curve keep every one
MAX_ABS = 1e12  # largest |number| accepted for data, parameters, lr and options: squares stay finite
ORDERS = ("in order", "shuffled", "replacement")
LOSSES = ("sse", "mse")
MAX_SEED = 2**32 - 1


class LabInputError(ValueError):
    """Input the lab refuses (a NaN, too many points, an unknown option); the message says why."""


def number(value: Any, what: str, *, low: float = -MAX_ABS, high: float = MAX_ABS) -> float:
    """``value`` as a float if it is a finite number in ``[low, high]``; :class:`LabInputError` if not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LabInputError(f"{what} must be a number, got {_show(value)}")
    v = float(value)
    if not math.isfinite(v):
        raise LabInputError(f"{what} must be a finite number, got {v!r}")
    if not low <= v <= high:
        raise LabInputError(f"{what} must be between {low:g} and {high:g}, got {v:g}")
    return v


def whole(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``; :class:`LabInputError` if not."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LabInputError(f"{what} must be a whole number from {low} to {high}, got {_show(value)}")
    return int(value)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass(frozen=True)
class Settings:
    """What the learner chose: loss, engine, optimizer (with options), lr and batching."""

    loss: str = "sse"
    engine: str = "value"
    optimizer: str = menu.PLAIN
    lr: float = 0.01
    options: tuple[tuple[str, Any], ...] = ()  # the rule's options, every one (defaults filled in)
    batching: str = "gd"  # gd: every sample per update, sgd: one, minibatch: batch_size
    batch_size: int = 2
    order: str = "in order"  # of the samples within an epoch (SGD and mini-batch)
    drop_last: bool = False
    seed: int = 0

    def checked(self, n: int) -> Settings:
        """These settings checked for data of ``n`` points (the batch size clipped to ``n``)."""
        if self.loss not in LOSSES:
            raise LabInputError(f"unknown loss {self.loss!r}; choose sse or mse")
        if self.engine not in ENGINES:
            raise LabInputError(f"unknown engine {self.engine!r}; choose value or tensor")
        if self.batching not in menu.BATCHINGS:
            raise LabInputError(f"unknown batching {self.batching!r}; choose gd, sgd or minibatch")
        if self.order not in ORDERS:
            raise LabInputError(f"unknown order {self.order!r}; choose {', '.join(ORDERS)}")
        if not isinstance(self.drop_last, bool):
            raise LabInputError(f"drop_last must be true or false, got {_show(self.drop_last)}")
        try:
            menu.rule(self.optimizer)
            options = menu.check_options(self.optimizer, dict(self.options))
        except ValueError as exc:
            raise LabInputError(str(exc)) from None
        lr = number(self.lr, "the learning rate", low=0.0)
        if lr <= 0.0:
            raise LabInputError(f"the learning rate must be positive, got {lr!r}")
        size = whole(self.batch_size, "the batch size", 1, MAX_POINTS)
        seed = whole(self.seed, "the seed", 0, MAX_SEED)
        return replace(
            self, lr=lr, options=tuple(options.items()), batch_size=min(size, max(n, 1)), seed=seed
        )

    def option_dict(self) -> dict[str, Any]:
        return dict(self.options)

    def needs_rng(self) -> bool:
        return self.batching != "gd" and self.order != "in order"


@dataclass(frozen=True)
class Position:
    """Where the run is: the next update's number, its epoch, this epoch's batches and which is next.

    ``rng`` is the random generator's state after this epoch's batches were drawn (PCG64's two
    128-bit numbers and its buffered 32-bit half), ``None`` when the order is not random.
    """

    update: int = 0
    epoch: int = 1
    batches: tuple[tuple[int, ...], ...] = ()
    index: int = 0
    rng: tuple[int, int, int, int] | None = None

    @property
    def batch(self) -> tuple[int, ...]:
        return self.batches[self.index]


def _generator(rng: tuple[int, int, int, int] | None, seed: int) -> np.random.Generator:
    gen = np.random.default_rng(seed)
    if rng is not None:
        state = gen.bit_generator.state
        gen.bit_generator.state = {
            **state,
            "state": {"state": rng[0], "inc": rng[1]},
            "has_uint32": rng[2],
            "uinteger": rng[3],
        }
    return gen


def _draw(settings: Settings, n: int, gen: np.random.Generator | None) -> tuple[tuple[int, ...], ...]:
    size = {"gd": None, "sgd": 1, "minibatch": settings.batch_size}[settings.batching]
    random = settings.needs_rng()
    batches = batch_indices(
        n,
        size,
        shuffle=random and settings.order == "shuffled",
        replacement=random and settings.order == "replacement",
        drop_last=settings.drop_last and settings.batching == "minibatch",
        rng=gen,
    )
    if not batches:  # drop_last with one short batch: nothing would be left
        raise LabInputError(
            f"with drop_last, a batch size of {size} leaves no batch of {n} points; "
            "turn drop_last off or take a smaller batch"
        )
    return tuple(tuple(int(i) for i in b) for b in batches)


def _rng_state(gen: np.random.Generator | None) -> tuple[int, int, int, int] | None:
    if gen is None:
        return None
    full = gen.bit_generator.state
    s = full["state"]
    return int(s["state"]), int(s["inc"]), int(full["has_uint32"]), int(full["uinteger"])


def fresh_position(settings: Settings, n: int, update: int = 0) -> Position:
    """The start of an epoch 1 for these settings: its batches drawn from a generator seeded with
    ``settings.seed`` (when the order is random)."""
    gen = np.random.default_rng(settings.seed) if settings.needs_rng() else None
    return Position(update, 1, _draw(settings, n, gen), 0, _rng_state(gen))


def next_position(pos: Position, settings: Settings, n: int) -> Position:
    """The position after one more update: the next batch, or the first of a new epoch."""
    if pos.index + 1 < len(pos.batches):
        return replace(pos, update=pos.update + 1, index=pos.index + 1)
    gen = _generator(pos.rng, settings.seed) if settings.needs_rng() else None
    return Position(pos.update + 1, pos.epoch + 1, _draw(settings, n, gen), 0, _rng_state(gen))


@dataclass(frozen=True)
class Trail:
    """The path so far, ``(w, b, loss)`` per point, as a list that shares its start with older
    versions of itself (an undo keeps every version, each costs one point)."""

    point: tuple[float, float, float]
    before: Trail | None = None
    length: int = 1

    def add(self, point: tuple[float, float, float]) -> Trail:
        return Trail(point, self, self.length + 1)

    def points(self) -> list[tuple[float, float, float]]:
        out = []
        t: Trail | None = self
        while t is not None:
            out.append(t.point)
            t = t.before
        return out[::-1]

    @property
    def first(self) -> tuple[float, float, float]:
        t = self
        while t.before is not None:
            t = t.before
        return t.point

    @staticmethod
    def of(points: list[tuple[float, float, float]]) -> Trail:
        trail = Trail(points[0])
        for p in points[1:]:
            trail = trail.add(p)
        return trail


Memory = tuple[tuple[str, tuple[tuple[str, float | int], ...]], ...]  # param -> (key, number) pairs


@dataclass(frozen=True)
class LabState:
    """One situation of the lab (see the module docstring). Build new ones with ``replace``."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    w: float
    b: float
    settings: Settings
    position: Position
    trail: Trail
    memory: Memory = ()  # param -> the optimizer's state
    names: tuple[str, str] = ("x", "y")
    message: str = field(default="", compare=False)  # what the last action said (an engine error ...)

    @property
    def n(self) -> int:
        return len(self.x)

    def memory_dict(self) -> dict[str, dict[str, float | int]]:
        return {p: dict(entries) for p, entries in self.memory}


def check_data(x: Any, y: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The points as two tuples of checked floats: 1 to :data:`MAX_POINTS`, finite, at most
    :data:`MAX_ABS`."""
    if not isinstance(x, (list, tuple)) or not isinstance(y, (list, tuple)):
        raise LabInputError(f"the data must be two lists of numbers (x and y), got {_show(x)} and {_show(y)}")
    if len(x) != len(y):
        raise LabInputError(f"the data has {len(x)} x values but {len(y)} y values")
    if not x:
        raise LabInputError("the lab needs at least one data point: add one by clicking the data panel")
    if len(x) > MAX_POINTS:
        raise LabInputError(
            f"the lab shows at most {MAX_POINTS} points, got {len(x)}: use a sample of the rows"
        )
    xs = tuple(number(v, f"x of point {i + 1}") for i, v in enumerate(x))
    ys = tuple(number(v, f"y of point {i + 1}") for i, v in enumerate(y))
    return xs, ys


def new_run(state: LabState, loss: float, *, keep_memory: bool = False) -> LabState:
    """``state`` as the start of a new run: the path begins at the current point, epoch 1."""
    return replace(
        state,
        position=fresh_position(state.settings, state.n),
        trail=Trail((state.w, state.b, loss)),
        memory=state.memory if keep_memory else (),
    )


WORKED_EXAMPLE: dict[str, Any] = {"x": [1.0, 2.0, 3.0], "y": [3.0, 5.0, 7.0], "w": 1.0, "b": 0.0}
"""The worked example: the points (1, 3), (2, 5), (3, 7) and w = 1, b = 0 (with the default
:class:`Settings`: SSE, gradient descent, lr = 0.01). Its first update: loss 29, dL/dw = -40,
dL/db = -18, then w = 1.4, b = 0.18 and loss 12.9612."""
