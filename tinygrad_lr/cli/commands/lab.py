"""``tinygrad-lr lab``: the live lab in the browser, every number computed by the engine."""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser
from typing import Any

from ..errors import UsageError

HELP_ORDER = 15  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lab",
        help="the live lab: drag w, b, the data or the learning rate and watch backprop answer",
        description="Start the live lab on this machine (127.0.0.1 only, with a random token in its "
        "address) and open it in the browser. Every panel -- the computation graph with each node's "
        "value and gradient, the chain rule of a node, the data and the line, the loss landscape, "
        "the loss curve -- shows numbers computed by the project's engine. Without a file it opens "
        "on the worked example: (1, 3), (2, 5), (3, 7), w = 1, b = 0, SSE, lr = 0.01. Ctrl-C stops it.",
    )
    p.add_argument("csv", nargs="?", help="a CSV file of points (default: the worked example)")
    p.add_argument(
        "--feature", metavar="COL", help="the x column (name or 0-based number; default: the first)"
    )
    p.add_argument("--target", metavar="COL", help="the y column (default: the last)")
    p.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the first row holds column names (default: detected)",
    )
    p.add_argument(
        "--delimiter", default=",", help="cell separator: a character, 'tab' or 'whitespace' (default ,)"
    )
    p.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="the port on 127.0.0.1 (default 8765, or the next free one; 0: any free port)",
    )
    p.add_argument("--no-browser", action="store_true", help="only print the lab's address")
    p.add_argument(
        "--state", metavar="LINK", help="open a shared situation: a lab link, or the text after its '#'"
    )
    p.set_defaults(func=run)


def _first_state(args: argparse.Namespace) -> Any:
    from ...lab.code import code_of, decode
    from ...lab.csv_upload import one_feature
    from ...lab.session import first_state
    from ..data_options import load_data

    if args.state is not None:
        if args.csv is not None:
            raise UsageError("give a CSV file or --state, not both: a shared state holds its own data")
        return decode(code_of(args.state))
    if args.csv is None:
        if args.feature is not None or args.target is not None:
            raise UsageError("--feature and --target choose columns of a CSV file; give one")
        return first_state()
    args.features = None if args.feature is None else [args.feature]
    return first_state(*one_feature(load_data(args), args.csv, "choose one with --feature"))


def run(args: argparse.Namespace) -> int:
    try:
        from ...lab.serve import LabServer
    except ImportError as exc:
        raise UsageError(f"the lab needs its web server: pip install 'tinygrad-lr[lab]' ({exc})") from None
    from ...lab.state import LabInputError

    try:
        state = _first_state(args)
    except LabInputError as exc:
        raise UsageError(str(exc)) from None
    server = LabServer(lambda: state, port=args.port)
    url = server.url()
    if server.note:
        print(f"tinygrad-lr lab: {server.note}", file=sys.stderr)
    print(f"tinygrad-lr lab: the lab is at {url}", flush=True)
    print(
        "(only this machine can open it; the token in the address is its key; Ctrl-C stops the lab)",
        flush=True,
    )
    if not args.no_browser:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    try:
        server.run()
    except KeyboardInterrupt:
        print("tinygrad-lr lab: stopped", file=sys.stderr)
        return 130
    return 0


def _open_when_up(server: Any, url: str) -> None:
    import time

    while not server.server.started and not server.server.should_exit:
        time.sleep(0.05)
    if not server.server.should_exit and not webbrowser.open(url):
        print(f"tinygrad-lr lab: no browser found; open {url} yourself", file=sys.stderr)
