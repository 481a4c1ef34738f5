"""One step of gradient descent by hand (docs/sources.md section 2), with every number on the graph.

The tutorial's three training points (1, 3), (2, 5), (3, 7) and the loss
``Loss(w, b) = sum_i (w*x_i + b - y_i)^2``, from ``w = 1, b = 0``:

* forward: ``Loss(1, 0) = 29``;
* backward: ``dLoss/dw = -40``, ``dLoss/db = -18`` (sum over the samples of
  ``2(w*x_i + b - y_i) * x_i`` and ``2(w*x_i + b - y_i)``);
* update with ``lr = 0.01``: ``w = 1.4``, ``b = 0.18``, and ``Loss(1.4, 0.18) = 12.9612``.

The loss is built from ``Value`` nodes with the framework's ``sse``, the gradients come from
``backward()`` and the update from the ``GD`` optimizer -- nothing is typed in by hand except
the data.

What to look at: ``graph.svg`` / ``graph.png`` (every node's data and gradient; parameters in
orange, data in blue), ``after_step.png`` (the same graph after the update, before its
backward pass), and ``walkthrough/index.html``: the backward pass one chain-rule step per
frame (arrow keys to step), its frames ``walkthrough/step_*.svg`` and its text.

    python examples/01_one_step_by_hand.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_lr import GD, Value, sse
from tinygrad_lr.viz import draw_graph, save_graph, walkthrough_text, write_walkthrough

NAME = "01_one_step_by_hand"
XS, YS = (1.0, 2.0, 3.0), (3.0, 5.0, 7.0)  # training points; (4, 9) is kept for testing
LR = 0.01


def build_loss(w: Value, b: Value) -> Value:
    """``Loss = sum_i (w*x_i + b - y_i)^2`` with the data as labelled leaves, so the picture names them."""
    xs = [Value(x, label=f"x{i + 1}") for i, x in enumerate(XS)]
    ys = [Value(y, label=f"y{i + 1}") for i, y in enumerate(YS)]
    preds = []
    for i, x in enumerate(xs):
        f = w * x + b
        f.label = f"f{i + 1}"  # the prediction f_i = w*x_i + b
        preds.append(f)
    loss = sse(preds, ys)  # ((f1-y1)**2 + (f2-y2)**2) + (f3-y3)**2
    loss.label = "Loss"
    loss.parents[0].label = "partial sum"  # the first two samples' squared errors
    return loss


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "out" / NAME, help="output folder"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    opt = GD([w, b], lr=LR)

    opt.zero_grad()
    loss = build_loss(w, b)
    loss.backward()
    loss0, dw, db = loss.data, w.grad, b.grad
    print(f"forward:  Loss(w=1, b=0) = {loss0:g}")
    print(f"backward: dLoss/dw = {dw:g}, dLoss/db = {db:g}")
    print()
    print(walkthrough_text(loss))
    save_graph(draw_graph(loss), out / "graph.svg")
    save_graph(draw_graph(loss), out / "graph.png")
    page = write_walkthrough(loss, out / "walkthrough")

    opt.step()  # w <- w - lr * dLoss/dw, b <- b - lr * dLoss/db
    w1, b1 = w.data, b.data
    after = build_loss(w, b)
    print()
    print(f"update:   w = 1 - {LR} * ({dw:g}) = {w1:.12g},  b = 0 - {LR} * ({db:g}) = {b1:.12g}")
    print(f"forward:  Loss(w={w1:.12g}, b={b1:.12g}) = {after.data:.12g}   (was {loss0:g})")
    save_graph(draw_graph(after), out / "after_step.png")
    print(f"\nfigures: {out / 'graph.svg'}, {out / 'graph.png'}, {out / 'after_step.png'}")
    print(f"walkthrough: {page} ({len(list((out / 'walkthrough').glob('step_*.svg')))} frames)")
    return {
        "loss_before": loss0,
        "dw": dw,
        "db": db,
        "w": w1,
        "b": b1,
        "loss_after": after.data,
        "figures": [out / "graph.svg", out / "graph.png", out / "after_step.png"],
        "walkthrough": page,
    }


if __name__ == "__main__":
    main()
