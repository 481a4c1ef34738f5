"""The ``tinygrad-lr`` command line.

``main(argv) -> exit code`` is what the console script, ``python -m tinygrad_lr`` and the tests
call. Every sub-command is one module of :mod:`tinygrad_lr.cli.commands` with an ``add(sub)``
function declaring its options and a ``run(args) -> int`` function doing the work; ``COMMANDS``
is what that package finds, in the order ``--help`` shows. The modules beside this one are what
the commands share (errors, output, data options, the fit report). Errors the user can fix (bad
input, a diverging learning rate) are printed as one line on stderr with exit status 2; they never
show a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .. import __version__
from .commands import discover
from .errors import UsageError
from .output import error_text, option_problem

COMMANDS = discover()

__all__ = ["COMMANDS", "UsageError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one readable line (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinygrad-lr",
        description="Study backpropagation on linear regression: autodiff with real numbers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    bad = option_problem(parser, args)  # every number option of every command: nan/inf, negative counts
    if bad is not None:
        print(f"tinygrad-lr {args.command}: error: {bad}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader (e.g. `| head`) has all it wanted: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
        return 0
    except (UsageError, ValueError, OSError, ZeroDivisionError, OverflowError) as exc:
        print(f"tinygrad-lr {args.command}: error: {error_text(parser, args, exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-lr: interrupted", file=sys.stderr)
        return 130
