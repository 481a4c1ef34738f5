"""Mini-batches: which samples each update of an epoch uses, drawn from an explicit Generator.

:class:`Batching` is the one definition of it (``batch_size``, ``shuffle``, ``replacement``,
``drop_last``): what GD, SGD and mini-batch SGD differ in, what every optimizer carries, what
:func:`~tinygrad_lr.fit` cuts its batches by -- from arrays in memory (:meth:`Batching.epoch`) or
from the chunks of a file read in order (:meth:`Batching.over_chunks`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError, OptionError, describe

# --- batching --------------------------------------------------------------------------------


def as_generator(rng: np.random.Generator | np.random.RandomState | int | None) -> Any:
    """A ``numpy.random.Generator``: ``rng`` itself, a new one seeded with an int, or an unseeded one.

    A legacy ``numpy.random.RandomState`` is returned as it is, so code seeded the old way
    (``np.random.seed(0)``; ``rand``, ``randn``, ``randint``) can be reproduced draw for draw.
    """
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be a numpy.random.Generator, a RandomState, an int seed or None, got {type(rng).__name__}"
    )


def batch_indices(
    n: int,
    batch_size: int | None = None,
    *,
    shuffle: bool = False,
    replacement: bool = False,
    drop_last: bool = False,
    rng: np.random.Generator | np.random.RandomState | None = None,
    window: int | None = None,
) -> list[np.ndarray]:
    """The sample indices of each update in one epoch over ``n`` samples.

    * ``batch_size=None``: one batch of every sample, in order (full-batch gradient descent);
    * in order (default): ``[0..B-1], [B..2B-1], ...``;
    * ``shuffle=True``: a fresh permutation of ``0..n-1`` each epoch, cut into batches, so every
      sample is used exactly once per epoch (sampling *without* replacement);
    * ``replacement=True``: ``n`` indices drawn independently and uniformly (a sample can come
      twice or not at all), cut into batches -- the SGD tutorial's ``randint(n)`` per update.

    With ``window=K``, shuffling and drawing with replacement happen within each run of ``K``
    consecutive samples (``0..K-1``, then ``K..2K-1``, ...; one ``rng`` call per run, in order):
    the order a :class:`~tinygrad_lr.data.CSVStream` with ``chunk_rows=K`` uses, so training in
    memory and streamed give the same numbers.

    The last batch is shorter when ``B`` does not divide ``n``; ``drop_last=True`` drops it.
    Random orders come from ``rng`` (required for them), never from global state.

    Example:
        >>> [b.tolist() for b in batch_indices(5, 2)]
        [[0, 1], [2, 3], [4]]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(
            f"batch_indices: need at least one sample: n must be a whole number >= 1, got {describe(n)}"
        )
    if batch_size is None:
        return [np.arange(n)]
    check_batch_size(batch_size, n)
    if shuffle or replacement:
        if rng is None:
            raise ValueError(
                "batch_indices: shuffling or sampling with replacement needs an rng (a Generator)"
            )
        if isinstance(rng, np.random.RandomState):  # legacy: `randint(n)` once per update
            if window is not None:
                raise InputError("batch_indices: window needs a numpy.random.Generator, not a RandomState")
            order = np.array([rng.randint(n) for _ in range(n)]) if replacement else rng.permutation(n)
        else:
            order = _draw_order(n, replacement, rng, window)
    else:
        order = np.arange(n)
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if drop_last and len(batches[-1]) < batch_size:
        batches.pop()
    return batches


def _draw_order(n: int, replacement: bool, rng: np.random.Generator, window: int | None) -> np.ndarray:
    if window is None:
        return rng.integers(0, n, size=n) if replacement else rng.permutation(n)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise InputError(f"batch_indices: window must be a whole number >= 1, got {describe(window)}")
    return np.concatenate(
        [start + draw_in_chunk(min(window, n - start), replacement, rng) for start in range(0, n, window)]
    )


def draw_in_chunk(k: int, replacement: bool, rng: np.random.Generator) -> np.ndarray:
    """The order of the ``k`` samples of one chunk (or window): a permutation, or ``k`` draws."""
    return rng.integers(0, k, size=k) if replacement else rng.permutation(k)


