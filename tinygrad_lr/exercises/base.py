"""What every exercise shares: the :class:`Exercise` record, the :class:`Result` of a check, and
running a learner's functions safely (a crash, a ``NotImplementedError`` or a time limit becomes
a result, never a traceback).

A checker is a function ``checker(fns) -> Result`` that receives the learner's functions by name
and calls them through :func:`call`; it raises nothing for a wrong answer (that is a ``"wrong"``
result with a diagnosis), and lets :class:`NotDone`, :class:`LearnerError` and
:class:`TimeUp` propagate, which :func:`run_check` turns into ``"not done"`` and ``"error"``.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compare import isclose, nonfinite_name

__all__ = [
    "Exercise",
    "Result",
    "NotDone",
    "LearnerError",
    "TimeUp",
    "call",
    "close",
    "not_finite",
    "num",
    "run_check",
    "time_limit",
    "STATUSES",
    "DEFAULT_TIME_LIMIT",
]

# pass: every check agrees; wrong: an answer disagrees (the diagnosis says how); not done: the stub
# still raises NotImplementedError; error: the code could not be checked (a crash, a syntax error,
# a missing function, the time or memory limit).
STATUSES = ("pass", "wrong", "not done", "error")
_EXIT_CODES = {"pass": 0, "wrong": 1, "not done": 1, "error": 2}

# A learner's function on the exercises' tiny inputs returns in microseconds; 5 s is a loop that
# never ends, not a slow one.
DEFAULT_TIME_LIMIT = 5.0

# Two exact computations of the same formula in float64 differ only by round-off, ~1e-15 relative;
# every mistake the exercises look for changes an answer by O(1) relative (as gradcheck.RTOL_EXACT).
# The exercises' numbers are O(1) to O(100), so 1e-12 absolute covers round-off near zero.
RTOL = 1e-9
ATOL = 1e-12


def close(a: float, b: float, rtol: float = RTOL) -> bool:
    """``a`` and ``b`` agree up to float64 round-off, by the project's one comparison
    (:func:`tinygrad_lr.compare.isclose`): never when either is NaN or infinite."""
    return bool(isclose(a, b, rtol=rtol, atol=ATOL))


_NONFINITE_CAUSE = {
    "nan": "nan (not a number) comes from 0/0, inf - inf or 0 * inf, or from a nan that went in",
    "inf": "inf comes from an overflow (a result beyond ~1.8e308) or a division by zero",
}


def not_finite(*answers: tuple[str, Any], at: str = "", expected: str = "") -> str:
    """``"your dL/dw is inf at w=1, not a finite number (autodiff says -4): inf comes from ..."``
    for the answers ``(what, value)`` that are NaN or infinite; ``""`` when all are finite.
    ``at`` says where, ``expected`` what the right answer is.

    This is what a learner reads first when an answer is not a number: no other diagnosis may be
    read into it (an infinity matches every multiple of everything: "exactly half", "swapped")."""
    bad = [(what, nonfinite_name(v)) for what, v in answers if nonfinite_name(v)]
    if not bad:
        return ""
    said = " and ".join(f"your {what} is {name}" for what, name in bad)
    causes = dict.fromkeys(_NONFINITE_CAUSE[name.lstrip("-")] for _, name in bad)
    plural = "not finite numbers" if len(bad) > 1 else "not a finite number"
    where = f" {at}" if at else ""
    right = f" ({expected})" if expected else ""
    return f"{said}{where}, {plural}{right}: {'; '.join(causes)}"


def num(v: Any) -> str:
    """A number as a learner reads it: up to 10 significant digits, no ``-0``."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    return f"{f + 0.0:.10g}"


@dataclass(frozen=True)
class Exercise:
    """One exercise: what the learner writes, the stub they start from, and its checker.

    ``intro`` is the exercise's text (for the stub file's header and the notebook's markdown);
    ``code`` is the stub itself: the function(s) with their docstrings, bodies raising
    ``NotImplementedError``; ``hints`` go from a nudge (level 1) to the rule in words (level 3)
    and never give the code.
    """

    number: int
    slug: str
    title: str
    functions: tuple[str, ...]
    intro: str
    code: str
    hints: tuple[str, ...]
    checker: Callable[[Mapping[str, Callable[..., Any]]], Result]

    @property
    def filename(self) -> str:
        """The stub's file name, e.g. ``ex2_chain_rule.py``."""
        return f"ex{self.number}_{self.slug}.py"

    def result(self, status: str, diagnosis: str, details: list[str] | None = None) -> Result:
        return Result(self.number, self.title, status, diagnosis, list(details or []))


@dataclass
class Result:
    """The outcome of checking one exercise.

    ``status`` is one of ``"pass"``, ``"wrong"``, ``"not done"``, ``"error"``; ``diagnosis`` says
    what is wrong, with numbers; ``details`` are further lines (a per-op table, a gradient check);
    ``hints`` the hints revealed so far. ``exit_code`` is the command line's: 0 pass, 1 wrong or
    not done, 2 could not run.
    """

    exercise: int | None  # None: the file does not say which exercise it is
    title: str
    status: str
    diagnosis: str
    details: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    file: str | None = None
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self.status]

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise,
            "title": self.title,
            "status": self.status,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "diagnosis": self.diagnosis,
            "details": self.details,
            "hints": self.hints,
            "file": self.file,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Result:
        return cls(
            None if d["exercise"] is None else int(d["exercise"]),
            str(d["title"]),
            str(d["status"]),
            str(d["diagnosis"]),
            [str(x) for x in d.get("details", [])],
            [str(x) for x in d.get("hints", [])],
            d.get("file"),
            d.get("seconds"),
        )

    def __str__(self) -> str:
        head = {"pass": "PASS", "wrong": "WRONG", "not done": "NOT DONE", "error": "COULD NOT RUN"}[
            self.status
        ]
        where = f" ({self.file})" if self.file else ""
        which = f"exercise {self.exercise}, {self.title}" if self.exercise is not None else "no exercise"
        lines = [f"{which}{where}: {head}", self.diagnosis]
        if self.details:
            lines += ["", *self.details]
        for level, hint in enumerate(self.hints, 1):
            lines += ["", f"hint {level}: {hint}"]
        return "\n".join(lines)

    __repr__ = __str__  # a notebook's check cell shows the text, not the dataclass fields


