"""``tinygrad-lr graph``: draw the loss graph and the backward walkthrough."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._files import output_path
from ...value import Value
from ..errors import UsageError

if TYPE_CHECKING:

    from ...tensor import Tensor


HELP_ORDER = 50  # where `tinygrad-lr --help` lists this command


def add(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--fold", action=argparse.BooleanOptionalAction, default=None,
                   help="draw the per-sample subgraphs once, marked xN (default: only when the "
                   "picture would be wider than a screen, 1920 px)")
    p.add_argument("--max-nodes", type=int, default=None, metavar="N",
                   help="refuse to draw more nodes than this (default 500; 100 for --walkthrough)")
    p.add_argument("--rankdir", choices=("LR", "TB"), default=None,
                   help="layout: left to right or top to bottom (default: LR for the value engine, "
                   "a row per point, or TB when that is wider than a screen; TB for the tensor engine)")
    p.set_defaults(func=run)


def _screen_sized(args: argparse.Namespace, L: Any, out: Path, limit: int) -> tuple[Any, str]:
    """The picture, at most a screen wide by default (1920 px): wider, the per-sample subgraphs
    are folded into one; still wider (many points make long ranges), it is stacked top to
    bottom. ``--fold`` / ``--no-fold`` and ``--rankdir`` decide instead when given. Returns the
    picture and what the command says about it."""
    from ... import viz
    from ...viz.render import SCREEN_PX, drawn_width_px

    dot = viz.draw_graph(L, rankdir=args.rankdir, fold=bool(args.fold), max_nodes=limit)
    if len(args.x) < 2 or args.engine != "value" or out.suffix.lower() == ".dot":
        return dot, ""
    said, fold = "", bool(args.fold)
    if args.fold is None:
        width = drawn_width_px(dot)
        if width > SCREEN_PX:  # wider than a screen: the per-sample subgraphs drawn once instead
            fold = True
            dot = viz.draw_graph(L, rankdir=args.rankdir, fold=True, max_nodes=limit)
            said = f" (folded: unfolded it would be {width:.0f} px wide; --no-fold draws it so)"
    if args.rankdir is None and args.fold is not False:
        width = drawn_width_px(dot)
        if width > SCREEN_PX:  # still wider than a screen: a column instead of a row
            dot = viz.draw_graph(L, rankdir="TB", fold=fold, max_nodes=limit)
            said += (
                f" (stacked top to bottom: left to right it would be {width:.0f} px wide;"
                " --rankdir LR draws it so)"
            )
    return dot, said


def run(args: argparse.Namespace) -> int:
    from ... import viz
    if len(args.x) != len(args.y):
        raise UsageError(f"--x has {len(args.x)} values but --y has {len(args.y)}: give one y per x")
    if args.max_nodes is not None and args.max_nodes < 1:
        raise UsageError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    out = Path(args.output)
    if out.suffix.lower().lstrip(".") not in viz.SAVE_FORMATS:
        raise UsageError(f"-o {args.output}: use a file name ending in .svg, .png, .pdf or .dot")
    output_path(args.output, "-o")  # both outputs checked before any work: one rule, no half run
    if args.walkthrough:
        output_path(args.walkthrough, "--walkthrough")
    limit = viz.DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes
    walk_limit = viz.WALKTHROUGH_MAX_NODES if args.max_nodes is None else args.max_nodes
    _refuse_too_large(args, limit, walk_limit)
    L, w, b = _graph_loss(args)
    dot, folded = _screen_sized(args, L, out, limit)
    if args.text:
        print(viz.walkthrough_text(L))
    path = viz.save_graph(dot, out)
    grads = f"dL/dw = {float(w.grad):g}, dL/db = {float(b.grad):g}"
    print(f"wrote {path}: the graph of L = {float(L.data):g} ({args.loss}, {args.engine} engine); {grads}"
          f"{folded}")
    if args.walkthrough:
        page = viz.write_walkthrough(L, args.walkthrough, rankdir=args.rankdir, max_nodes=walk_limit)
        print(f"wrote {page}: open it in a browser and step with the arrow keys")
    return 0


def _refuse_too_large(args: argparse.Namespace, limit: int, walk_limit: int) -> None:
    """Refuse a picture or walkthrough over its limit before building the loss of every point.

    The loss of N points has ``a + b*N`` nodes; the graphs of 1 and 2 points give ``a`` and
    ``b``. So a walkthrough or a folded picture of 100,000 points is refused at once, without
    building (and backpropagating) a graph of a million nodes first.
    """
    from ...graph import topological_order
    from ...viz.limits import refuse_node_count

    n = len(args.x)
    if n <= 2:
        return
    def size(k: int) -> int:
        first_k = argparse.Namespace(**{**vars(args), "x": args.x[:k], "y": args.y[:k]})
        return len(topological_order(_graph_loss(first_k)[0]))

    one, two = size(1), size(2)
    count = one + (two - one) * (n - 1)
    refuse_node_count(count, limit, "folded" if args.fold is True else "graph")
    if args.walkthrough:
        refuse_node_count(count, walk_limit, "walkthrough")


def _graph_loss(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The loss graph of f = w*x + b over the points, backpropagated: (L, w, b)."""
    from ...losses import get_loss

    _, loss = get_loss(args.loss)
    w: Tensor | Value
    b: Tensor | Value
    if args.engine == "tensor":
        from ...tensor import Tensor

        w = Tensor(args.w, requires_grad=True, name="w")
        b = Tensor(args.b, requires_grad=True, name="b")
        f = w * Tensor(args.x, name="x") + b
        f.label = "f"
        L = loss(f, Tensor(args.y, name="y"))
    else:
        w, b = Value(args.w, label="w"), Value(args.b, label="b")
        many = len(args.x) > 1  # x1, x2, ... for several points; x alone for one, as in docs/sources.md
        preds, targets = [], []
        for i, (x, y) in enumerate(zip(args.x, args.y), 1):
            k = str(i) if many else ""
            f_i = w * Value(x, label=f"x{k}") + b
            f_i.label = f"f{k}"
            preds.append(f_i)
            targets.append(Value(y, label=f"y{k}"))
        L = loss(preds, targets)  # the picture names each sample's squared error L1, L2, ... itself
    L.label = "L"
    L.backward()
    return L, w, b