def check_batch_size(batch_size: object, n: int | None = None) -> int:
    """Return ``batch_size`` if it is an integer in ``1..n``; raise a clear ``ValueError`` if not."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise OptionError("batch_size", "a whole number", batch_size, subject="batch size")
    if batch_size < 1:
        raise OptionError("batch_size", "at least 1", batch_size, subject="batch size")
    if n is not None and batch_size > n:
        raise ValueError(f"batch size {batch_size} is larger than the data set ({n} samples)")
    return int(batch_size)


@dataclass(frozen=True)
class Batching:
    """Which samples each update uses: all of them (``batch_size=None``), or batches of
    ``batch_size`` -- in order, a new random order every epoch (``shuffle``), or drawn at random
    with replacement (``replacement``); ``drop_last`` skips an epoch's last, short batch.

    Example:
        >>> b = Batching(batch_size=2)
        >>> [i.tolist() for i in b.epoch(5)], b.updates_per_epoch(5), b.describe()
        ([[0, 1], [2, 3], [4]], 3, ['batch 2', 'in order'])
    """

    batch_size: int | None = None
    shuffle: bool = False
    replacement: bool = False
    drop_last: bool = False

    def __post_init__(self) -> None:
        if self.batch_size is not None:
            object.__setattr__(self, "batch_size", check_batch_size(self.batch_size))
        for name in ("shuffle", "replacement", "drop_last"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        if self.batch_size is None and (self.shuffle or self.replacement or self.drop_last):
            raise ValueError("shuffling, replacement and drop_last choose batches; they need a batch_size")

    @property
    def whole(self) -> bool:
        """Every sample in one batch, in order: full-batch gradient descent."""
        return self.batch_size is None

    @property
    def random(self) -> bool:
        """Whether the batches are drawn with an rng (shuffled, or with replacement)."""
        return self.shuffle or self.replacement

    def generator(self, rng: Any) -> Any:
        """The Generator that draws the batches (:func:`as_generator` of ``rng``), or ``None`` for
        batches in order, which draw nothing."""
        return as_generator(rng) if self.random else None

    def epoch(self, n: int, rng: Any = None, window: int | None = None) -> list[np.ndarray]:
        """The sample indices of every update of one epoch over ``n`` samples (:func:`batch_indices`)."""
        return batch_indices(
            n,
            self.batch_size,
            shuffle=self.shuffle,
            replacement=self.replacement,
            drop_last=self.drop_last,
            rng=rng,
            window=window,
        )

    def updates_per_epoch(self, n: int) -> int:
        """How many updates one epoch over ``n`` samples makes."""
        if self.batch_size is None:
            return 1
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def over_chunks(
        self, chunks: Iterable[tuple[np.ndarray, np.ndarray]], rng: Any = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The batches ``(X, y)`` of one epoch over data read a chunk at a time, in order.

        The rule :class:`~tinygrad_lr.data.CSVStream` documents: shuffling (or drawing with
        replacement) happens within each chunk, one ``rng`` call per chunk; a batch may span two
        chunks. ``epoch(n, rng, window=chunk_rows)`` gives the same batches in memory.
        """
        B = self.batch_size
        if B is None:
            raise ValueError("over_chunks cuts batches: the whole data set is one batch only in memory")
        carry: tuple[np.ndarray, np.ndarray] | None = None
        for X, y in chunks:
            if self.random:  # within this chunk only
                order = draw_in_chunk(len(y), self.replacement, rng)
                X, y = X[order], y[order]
            if carry is not None:  # a batch spanning two chunks
                X, y = np.concatenate([carry[0], X]), np.concatenate([carry[1], y])
            full = len(y) - len(y) % B
            for i in range(0, full, B):
                yield X[i : i + B], y[i : i + B]
            carry = (X[full:], y[full:]) if full < len(y) else None
        if carry is not None and not self.drop_last:
            yield carry

    def describe(self) -> list[str]:
        """The batching in words, for an optimizer's description: ``['batch 10', 'shuffled every epoch']``."""
        parts = []
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
        return parts