# --- running the learner's code --------------------------------------------------------------


class NotDone(Exception):
    """The learner's function still raises ``NotImplementedError`` (the stub is not filled in)."""

    def __init__(self, function: str) -> None:
        super().__init__(function)
        self.function = function


class LearnerError(Exception):
    """The learner's function raised, or returned something of the wrong kind."""


class TimeUp(BaseException):
    """The time limit ran out (a BaseException: a learner's ``except Exception`` cannot swallow it)."""


def call(fn: Callable[..., Any], *args: Any) -> Any:
    """Call a learner's function; its exceptions become :class:`NotDone` or :class:`LearnerError`."""
    name = getattr(fn, "__name__", "your function")
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotDone(name) from None
    except (TimeUp, KeyboardInterrupt):
        raise
    except MemoryError:
        raise
    except SystemExit:
        raise LearnerError(f"your {name}() called exit(): return the answer instead") from None
    except Exception as exc:
        raise LearnerError(f"your {name}() raised {_describe(exc)}") from None


# the package's own folder: a traceback frame in a file under it is the checker's, not the learner's
PACKAGE_DIR = Path(__file__).resolve().parent.parent


def in_package(filename: str) -> bool:
    """Whether ``filename`` (a traceback frame's) is a file of this package, by its real location
    (never by a substring of the path: a clone may live in a folder named ``tinygrad_lr``)."""
    try:
        return Path(os.path.realpath(filename)).is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def _describe(exc: BaseException) -> str:
    """``ZeroDivisionError: float division by zero (ex2.py, line 14)``: the exception and the last
    line of the traceback outside this package."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not in_package(f.filename)]
    if frames:
        f = frames[-1]
        text += f" ({Path(f.filename).name}, line {f.lineno})"
    return text


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeUp` in the block after ``seconds`` (on the main thread of a Unix process;
    elsewhere, and for ``None``, no limit)."""
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    assert seconds is not None

    def _alarm(signum: int, frame: Any) -> None:
        raise TimeUp()

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def timeout_text(seconds: float) -> str:
    return f"your function did not return within {seconds:g} s (an endless loop?)"


def memory_text(megabytes: float | None = None, loading: str | None = None) -> str:
    """What running out of memory is called: in a function of the learner's, or (``loading``, the
    file's name) in the file's top-level code while it was being loaded."""
    limit = f" (the limit is {megabytes:g} MB)" if megabytes else ""
    if loading:
        return (
            f"{loading} ran out of memory while loading, in its top-level code{limit}: a list or array "
            "that never stops growing, outside any function?"
        )
    return f"your function ran out of memory{limit}: a list or array that never stops growing?"


def run_check(
    exercise: Exercise,
    fns: Mapping[str, Callable[..., Any]],
    *,
    hints: int = 0,
    time_limit_s: float | None = DEFAULT_TIME_LIMIT,
) -> Result:
    """Run ``exercise``'s checker on the learner's functions ``fns`` (by name); never raises for
    anything the learner's code does."""
    missing = [name for name in exercise.functions if name not in fns]
    if missing:
        return exercise.result(
            "error",
            f"no function named {', '.join(missing)}: exercise {exercise.number} needs "
            f"{', '.join(f'{n}()' for n in exercise.functions)}",
        )
    try:
        with time_limit(time_limit_s):
            result = exercise.checker(fns)
    except NotDone as exc:
        result = exercise.result(
            "not done",
            f"not done yet: {exc.function}() still raises NotImplementedError; replace the "
            "`raise NotImplementedError(...)` line with your code",
        )
    except LearnerError as exc:
        result = exercise.result("error", str(exc))
    except TimeUp:
        result = exercise.result("error", timeout_text(time_limit_s or 0.0))
    except MemoryError:
        result = exercise.result("error", memory_text())
    except RecursionError:
        result = exercise.result(
            "error", "your function recursed too deeply (does it call itself without end?)"
        )
    if result.status != "pass":
        result.hints = list(exercise.hints[: max(0, min(hints, len(exercise.hints)))])
    return result


def float_of(value: Any, what: str) -> float:
    """A learner's answer as a float, or a :class:`LearnerError` naming what was expected.

    A whole number too large for a float (``10**400``) is ``inf``: the diagnosis then says so."""
    try:
        f = float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    except (TypeError, ValueError):
        raise LearnerError(f"{what} must be a number, got {_short(value)}") from None
    return f


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def pair_of(value: Any, what: str) -> tuple[float, float]:
    """A learner's ``(a, b)`` answer as two floats."""
    try:
        a, b = value
    except (TypeError, ValueError):
        raise LearnerError(f"{what} must return two numbers (a tuple), got {value!r}") from None
    return float_of(a, f"{what}'s first number"), float_of(b, f"{what}'s second number")
