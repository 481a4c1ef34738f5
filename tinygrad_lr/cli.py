"""The ``tinygrad-lr`` command line.

``main(argv) -> exit code`` is what the console script, ``python -m tinygrad_lr`` and the tests
call. Every sub-command is one ``_cmd_*`` function plus one ``_add_*`` function declaring its
options. Errors the user can fix (bad input, a diverging learning rate) are printed as one line
on stderr with exit status 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .value import Value

if TYPE_CHECKING:
    import numpy as np

    from .tensor import Tensor


class UsageError(Exception):
    """An error in what the user asked for: printed as one line, exit status 2."""


# --- demo ------------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job: backprop one sample, train on three points, render the graph",
        description="The worked example of the step-by-step tutorial, end to end: (1) the graph of "
        "(w*x + b - y)^2 for one sample, backpropagated, every node's data and gradient printed with "
        "the chain rule written out; (2) the three-point loss sum (w*x_i + b - y_i)^2 at w=1, b=0 "
        "rendered with Graphviz, with its backward walkthrough (one SVG per step and an HTML page); "
        "(3) 1000 steps of gradient descent with lr 0.01.",
    )
    p.add_argument("--x", type=float, default=1.0, help="the single sample's input (default 1)")
    p.add_argument("--y", type=float, default=3.0, help="the single sample's target (default 3)")
    p.add_argument("--w", type=float, default=1.0, help="the starting weight (default 1)")
    p.add_argument("--b", type=float, default=0.0, help="the starting bias (default 0)")
    p.add_argument("--out", default="tinygrad-lr-demo", metavar="DIR",
                   help="folder for graph.svg and walkthrough/ (default ./tinygrad-lr-demo)")
    p.add_argument("--no-render", action="store_true", help="skip the Graphviz pictures")
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .data import from_arrays
    from .graph import topological_order
    from .losses import sse
    from .models import LinearRegression
    from .train import fit

    # (1) one sample: every node of (w*x + b - y)^2 with its data and gradient
    w, b = Value(args.w, label="w"), Value(args.b, label="b")
    x, y = Value(args.x, label="x"), Value(args.y, label="y")
    wx = w * x
    wx.label = "w*x"
    f = wx + b
    f.label = "f"
    r = f - y
    r.label = "f-y"
    L = r**2
    L.label = "L"
    L.backward()
    print(f"1. One sample: L = (w*x + b - y)^2 at w={args.w:g}, b={args.b:g}, x={args.x:g}, y={args.y:g}")
    print(f"   {'node':<6}{'op':<6}{'data':>10}{'grad dL/dnode':>16}")
    for node in topological_order(L):
        print(f"   {node.label:<6}{node.op or 'leaf':<6}{node.data:>10.6g}{node.grad:>16.6g}")
    print("   the backward pass, one chain-rule step per line:")
    from .viz import walkthrough_text

    for line in walkthrough_text(L).splitlines()[1:]:
        print(f"   {line}")
    res = args.w * args.x + args.b - args.y  # the analytic formulas, for comparison
    print(f"   analytic: dL/dw = 2*(w*x+b-y)*x = {2 * res * args.x:g}, dL/db = 2*(w*x+b-y) = {2 * res:g}")

    # (2) the tutorial's three training points: the graph of the whole loss, rendered
    xs, ys = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    w3, b3 = Value(args.w, label="w"), Value(args.b, label="b")
    preds = [w3 * xi + b3 for xi in xs]
    loss = sse(preds, ys)
    loss.label = "Loss"
    loss.backward()
    print("\n2. Three points (1,3) (2,5) (3,7): Loss(w, b) = sum_i (w*x_i + b - y_i)^2")
    print(f"   Loss({args.w:g}, {args.b:g}) = {loss.data:g}   "
          f"dLoss/dw = {w3.grad:g}   dLoss/db = {b3.grad:g}")
    if not args.no_render:
        from .viz import draw_graph, save_graph, write_walkthrough

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        graph_file = save_graph(draw_graph(loss), out / "graph.svg")
        page = write_walkthrough(loss, out / "walkthrough")
        print(f"   graph with every node's data and gradient: {graph_file}")
        print(f"   backward pass step by step (open in a browser, arrow keys): {page}")

    # (3) training: 1000 steps of full-batch gradient descent, as in the tutorial
    model = LinearRegression(w=args.w, b=args.b)
    history = fit(model, from_arrays(xs, ys), "gd", lr=0.01, loss="sse", epochs=1000, progress=False)
    bias = model.intercept
    assert bias is not None  # the model was built with a b
    wf, bf = float(model.weights[0]), float(bias)
    print("\n3. Gradient descent, lr 0.01, 1000 iterations: w <- w - lr*dLoss/dw, b <- b - lr*dLoss/db")
    print(f"   loss {history.initial_loss:g} -> after 1 step {history.losses[0]:g} -> after 1000 "
          f"{history.final_loss:.6g}")
    print(f"   w = {wf!r}, b = {bf!r}; prediction for the test point x = 4: {wf * 4 + bf:.6f} (y = 9)")
    return 0


# --- fit -------------------------------------------------------------------------------------


def _add_fit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="train linear regression on a CSV with GD, SGD or mini-batch SGD",
        description="Load a numeric CSV (by default: no header unless the first row is not numeric; "
        "the last column is the target, the others are features), train y = b + w1*x1 + ... + wn*xn "
        "by backpropagation, and print the initial loss, a short per-epoch table and the final "
        "parameters and loss. Columns are chosen by 0-based index (negative from the end) or by "
        "header name; positions in error messages are 1-based, as an editor shows them.",
    )
    p.add_argument("csv", help="the data file")
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
    p.add_argument("--no-bias", action="store_true", help="fit y = w*x, without b")
    p.add_argument(
        "--optimizer",
        choices=["gd", "sgd", "minibatch"],
        default="gd",
        help="gd: all samples per update; sgd: one; minibatch: --batch-size (default gd)",
    )
    p.add_argument("--batch-size", type=int, help="samples per update, for --optimizer minibatch")
    p.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="a new random order of the samples every epoch (sgd, minibatch; default: in order)",
    )
    p.add_argument("--replacement", action="store_true", help="draw samples at random with replacement")
    p.add_argument("--drop-last", action="store_true", help="skip the last, short mini-batch of an epoch")
    p.add_argument("--seed", type=int, default=0, help="seed for shuffling (default 0)")
    p.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    p.add_argument("--epochs", type=int, default=100, help="passes over the data (default 100)")
    p.add_argument(
        "--loss", choices=["mse", "sse"], default="mse", help="mean or sum of squared errors (default mse)"
    )
    p.add_argument(
        "--init-w",
        type=float,
        nargs="+",
        metavar="W",
        help="initial weight(s): one, or one per feature (default 0)",
    )
    p.add_argument("--init-b", type=float, help="initial bias (default 0)")
    p.add_argument(
        "--engine",
        choices=["value", "tensor"],
        default="value",
        help="value: a scalar graph per sample, to study; tensor: vectorised, for big data (default value)",
    )
    p.add_argument(
        "--patience",
        type=int,
        default=5,
        help="stop when the loss grows this many epochs in a row (default 5)",
    )
    p.add_argument("--predict", type=float, nargs="+", metavar="X", help="also predict these inputs")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar on stderr (default: only for long runs on a terminal)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=_cmd_fit)


def _fit_column(text: str) -> int | str:
    return int(text) if text.lstrip("-").isdigit() else text


def _cmd_fit(args: argparse.Namespace) -> int:
    import json

    from .data import load_csv
    from .models import LinearRegression
    from .optim import make_optimizer
    from .train import fit

    delimiter = {"tab": "\t", "\\t": "\t", "whitespace": None}.get(args.delimiter, args.delimiter)
    data = load_csv(
        args.csv,
        features=None if args.features is None else [_fit_column(c) for c in args.features],
        target=None if args.target is None else _fit_column(args.target),
        header=args.header,
        delimiter=delimiter,
    )
    if args.no_bias and args.init_b is not None:
        raise UsageError("--init-b needs a bias; drop --no-bias or --init-b")
    d = data.n_features
    if args.init_w is not None and len(args.init_w) not in (1, d):
        raise UsageError(f"--init-w takes 1 number or {d} (one per feature), got {len(args.init_w)}")
    if args.predict is not None and len(args.predict) % d:
        raise UsageError(f"--predict takes {d} numbers per sample (one per feature), got {len(args.predict)}")
    model = LinearRegression(d, bias=not args.no_bias, w=args.init_w, b=args.init_b, engine=args.engine)
    opt = make_optimizer(
        args.optimizer,
        model.parameters(),
        args.lr,
        batch_size=args.batch_size,
        shuffle=args.shuffle,
        replacement=args.replacement,
        drop_last=args.drop_last,
    )
    if args.patience < 1:
        raise UsageError(f"--patience must be at least 1, got {args.patience}")
    history = fit(
        model,
        data,
        opt,
        loss=args.loss,
        epochs=args.epochs,
        rng=args.seed,
        patience=args.patience,
        progress=args.progress,
    )
    w = [float(v) for v in model.weights]
    b = model.intercept
    predictions = None
    if args.predict is not None:
        inputs = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
        predictions = [float(v) for v in model.predict(inputs)]

    if args.json:
        out: dict[str, object] = {"w": w[0] if d == 1 else w}
        if b is not None:
            out["b"] = b
        out.update(
            loss=history.final_loss,
            initial_loss=history.initial_loss,
            epochs=history.epochs,
            updates=history.updates,
            optimizer=args.optimizer,
            lr=args.lr,
            loss_fn=args.loss,
            engine=args.engine,
            n_samples=data.n_samples,
            features=list(data.feature_names),
            target=data.target_name,
            losses=history.losses,
        )
        if predictions is not None:
            out["inputs"] = [args.predict[i : i + d] for i in range(0, len(args.predict), d)]
            out["predictions"] = predictions
        print(json.dumps(out))
        return 0

    names = model.param_names()
    terms = [f"{n}*{f}" for n, f in zip(names, data.feature_names)]
    rhs = " + ".join(terms + (["b"] if b is not None else []))
    features = ("feature " if d == 1 else "features ") + ", ".join(data.feature_names)
    print(f"data: {args.csv}: {data.n_samples} samples, {features} -> target {data.target_name}")
    print(f"model: {data.target_name} = {rhs}  (engine {args.engine})")
    loss_name = args.loss.upper()
    print(f"training: {opt.describe()}, {loss_name} loss, {args.epochs} epochs, {history.updates} updates")
    print(f"initial loss: {history.initial_loss:.10g}  at {_fit_params(names, history.initial_params)}")
    show = len(names) <= 4
    head = f"{'epoch':>7}  {'loss':>16}" + ("".join(f"  {n:>14}" for n in names) if show else "")
    print(head)
    for e in history.summary_rows(10):
        row = f"{e:>7}  {history.losses[e - 1]:>16.10g}"
        if show:
            row += "".join(f"  {v:>14.10g}" for v in history.epoch_params[e - 1])
        print(row)
    print(f"final: {_fit_params(names, history.final_params)}")
    print(f"final loss: {history.final_loss!r}")
    if predictions is not None:
        for i, pred in enumerate(predictions):
            x = args.predict[i * d : (i + 1) * d]
            xs = ", ".join(f"{f}={v:g}" for f, v in zip(data.feature_names, x))
            print(f"prediction at {xs}: {pred!r}")
    return 0


def _fit_params(names: Sequence[str], values: Iterable[float]) -> str:
    return ", ".join(f"{n} = {float(v)!r}" for n, v in zip(names, values))


# --- graph -----------------------------------------------------------------------------------


def _add_graph(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph",
        help="draw the loss's computation graph (Graphviz) and the backward pass step by step",
        description="Build the loss of f = w*x + b over the given points, backpropagate, and draw "
        "the computation graph with every node's data and gradient; the output file's extension "
        "picks the format (.svg, .png, .pdf or .dot). --text and --walkthrough show the backward "
        "pass one chain-rule step at a time.",
    )
    p.add_argument("--x", type=float, nargs="+", default=[1.0], metavar="X",
                   help="the inputs, one or more (default: 1, the worked example's first sample)")
    p.add_argument("--y", type=float, nargs="+", default=[3.0], metavar="Y",
                   help="the targets, one per input (default: 3)")
    p.add_argument("--w", type=float, default=1.0, help="the weight (default 1)")
    p.add_argument("--b", type=float, default=0.0, help="the bias (default 0)")
    p.add_argument("--loss", choices=("sse", "mse"), default="sse",
                   help="sum (default, as the worked example) or mean of the squared errors")
    p.add_argument("--engine", choices=("value", "tensor"), default="value",
                   help="scalar Values, one small graph per sample (default), or one vectorised Tensor graph")
    p.add_argument("-o", "--output", default="graph.svg", metavar="FILE",
                   help="the picture to write: .svg (default graph.svg), .png, .pdf or .dot")
    p.add_argument("--walkthrough", metavar="DIR",
                   help="also write the backward pass into DIR: an SVG per step, index.html to step through")
    p.add_argument("--text", action="store_true", help="print the backward pass, one chain-rule step a line")
    p.add_argument("--fold", action="store_true",
                   help="draw the per-sample subgraphs once, marked xN (for many points)")
    p.add_argument("--max-nodes", type=int, default=None, metavar="N",
                   help="refuse to draw more nodes than this (default 500; 100 for --walkthrough)")
    p.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                   help="layout: left to right (default) or top to bottom")
    p.set_defaults(func=_cmd_graph)


def _cmd_graph(args: argparse.Namespace) -> int:
    from . import viz

    if len(args.x) != len(args.y):
        raise UsageError(f"--x has {len(args.x)} values but --y has {len(args.y)}: give one y per x")
    if args.max_nodes is not None and args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    out = Path(args.output)
    if out.suffix.lower().lstrip(".") not in viz.SAVE_FORMATS:
        raise UsageError(f"-o {args.output}: use a file name ending in .svg, .png, .pdf or .dot")
    L, w, b = _graph_loss(args)
    limit = viz.DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes
    dot = viz.draw_graph(L, rankdir=args.rankdir, fold=args.fold, max_nodes=limit)
    if args.text:
        print(viz.walkthrough_text(L))
    path = viz.save_graph(dot, out)
    grads = f"dL/dw = {float(w.grad):g}, dL/db = {float(b.grad):g}"
    print(f"wrote {path}: the graph of L = {float(L.data):g} ({args.loss}, {args.engine} engine); {grads}")
    if args.walkthrough:
        limit = viz.WALKTHROUGH_MAX_NODES if args.max_nodes is None else args.max_nodes
        page = viz.write_walkthrough(L, args.walkthrough, rankdir=args.rankdir, max_nodes=limit)
        print(f"wrote {page}: open it in a browser and step with the arrow keys")
    return 0


def _graph_loss(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The loss graph of f = w*x + b over the points, backpropagated: (L, w, b)."""
    from .losses import get_loss

    _, loss = get_loss(args.loss)
    w: Tensor | Value
    b: Tensor | Value
    if args.engine == "tensor":
        from .tensor import Tensor

        w = Tensor(args.w, requires_grad=True, name="w")
        b = Tensor(args.b, requires_grad=True, name="b")
        f = w * Tensor(args.x, name="x") + b
        f.label = "f"
        L = loss(f, Tensor(args.y, name="y"))
    else:
        w, b = Value(args.w, label="w"), Value(args.b, label="b")
        many = len(args.x) > 1  # x1, x2, ... for several points; x alone for one, as in SOURCE.md
        preds, targets = [], []
        for i, (x, y) in enumerate(zip(args.x, args.y), 1):
            k = str(i) if many else ""
            f_i = w * Value(x, label=f"x{k}") + b
            f_i.label = f"f{k}"
            preds.append(f_i)
            targets.append(Value(y, label=f"y{k}"))
        L = loss(preds, targets)
        if many:  # name each sample's squared error L_i (f_i - y_i)**2, as SOURCE.md section 2 does
            from .graph import topological_order

            index = {id(f): i for i, f in enumerate(preds, 1)}
            for node in topological_order(L):
                if node.op == "**2" and node.parents[0].op == "-" and id(node.parents[0].parents[0]) in index:
                    node.label = f"L{index[id(node.parents[0].parents[0])]}"
    L.label = "L"
    L.backward()
    return L, w, b


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

    X: np.ndarray | list[list[float]]
    y: np.ndarray | list[float]
    if args.csv:
        data = load_csv(args.csv)
        X, y = data.X, data.y
    else:
        X, y = [[1.0], [2.0], [3.0]], [3.0, 5.0, 7.0]  # SOURCE.md section 2
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
    _add_demo(sub)
    _add_gradcheck(sub)
    _add_fit(sub)
    _add_graph(sub)
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
    except BrokenPipeError:  # the reader (e.g. `| head`) has all it wanted: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
        return 0
    except (UsageError, ValueError, OSError, ZeroDivisionError, OverflowError) as exc:
        print(f"tinygrad-lr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tinygrad-lr: interrupted", file=sys.stderr)
        return 130
