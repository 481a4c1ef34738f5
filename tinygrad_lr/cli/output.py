"""What every command shares about its input and output: finite numbers in, strict JSON out."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from typing import Any

from .errors import UsageError

__all__ = ["option_problem", "error_text", "strict_json"]


def _command_actions(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[argparse.Action]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices[args.command]._actions)


def _flag(action: argparse.Action) -> str:
    return "/".join(action.option_strings) or action.dest


def option_problem(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The first option of the chosen command holding a value no option can take, as an error
    message that names the option; None when all are usable.

    Every option of every command is checked by its type, so a command or option added later is
    covered without remembering to: a ``type=float`` option must be finite (``argument --predict:
    nan is not a finite number``); a ``type=int`` option counts something (epochs, rows, jobs, a
    seed, a port), so it must be >= 0 (``--seed must be a whole number >= 0, got -3``). Narrower
    ranges are the command's to check, naming the option too.
    """
    for action in _command_actions(parser, args):
        if action.type not in (float, int):
            continue
        value = getattr(args, action.dest, None)
        for v in value if isinstance(value, list) else [value]:
            if action.type is float and isinstance(v, float) and not math.isfinite(v):
                return f"argument {_flag(action)}: {v} is not a finite number"
            if action.type is int and isinstance(v, int) and v < 0:
                return f"{_flag(action)} must be a whole number >= 0, got {v}"
    return None


def error_text(parser: argparse.ArgumentParser, args: argparse.Namespace, exc: BaseException) -> str:
    """The one line a command's error is printed as. An error about an option (one that carries
    the option's name as ``exc.option``, the name the library knows it by, e.g. ``batch_size``,
    and a ``for_flag(flag)`` method) is told with the command line's name for it (``--batch-size
    must be ...``), so the user sees the option they typed in every command."""
    option, for_flag = getattr(exc, "option", None), getattr(exc, "for_flag", None)
    if isinstance(option, str) and callable(for_flag):
        for action in _command_actions(parser, args):
            if action.dest == option.replace("-", "_") and action.option_strings:
                return str(for_flag(action.option_strings[0]))
    return str(exc)


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
