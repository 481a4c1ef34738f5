"""What every command shares about its input and output: finite numbers in, strict JSON out."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from typing import Any

from .errors import UsageError

__all__ = ["nonfinite_option", "strict_json"]


def nonfinite_option(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The first number option of the chosen command holding NaN or inf, as an error message.

    Every ``type=float`` option of every command is checked, so a command or option added later
    is covered without remembering to: ``argument --predict: nan is not a finite number``.
    """
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for action in sub.choices[args.command]._actions:
        if action.type is not float:
            continue
        value = getattr(args, action.dest, None)
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, float) and not math.isfinite(v):
                name = "/".join(action.option_strings) or action.dest
                return f"argument {name}: {v} is not a finite number"
    return None


def announce_wait(path: str, command: str) -> None:
    """Say on stderr when reading ``path`` may wait for someone else (a terminal as standard
    input, a named pipe with no writer yet), so the command never hangs silently."""
    import os
    import stat
    import sys

    if path == "-":
        isatty = getattr(sys.stdin, "isatty", None)
        if isatty is not None and isatty():
            print(
                f"tinygrad-lr {command}: reading CSV from the terminal: type rows, end with Ctrl-D",
                file=sys.stderr,
            )
        return
    try:
        fifo = stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return  # missing or unreadable: the loader says so
    if fifo:
        print(
            f"tinygrad-lr {command}: {path} is a named pipe: reading what is written to it (Ctrl-C stops)",
            file=sys.stderr,
        )


def strict_json(out: Any, **kwargs: Any) -> str:
    """``json.dumps`` with no ``NaN``/``Infinity`` tokens (not JSON); a non-finite number is an
    error naming where it is, never printed as a success."""
    bad = _nonfinite_path(out, "")
    if bad is not None:
        path, value = bad
        raise UsageError(f"the result is not finite: {path or 'the value'} is {value}; nothing was printed")
    return json.dumps(out, allow_nan=False, **kwargs)


def _nonfinite_path(obj: Any, path: str) -> tuple[str, float] | None:
    if isinstance(obj, float):
        return None if math.isfinite(obj) else (path, obj)
    items: Iterable[tuple[str, Any]]
    if isinstance(obj, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(obj))
    else:
        return None
    for p, v in items:
        found = _nonfinite_path(v, p)
        if found is not None:
            return found
    return None
