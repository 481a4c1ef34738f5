"""The CSV options that ``fit`` and ``solve`` share: which file, which columns, header, delimiter;
the data they describe, read whole (:func:`load_data`) or in chunks (:func:`open_stream`)."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_data_options", "load_data", "open_stream"]


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("csv", help="the data file ('-': standard input)")
    p.add_argument(
        "--features", nargs="+", metavar="COL", help="feature columns (default: all but the target)"
    )
    p.add_argument("--target", metavar="COL", help="the target column (default: the last)")
    p.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the first row holds column names (default: detected, a header when a cell is not a number)",
    )
    p.add_argument(
        "--delimiter", default=",", help="cell separator: a character, 'tab' or 'whitespace' (default ,)"
    )


def _column(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def _columns(args: argparse.Namespace) -> dict[str, Any]:
    """The column, header and delimiter choices of ``args``, as the readers take them."""
    return {
        "features": None if args.features is None else [_column(c) for c in args.features],
        "target": None if args.target is None else _column(args.target),
        "header": args.header,
        "delimiter": {"tab": "\t", "\\t": "\t", "whitespace": None}.get(args.delimiter, args.delimiter),
    }


def load_data(args: argparse.Namespace, classes: Any = None) -> Any:
    """The :class:`~tinygrad_lr.Dataset` the options describe (``classes``: the values a
    classifier's target may take, checked line by line)."""
    from ..data import load_csv
    from .output import announce_wait

    announce_wait(args.csv, getattr(args, "command", None) or "fit")
    return load_csv(args.csv, **_columns(args), classes=classes)


def open_stream(args: argparse.Namespace, chunk_rows: int) -> Any:
    """The :class:`~tinygrad_lr.data.CSVStream` the options describe, read ``chunk_rows`` rows at a time."""
    from ..data import CSVStream

    return CSVStream(args.csv, **_columns(args), chunk_rows=chunk_rows)
