"""Do two numbers agree? The one comparison the whole project uses to say "these are the same".

The exercises' checkers, :mod:`~tinygrad_lr.gradcheck` and the tests all ask :func:`isclose`
(or :func:`allclose` and :func:`assert_close`, which are built on it). Its rule::

    a and b are close  <=>  both are finite  and  |a - b| <= atol + rtol * max(|a|, |b|)

* **NaN or an infinity, on either side, is never close to anything, itself included.** The usual
  test ``|a - b| <= atol + rtol * max(|a|, |b|)`` alone is true whenever one side is infinite (its
  right-hand side becomes ``inf``), so a checker built on it would grade an answer of ``inf`` as
  correct. Here ``inf`` against ``inf`` compares nothing: both may have overflowed from different
  numbers. (``numpy.isclose`` and ``math.isclose`` call ``inf`` close to ``inf``; numpy's
  ``assert_allclose`` also calls NaN close to NaN.)
* **Symmetric**: ``isclose(a, b) == isclose(b, a)``; the relative tolerance scales with the larger
  of the two sizes (numpy's ``isclose`` scales with ``|b|`` only).
* ``rtol`` is the relative tolerance: two float64 computations of the same formula that differ
  only in the order of the operations agree to ~1e-15 relative, so :data:`RTOL` = 1e-9 leaves a
  wide margin for round-off and is still a million times smaller than any real mistake (a missing
  factor 2, a flipped sign, a lost sample). ``atol`` is the absolute tolerance, for numbers that
  should be zero but carry round-off from the larger numbers they were computed from (a sum that
  cancels): set it to the size of that round-off. It is 0 by default: a relative test alone.
* Exactly equal finite numbers are close for any tolerances, 0 included.
* Numbers are compared as float64; one too large for float64 (a Python int beyond ~1.8e308) is
  not finite. Anything that is not a number (a string, ``None``, a graph node) is a ``TypeError``.

Example:
    >>> isclose(0.1 + 0.2, 0.3)
    True
    >>> isclose(float("inf"), float("inf")), isclose(float("nan"), float("nan"))
    (False, False)
    >>> allclose([1.0, 2.0], [1.0, 2.0 + 1e-12])
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["RTOL", "ATOL", "isclose", "allclose", "assert_close", "nonfinite_name"]

# Two float64 computations of one formula in another order: ~1e-15 relative; a real mistake: O(1).
RTOL = 1e-9
# No absolute allowance unless the caller knows the size of the round-off (see the module's text).
ATOL = 0.0


def _check_tolerances(rtol: float, atol: float) -> None:
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if isinstance(tol, bool) or not isinstance(tol, (int, float, np.floating, np.integer)):
            raise TypeError(f"{name} must be a number >= 0, got {type(tol).__name__} {tol!r}")
        if not (math.isfinite(tol) and tol >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {tol!r}")


def _scalar(x: Any) -> float | None:
    """``x`` as a Python float when it is a single number (inf when too large), else None."""
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    if isinstance(x, (int, float, np.integer, np.floating)):
        try:
            return float(x)
        except OverflowError:  # an int beyond float64: not a finite float64
            return math.inf if x > 0 else -math.inf
    return None


def _float(v: Any) -> float:
    f = _scalar(v)
    if f is None:
        raise TypeError(f"not a number: {type(v).__name__} {v!r}")
    return f


def _array(x: Any, name: str) -> np.ndarray:
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got {type(x).__name__} {x!r}")
    try:
        return np.asarray(x, dtype=np.float64)
    except OverflowError:  # a Python int beyond float64 somewhere in x: it becomes +-inf
        return np.vectorize(_float, otypes=[np.float64])(np.asarray(x, dtype=object))
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(x).__name__} {str(x)[:60]}"
        ) from None


def isclose(a: Any, b: Any, *, rtol: float = RTOL, atol: float = ATOL) -> Any:
    """True where ``a`` and ``b`` are both finite and ``|a - b| <= atol + rtol * max(|a|, |b|)``.

    For two numbers the answer is a ``bool``; for arrays (or lists) a boolean array, entry by entry,
    broadcast as numpy does. NaN and infinities are never close (see the module's text).

    Example:
        >>> isclose(1.0, 1.0 + 1e-12), isclose(1.0, 1.001), isclose(float("inf"), 1.0)
        (True, False, False)
    """
    _check_tolerances(rtol, atol)
    fa, fb = _scalar(a), _scalar(b)
    if fa is not None and fb is not None:
        if not (math.isfinite(fa) and math.isfinite(fb)):
            return False
        return abs(fa - fb) <= atol + rtol * max(abs(fa), abs(fb))
    A, B = _array(a, "a"), _array(b, "b")
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf, or a difference beyond float64
        within = np.abs(A - B) <= atol + rtol * np.maximum(np.abs(A), np.abs(B))
        close = np.isfinite(A) & np.isfinite(B) & within
    return bool(close) if close.ndim == 0 else close


def _shapes_match(A: np.ndarray, B: np.ndarray) -> bool:
    """Same shape, or one side a single number (compared with every entry of the other)."""
    return A.shape == B.shape or A.ndim == 0 or B.ndim == 0


def allclose(a: Any, b: Any, *, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """True when ``a`` and ``b`` have the same shape (or one is a single number) and every entry
    is close by :func:`isclose`. Two empty arrays of the same shape are close.

    Example:
        >>> allclose([1.0, 2.0], [1.0, 2.0]), allclose([1.0, 2.0], [1.0]), allclose([1.0], [float("nan")])
        (True, False, False)
    """
    A, B = _array(a, "a"), _array(b, "b")
    return _shapes_match(A, B) and bool(np.all(isclose(A, B, rtol=rtol, atol=atol)))


def nonfinite_name(x: float) -> str:
    """``"nan"``, ``"inf"`` or ``"-inf"`` for a number that is not finite, ``""`` for one that is."""
    f = _scalar(x)
    if f is None or math.isfinite(f):
        return ""
    return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")


def assert_close(
    actual: Any, expected: Any, *, rtol: float = RTOL, atol: float = ATOL, msg: str = ""
) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (:func:`allclose`);
    the message names the first entry that is not, both numbers, the error and what was allowed.

    ``actual`` and ``expected`` may be numbers, arrays, lists or tuples, or mappings (dicts) of
    those with the same keys. This is what the tests use, so a NaN or an infinity never passes a
    test either.

    Example:
        >>> assert_close([1.4, 0.18], [1.4, 0.18 + 1e-17])
        >>> assert_close(float("nan"), float("nan"))
        Traceback (most recent call last):
        ...
        AssertionError: actual is nan (actual nan, expected nan): NaN and infinities are never close
    """
    if isinstance(actual, Mapping) or isinstance(expected, Mapping):
        _assert_mappings(actual, expected, rtol, atol, msg)
        return
    _check_tolerances(rtol, atol)
    A, B = _array(actual, "actual"), _array(expected, "expected")
    where = f"{msg}: " if msg else ""
    if not _shapes_match(A, B):
        raise AssertionError(f"{where}shapes differ: actual {A.shape}, expected {B.shape}")
    A, B = np.broadcast_arrays(A, B)
    close = np.asarray(isclose(A, B, rtol=rtol, atol=atol))
    if close.all():
        return
    bad = np.argwhere(~close)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(A) & np.isfinite(B)
        errors = np.where(finite, np.abs(A - B), -1.0)
    first = tuple(bad[0])
    at = f" at {[int(i) for i in first]}" if A.ndim else ""
    if not finite[first]:
        a, b = float(A[first]), float(B[first])
        side, value = ("actual", a) if not math.isfinite(a) else ("expected", b)
        raise AssertionError(
            f"{where}{side}{at} is {nonfinite_name(value)} (actual {a}, expected {b}): "
            "NaN and infinities are never close"
        )
    worst = tuple(np.unravel_index(int(np.argmax(errors)), A.shape)) if A.ndim else ()
    a, b = float(A[worst]), float(B[worst])
    allowed = atol + rtol * max(abs(a), abs(b))
    count = ""
    if A.ndim:
        count = f"{len(bad)} of {A.size} entries differ; the worst at {[int(i) for i in worst]}: "
    raise AssertionError(
        f"{where}{count}actual {a!r}, expected {b!r}: off by {abs(a - b):.3g}, allowed "
        f"{allowed:.3g} (atol={atol:g} + rtol={rtol:g} * max(|actual|, |expected|))"
    )


def _assert_mappings(actual: Any, expected: Any, rtol: float, atol: float, msg: str) -> None:
    where = f"{msg}: " if msg else ""
    if not (isinstance(actual, Mapping) and isinstance(expected, Mapping)):
        raise AssertionError(
            f"{where}cannot compare {type(actual).__name__} with {type(expected).__name__}"
        )
    if set(actual) != set(expected):
        raise AssertionError(f"{where}keys differ: actual {sorted(actual)}, expected {sorted(expected)}")
    for key in expected:
        name = f"{msg}[{key!r}]" if msg else repr(key)
        assert_close(actual[key], expected[key], rtol=rtol, atol=atol, msg=name)
