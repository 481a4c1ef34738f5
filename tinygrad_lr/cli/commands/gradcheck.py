"""``tinygrad-lr gradcheck``: autodiff against the formula and finite differences."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..output import announce_wait, strict_json

if TYPE_CHECKING:
    import numpy as np



HELP_ORDER = 20  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import math

    from ...data import load_csv
    from ...gradcheck import DEFAULT_EPS, check_linear_regression, per_sample_breakdown

    X: np.ndarray | list[list[float]]
    y: np.ndarray | list[float]
    if args.csv:
        announce_wait(args.csv, "gradcheck")
        data = load_csv(args.csv)
        X, y = data.X, data.y
    else:
        X, y = [[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0]  # docs/sources.md section 2
    d = len(X[0])
    if len(args.w) not in (1, d):
        expected = "1 number (the data has 1 feature)" if d == 1 else f"1 number or {d} (one per feature)"
        raise UsageError(f"--w takes {expected}, got {len(args.w)} weights")
    for name, v in [("--w", w) for w in args.w] + [("--b", args.b)]:
        if not math.isfinite(v):
            raise UsageError(f"{name} must be a finite number, got {v}")
    w = args.w[0] if d == 1 else (args.w * d if len(args.w) == 1 else args.w)
    b = None if args.no_bias else args.b
    eps = DEFAULT_EPS if args.eps is None else args.eps
    report = check_linear_regression(w, b, X, y, loss=args.loss, engine=args.engine, eps=eps)
    if report.overflow:  # nothing was checked: bad input, said in one sentence
        raise UsageError(f"gradcheck: {report.overflow_sentence()}")
    reduction = "mean" if args.loss == "mse" else "sum"
    breakdown = per_sample_breakdown(w, b, X, y, reduction) if args.breakdown else None
    if args.json:
        out = report.to_dict()
        if breakdown is not None:
            out["breakdown"] = breakdown.to_dict()
        print(strict_json(out, indent=2))
    else:
        print(report)
        if breakdown is not None:
            print()
            print(breakdown)
    return 0 if report.ok else 1
