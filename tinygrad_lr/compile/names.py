"""Names in the generated code: what a learner reads for parameters, inputs and nodes."""

from __future__ import annotations

import inspect
import keyword
import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Namer", "input_names", "literal"]


class Namer:
    """Hands out distinct Python identifiers, preferring the names a learner gave (``w``, ``b``)."""

    def __init__(self, reserved: Sequence[str] = ()) -> None:
        self.used: set[str] = set(reserved)

    def take(self, wanted: str | None, fallback: str) -> str:
        # a name with a leading _ is left to the generated code's own functions (_exp, _sigmoid)
        ok = wanted is not None and wanted.isidentifier() and not keyword.iskeyword(wanted)
        base = wanted if ok and wanted is not None and wanted[0] != "_" else fallback
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def input_names(fn: Callable[..., Any], count: int) -> list[str]:
    """The function's own parameter names for its ``count`` arguments (``in0``, ``in1`` otherwise)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for i in range(count):
        p = params[i] if i < len(params) else None
        ok = p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        names.append(p.name if ok and p is not None else f"in{i}")
    return names


def literal(x: float) -> str:
    """A float as Python source that evaluates to exactly the same float (negatives in brackets)."""
    if math.isnan(x):
        return "_nan"
    if math.isinf(x):
        return "_inf" if x > 0 else "(-_inf)"
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text
