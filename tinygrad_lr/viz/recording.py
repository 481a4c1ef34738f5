"""What the pictures of a recorded run read from it, and the landscape they draw it on.

The replay (:mod:`tinygrad_lr.replay`) records a fit; the pictures of it live here, in the
pictures' home, and must not import the replay (a lens never imports what sits above it). So
they read a recording through :class:`RecordedRun`, a ``Protocol`` naming exactly the fields
and methods they use; :class:`tinygrad_lr.replay.Recording` has them all.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import numpy as np


class RecordedHistory(Protocol):
    """The part of a fit's ``History`` the pictures read: the loss over all samples per epoch."""

    @property
    def losses(self) -> list[float]: ...

    @property
    def initial_loss(self) -> float: ...


class RecordedRun(Protocol):
    """Every update of one fit of a linear model, as the replay's pictures read it.

    ``before[k]``, ``after[k]`` and ``grads[k]`` are the parameter vectors ``[w..., b]`` around
    update ``k`` and the gradient it used; ``batches[k]`` its sample indices; ``losses[k]`` the
    loss of its batch; ``epoch[k]`` its epoch (1-based). ``formula`` is the optimizer's update
    written out, ``notes[name][k]`` and ``constants[name]`` the numbers it names
    (:func:`update_lines` fills them in).
    """

    @property
    def X(self) -> np.ndarray: ...
    @property
    def y(self) -> np.ndarray: ...
    @property
    def feature_names(self) -> list[str]: ...
    @property
    def target_name(self) -> str: ...
    @property
    def param_names(self) -> list[str]: ...
    @property
    def bias(self) -> bool: ...
    @property
    def lr(self) -> float: ...
    @property
    def loss_name(self) -> str: ...
    @property
    def before(self) -> np.ndarray: ...
    @property
    def after(self) -> np.ndarray: ...
    @property
    def grads(self) -> np.ndarray: ...
    @property
    def losses(self) -> np.ndarray: ...
    @property
    def epoch(self) -> np.ndarray: ...
    @property
    def batches(self) -> list[np.ndarray]: ...
    @property
    def history(self) -> RecordedHistory | None: ...
    @property
    def plain(self) -> bool: ...
    @property
    def notes(self) -> dict[str, np.ndarray]: ...
    @property
    def formula(self) -> list[str]: ...
    @property
    def constants(self) -> dict[str, float]: ...
    @property
    def updates(self) -> int: ...
    @property
    def n_samples(self) -> int: ...
    @property
    def n_features(self) -> int: ...

    def history_initial(self) -> np.ndarray: ...

    def full_loss(self, params: Any) -> Any: ...

    def design(self) -> np.ndarray: ...


def fmt(x: float) -> str:
    """A number as the replay's pictures write it (6 significant digits): ``-4``, ``1.4``, ``0.18``."""
    s = f"{float(x):.6g}"
    return "0" if s == "-0" else s


def fmt_change(new: float, old: float) -> tuple[str, str]:
    """``new`` and ``old`` with the fewest digits (6 or more) that show they differ, if they do.

    Example:
        >>> fmt_change(1.4, 1.0)
        ('1.4', '1')
        >>> fmt_change(2.0001512, 2.0001471)
        ('2.000151', '2.000147')
    """
    for digits in range(6, 18):
        a, b = (f"{float(v):.{digits}g}" for v in (new, old))
        if a != b or float(new) == float(old):
            break
    return ("0" if a == "-0" else a), ("0" if b == "-0" else b)


def landscape_axes(rec: RecordedRun) -> tuple[int, int]:
    """The two parameters the landscape is drawn over: ``(w, b)`` for one feature with a bias,
    else the first two weights (``(0, 0)`` when there is only one parameter)."""
    P = len(rec.param_names)
    if P == 1:
        return 0, 0
    return (0, P - 1) if rec.n_features == 1 else (0, 1)


def least_squares_minimum(rec: RecordedRun) -> list[float] | None:
    """The parameters at the loss's minimum (least squares on the design matrix), if finite."""
    A = rec.design()
    sol, *_ = np.linalg.lstsq(A, rec.y, rcond=None)
    return [float(v) for v in sol] if np.all(np.isfinite(sol)) else None


