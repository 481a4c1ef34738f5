"""The ``tinygrad-lr`` command line.

``main(argv) -> exit code`` is what the console script, ``python -m tinygrad_lr`` and the tests
call. Every sub-command is one ``_cmd_*`` function plus one ``_add_*`` function declaring its
options. Errors the user can fix (bad input, a diverging learning rate) are printed as one line
on stderr with exit status 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .value import Value


class UsageError(Exception):
    """An error in what the user asked for: printed as one line, exit status 2."""


# --- demo ------------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job: backprop through (w*x + b - y)^2 and print every node",
        description="Build the graph of (w*x + b - y)^2 for one sample, backpropagate, and print "
        "every node's data and gradient.",
    )
    p.add_argument("--x", type=float, default=1.0, help="the sample's input (default 1)")
    p.add_argument("--y", type=float, default=3.0, help="the sample's target (default 3)")
    p.add_argument("--w", type=float, default=1.0, help="the weight (default 1)")
    p.add_argument("--b", type=float, default=0.0, help="the bias (default 0)")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .graph import topological_order

    w, b = Value(args.w, label="w"), Value(args.b, label="b")
    x, y = Value(args.x, label="x"), Value(args.y, label="y")
    f = w * x + b
    f.label = "f"
    r = f - y
    r.label = "f-y"
    L = r**2
    L.label = "L"
    L.backward()
    print(f"L = (w*x + b - y)^2 at w={args.w:g}, b={args.b:g}, x={args.x:g}, y={args.y:g}")
    print(f"{'node':<8}{'op':<6}{'data':>12}{'grad dL/dnode':>16}")
    for i, node in enumerate(topological_order(L)):
        name = node.label or f"n{i}"
        print(f"{name:<8}{node.op or 'leaf':<6}{node.data:>12.6g}{node.grad:>16.6g}")
    r = args.w * args.x + args.b - args.y  # the analytic formulas, for comparison
    print(f"dL/dw = 2*(w*x+b-y)*x = {2 * r * args.x:g}   (autodiff: {w.grad:g})")
    print(f"dL/db = 2*(w*x+b-y)   = {2 * r:g}   (autodiff: {b.grad:g})")
    return 0


# --- gradcheck -------------------------------------------------------------------------------


def _add_gradcheck(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gradcheck",
        help="check autodiff against the analytic formula and finite differences",
        description="Build the linear-regression loss with the framework's model and loss, "
        "backpropagate, and compare every parameter's gradient with the hand-derived formula "
        "dL/dw = sum 2(wx+b-y)x, dL/db = sum 2(wx+b-y) (/n for mse) and with central finite "
        "differences. Exit status 0 when all agree, 1 when any disagree, 2 on bad input.",
    )
    p.add_argument("--csv", metavar="FILE",
                   help="data: feature columns then the target (default: the worked example "
                   "x = 1, 2, 3 and y = 3, 5, 7)")
    p.add_argument("--w", type=float, nargs="+", default=[1.0], metavar="W",
                   help="the weight(s): one, or one per feature (default 1)")
    p.add_argument("--b", type=float, default=0.0, help="the bias (default 0)")
    p.add_argument("--no-bias", action="store_true", help="the model y = w*x, without b")
    p.add_argument("--loss", choices=("sse", "mse"), default="sse",
                   help="sum (default, as the worked example) or mean of the squared errors")
    p.add_argument("--engine", choices=("value", "tensor"), default="value", help="(default value)")
    p.add_argument("--eps", type=float, default=None,
                   help="relative finite-difference step (default cbrt(machine eps), ~6e-6)")
    p.add_argument("--breakdown", action="store_true",
                   help="also show each sample's term 2*r*x and 2*r of the gradient, and their sum")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.set_defaults(func=_cmd_gradcheck)


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    import json
    import math

    from .data import load_csv
    from .gradcheck import DEFAULT_EPS, check_linear_regression, per_sample_breakdown

    if args.csv:
        data = load_csv(args.csv)
        X, y = data.X, data.y
    else:
        X, y = [[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0]  # SOURCE.md section 2
    d = len(X[0])
    if len(args.w) not in (1, d):
        raise UsageError(f"--w takes 1 number or {d} (one per feature), got {len(args.w)} weights")
    for name, v in [("--w", w) for w in args.w] + [("--b", args.b)]:
        if not math.isfinite(v):
            raise UsageError(f"{name} must be a finite number, got {v}")
    w = args.w[0] if d == 1 else (args.w * d if len(args.w) == 1 else args.w)
    b = None if args.no_bias else args.b
    eps = DEFAULT_EPS if args.eps is None else args.eps
    report = check_linear_regression(w, b, X, y, loss=args.loss, engine=args.engine, eps=eps)
    reduction = "mean" if args.loss == "mse" else "sum"
    breakdown = per_sample_breakdown(w, b, X, y, reduction) if args.breakdown else None
    if args.json:
        out = report.to_dict()
        if breakdown is not None:
            out["breakdown"] = breakdown.to_dict()
        print(json.dumps(out, indent=2))
    else:
        print(report)
        if breakdown is not None:
            print()
            print(breakdown)
    return 0 if report.ok else 1


# --- the parser ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-lr",
        description="Study backpropagation on linear regression: autodiff with real numbers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_demo(sub)
    _add_gradcheck(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except (UsageError, ValueError, OSError, ZeroDivisionError, OverflowError) as exc:
        print(f"tinygrad-lr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-lr: interrupted", file=sys.stderr)
        return 130
