"""The project's error types for input it cannot use; every message names the argument, what was
expected and what was received.

* :class:`InputError` -- an argument of the wrong type, shape or value given to a public function
  (``mse(pred, y)`` with 3 predictions and 2 targets, a 3-D ``X``, a string where numbers are
  needed). It is both a ``ValueError`` and a ``TypeError``, so code that caught either before
  still catches it.
* :class:`OptionError` -- an option (a keyword argument such as ``lr`` or ``batch_size``) with a
  value it cannot take (an ``InputError``); it carries the option's name, so the command line
  tells it by the flag the user typed (``--lr must be positive, got -1.0``).
* :class:`~tinygrad_lr.data.DataError` -- data that cannot be trained on (an ``InputError``):
  a CSV cell that is not a number, a NaN in ``X``, values whose squares overflow float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["InputError", "OptionError", "describe"]


class InputError(ValueError, TypeError):
    """An argument a public function cannot use; the message says which, what it needs, what it got."""


class OptionError(InputError):
    """An option with a value it cannot take: ``option`` is its name as the library knows it
    (``lr``, ``batch_size``, ``momentum``), ``requirement`` what it must be, ``value`` what it got;
    ``part`` names the piece of the option's value that is wrong (``beta2`` of ``betas``).

    The message reads ``{subject} must be {requirement}, got {value!r}`` (``subject`` defaults to
    the part or the option's name: ``the learning rate must be positive, got -1.0``); the command
    line prints :meth:`for_flag` with the flag whose destination is ``option``, so every command
    names the flag the user typed.
    """

    def __init__(
        self,
        option: str,
        requirement: str,
        value: object,
        optional: bool = False,
        *,
        subject: str = "",
        part: str = "",
    ) -> None:
        self.option, self.requirement, self.value, self.optional = option, requirement, value, optional
        self.part = part
        self.subject = subject or part or option
        none = " or None" if optional else ""
        super().__init__(f"{self.subject} must be {requirement}{none}, got {value!r}")

    def for_flag(self, flag: str) -> str:
        """The message with the command line's name for the option: ``--tol must be ...``."""
        which = f"{flag}: {self.part}" if self.part else flag
        return f"{which} must be {self.requirement}, got {self.value!r}"


def describe(x: Any) -> str:
    """A short description of what was received: ``'a list of 3 items'``, ``'an array of shape (2, 3)'``."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    shape = getattr(x, "shape", None)
    if isinstance(shape, tuple):
        return f"a {type(x).__name__} of shape {shape}"
    if isinstance(x, (list, tuple)):
        kinds = sorted({type(v).__name__ for v in x})
        inner = f" of {'/'.join(kinds)}" if kinds else ""
        return f"a {type(x).__name__} of {len(x)} item{'s' if len(x) != 1 else ''}{inner}"
    if isinstance(x, str):
        return f"the string {x[:40]!r}"
    return f"{type(x).__name__} {x!r}"[:80]


def as_float_array(x: Any, name: str, expected: str = "numbers") -> np.ndarray:
    """``x`` as a float64 array, or an :class:`InputError` saying what ``name`` held instead.

    Tensors give their data; a list holding graph nodes (``Value`` or ``Tensor``), strings,
    ``None`` or rows of different lengths is refused with what it held, never with numpy's
    "setting an array element with a sequence".
    """
    if x is None:
        raise InputError(f"{name} must be {expected}, got None")
    data = getattr(x, "data", None)
    if isinstance(data, (np.ndarray, np.generic)):  # a Tensor (a 0-d one may hold a numpy scalar)
        x = data
    if isinstance(x, (list, tuple)):
        nodes = [type(v).__name__ for v in x if type(v).__name__ in ("Value", "Tensor")]
        if nodes:
            raise InputError(
                f"{name} must be {expected}, got {describe(x)}: graph nodes are not data; "
                f"pass their numbers ([v.data for v in {name}]) or use the engine's own loss"
            )
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        if isinstance(x, (list, tuple)):
            lengths = sorted({len(v) for v in x if isinstance(v, (list, tuple, np.ndarray))})
            if len(lengths) > 1 or (lengths and len(lengths) != len(x)):
                raise InputError(
                    f"{name} must be {expected} in rows of equal length, got {describe(x)} "
                    f"with rows of lengths {', '.join(map(str, lengths))}"
                ) from None
        raise InputError(f"{name} must be {expected}, got {describe(x)}") from None
    return arr
