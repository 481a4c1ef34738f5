"""``tinygrad-lr demo``: the worked example end to end (the main job)."""

from __future__ import annotations

import argparse

from ..._files import output_path
from ...value import Value
from ...viz.pictures import Pictures

HELP_ORDER = 10  # where `tinygrad-lr --help` lists this command
XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]  # the tutorial's three training points


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="the main job: backprop one sample, train on three points, render the graph",
        description="The worked example of the step-by-step tutorial, end to end: (1) the graph of "
        "(w*x + b - y)^2 for one sample, backpropagated, every node's data and gradient printed with "
        "the chain rule written out; (2) the three-point loss sum (w*x_i + b - y_i)^2 at w=1, b=0 "
        "rendered with Graphviz, with its backward walkthrough (one SVG per step and an HTML page); "
        "(3) 1000 steps of gradient descent with lr 0.01, recorded and written as a page that replays "
        "them (replay/index.html): graph, line, landscape and loss curve moving together.",
    )
    p.add_argument("--x", type=float, default=1.0, help="the single sample's input (default 1)")
    p.add_argument("--y", type=float, default=3.0, help="the single sample's target (default 3)")
    p.add_argument("--w", type=float, default=1.0, help="the starting weight (default 1)")
    p.add_argument("--b", type=float, default=0.0, help="the starting bias (default 0)")
    p.add_argument("--out", default="tinygrad-lr-demo", metavar="DIR",
                   help="folder for graph.svg, walkthrough/ and replay/ (default ./tinygrad-lr-demo)")
    p.add_argument("--no-render", action="store_true", help="skip the Graphviz pictures")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    pictures = Pictures()
    _one_sample(args)
    _three_points(args, pictures)
    _train(args, pictures)
    if pictures.skipped:
        print(f"\n{pictures.report()}")
    print("\n" + NEXT)
    return 0


def _one_sample(args: argparse.Namespace) -> None:
    """(1) one sample: every node of (w*x + b - y)^2 with its data and gradient."""
    from ...graph import topological_order
    from ...viz import walkthrough_text

    w, b = Value(args.w, label="w"), Value(args.b, label="b")
    x, y = Value(args.x, label="x"), Value(args.y, label="y")
    wx = w * x
    wx.label = "w*x"
    f = wx + b
    f.label = "f"
    r = f - y
    r.label = "f - y"
    L = r**2
    L.label = "L"
    L.backward()
    print(f"1. One sample: L = (w*x + b - y)^2 at w={args.w:g}, b={args.b:g}, x={args.x:g}, y={args.y:g}")
    print(f"   {'node':<6}{'op':<6}{'data':>10}{'grad dL/dnode':>16}")
    for node in topological_order(L):
        print(f"   {node.label:<6}{node.op or 'leaf':<6}{node.data:>10.6g}{node.grad:>16.6g}")
    print("   the backward pass, one chain-rule step per line:")
    for line in walkthrough_text(L).splitlines()[1:]:
        print(f"   {line}")
    res = args.w * args.x + args.b - args.y  # the analytic formulas, for comparison
    print(f"   analytic: dL/dw = 2*(w*x+b-y)*x = {2 * res * args.x:g}, dL/db = 2*(w*x+b-y) = {2 * res:g}")


def _three_points(args: argparse.Namespace, pictures: Pictures) -> None:
    """(2) the tutorial's three training points: the graph of the whole loss, rendered."""
    from ...losses import sse

    xs, ys = XS, YS
    w3, b3 = Value(args.w, label="w"), Value(args.b, label="b")
    # x1, x2, x3 are data leaves by name, as sse makes y1, y2, y3: pictures show them as data
    preds = [w3 * Value(xi, label=f"x{i}") + b3 for i, xi in enumerate(xs, 1)]
    loss = sse(preds, ys)
    loss.label = "Loss"
    loss.backward()
    print("\n2. Three points (1,3) (2,5) (3,7): Loss(w, b) = sum_i (w*x_i + b - y_i)^2")
    print(f"   Loss({args.w:g}, {args.b:g}) = {loss.data:g}   "
          f"dLoss/dw = {w3.grad:g}   dLoss/db = {b3.grad:g}")
    if not args.no_render:
        from ...viz import draw_graph, save_graph, write_walkthrough

        out = output_path(args.out, "--out")  # the folder is made; its parent must exist
        out.mkdir(exist_ok=True)
        graph_file = pictures.draw(
            str(out / "graph.svg"), lambda: save_graph(draw_graph(loss), out / "graph.svg")
        )
        page = pictures.draw(
            str(out / "walkthrough") + "/", lambda: write_walkthrough(loss, out / "walkthrough")
        )
        if graph_file is not None:
            print(f"   graph with every node's data and gradient: {graph_file}")
        if page is not None:
            print(f"   backward pass step by step (open in a browser, arrow keys): {page}")


def _train(args: argparse.Namespace, pictures: Pictures) -> None:
    """(3) training: 1000 steps of full-batch gradient descent, as in the tutorial."""
    from ...data import from_arrays
    from ...models import LinearRegression
    from ...train import fit

    xs, ys = XS, YS
    model = LinearRegression(w=args.w, b=args.b)
    if args.no_render:
        history = fit(model, from_arrays(xs, ys), "gd", lr=0.01, loss="sse", epochs=1000, progress=False)
    else:  # the same fit, every update recorded for the replay page
        from ...replay import record, write_replay

        rec = record(model, from_arrays(xs, ys), "gd", lr=0.01, loss="sse", epochs=1000)
        assert rec.history is not None
        history = rec.history
    bias = model.intercept
    assert bias is not None  # the model was built with a b
    wf, bf = float(model.weights[0]), float(bias)
    print("\n3. Gradient descent, lr 0.01, 1000 iterations: w <- w - lr*dLoss/dw, b <- b - lr*dLoss/db")
    print(f"   loss {history.initial_loss:g} -> after 1 step {history.losses[0]:g} -> after 1000 "
          f"{history.final_loss:.6g}")
    print(f"   w = {wf!r}, b = {bf!r}; prediction for the test point x = 4: {wf * 4 + bf:.6f} (y = 9)")
    if not args.no_render:
        out = output_path(args.out, "--out")
        replay = pictures.draw(str(out / "replay") + "/", lambda: write_replay(rec, out / "replay"))
        if replay is not None:
            print(f"   watch it learn, update by update (open in a browser): {replay}")


# where a learner goes from here (paths in the repository)
NEXT = """What next:
   read docs/tutorial.md: these numbers worked out by hand, step by step
   open notebooks/01_worked_example.ipynb: the same example, cell by cell, in Jupyter
   do it yourself: tinygrad-lr check --new 1 writes the first of seven exercises to fill in"""
