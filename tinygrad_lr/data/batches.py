"""Mini-batches: which samples each update of an epoch uses, drawn from an explicit Generator."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, describe

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
        raise ValueError(f"batch size must be a whole number, got {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    if n is not None and batch_size > n:
        raise ValueError(f"batch size {batch_size} is larger than the data set ({n} samples)")
    return int(batch_size)