def _box(values: np.ndarray, extra: list[float]) -> list[float]:
    vals = np.concatenate([values[np.isfinite(values)], np.asarray(extra, dtype=float)])
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.15 * (hi - lo) if hi > lo else max(1.0, abs(lo)) * 0.5
    return [lo - pad, hi + pad]


def landscape_ranges(rec: RecordedRun, axes: tuple[int, int]) -> list[list[float]]:
    """The ranges of the two landscape axes: the whole path (its finite points) and the
    least-squares minimum, with a margin."""
    path = np.vstack([rec.before, rec.after]) if rec.updates else rec.history_initial()[None, :]
    minimum = least_squares_minimum(rec)
    return [_box(path[:, a], [] if minimum is None else [minimum[a]]) for a in axes]


# --- the update written out ----------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)\}")
_OPERATORS = ("*", "/", "+", "-", "^")


def _wrap(text: str, before: str, after: str) -> str:
    """A negative number in parentheses where it follows an operator or is raised to a power
    (``0.01 * (-40)``, ``(-40)^2``), never after ``<-`` or ``=``."""
    lead = before.rstrip()
    follows = lead.endswith(_OPERATORS) and not lead.endswith("<-")
    return f"({text})" if text.startswith("-") and (follows or after.startswith("^")) else text


def _whole(values: np.ndarray, P: int) -> str:
    """A quantity shown once for the whole step: a matrix ``[[a, b], [c, d]]`` for ``P * P``
    numbers, a vector ``(a, b)`` of one number per parameter (one parameter: the number)."""
    if values.size == 1:
        return fmt(values[0])
    if values.size == P * P:
        rows = values.reshape(P, P)
        return "[" + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in rows) + "]"
    return "(" + ", ".join(fmt(v) for v in values) + ")"


def _fill(line: str, values: dict[str, Any], i: int | None, name: str, P: int) -> str:
    """One line of a formula with the numbers of parameter ``i`` (``None``: the whole step)."""
    line = line.replace("{p}", name)
    now = was = None
    pattern = r"^" + re.escape(name) + r" <- \{(\w+)\}.* = \{after\}$"  # "w <- {before} ... = {after}"
    pair = re.search(pattern, line) if i is not None else None
    if pair is not None:  # the parameter's old and new values, with the digits that tell them apart
        now, was = fmt_change(values["after"][i], values[pair.group(1)][i])
    out, end = [], 0
    for m in _SLOT.finditer(line):
        key = m.group(1)
        v = values[key]
        if pair is not None and key == "after":
            text = now
        elif pair is not None and m.start() == line.index("{", len(name)):
            text = was
        elif isinstance(v, np.ndarray):
            text = fmt(v[i]) if i is not None else _whole(v, P)
        else:
            text = fmt(v)
        out.append(line[end : m.start()] + _wrap(str(text), line[: m.start()], line[m.end() :]))
        end = m.end()
    return "".join(out) + line[end:]


def update_lines(rec: RecordedRun, k: int, *, side_by_side: bool = True) -> list[str]:
    """Update ``k`` (0-based) written out: the rule's :attr:`~RecordedRun.formula` with its
    numbers, one line per line of the formula, every parameter side by side (``side_by_side=False``:
    a line per parameter, for a narrow picture).

    Example (the worked example's first gradient-descent step):
        >>> from tinygrad_lr import LinearRegression
        >>> from tinygrad_lr.replay import record
        >>> rec = record(LinearRegression(w=1.0, b=0.0), ([1, 2, 3], [3, 5, 7]), "gd", lr=0.01,
        ...              loss="sse", epochs=1)
        >>> update_lines(rec, 0)
        ['w <- 1 - 0.01 * (-40) = 1.4   b <- 0 - 0.01 * (-18) = 0.18']
    """
    P = len(rec.param_names)
    values: dict[str, Any] = dict(rec.constants)
    values.update({name: v[k] for name, v in rec.notes.items()})
    values.update(before=rec.before[k], after=rec.after[k], grad=rec.grads[k])
    lines = []
    for line in rec.formula:
        if "{p}" in line:
            filled = [_fill(line, values, i, n, P) for i, n in enumerate(rec.param_names)]
            lines.extend(filled if not side_by_side else ["   ".join(filled)])
        else:
            lines.append(_fill(line, values, None, "", P))
    return lines
