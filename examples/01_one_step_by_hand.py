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
orange, data in blue), ``walkthrough/index.html``: the backward pass one chain-rule step per
frame (arrow keys to step), its frames ``walkthrough/step_*.svg`` and its text; and
``after_step.png``: what the step changed -- the line ``y = 1x + 0`` became
``y = 1.4x + 0.18`` (left), the point ``(w, b)`` moved from ``(1, 0)`` to ``(1.4, 0.18)``,
downhill on the loss surface, and the loss fell from 29 to 12.9612 (right).

The graph pictures need Graphviz's ``dot``; without it the script still prints everything and
says at the end which pictures it skipped (``after_step.png`` needs only matplotlib).

    python examples/01_one_step_by_hand.py [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_lr import GD, Value, plot, sse
from tinygrad_lr.viz import draw_graph, save_graph, walkthrough_text, write_walkthrough
from tinygrad_lr.viz.pictures import Pictures

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
    return loss


def what_the_step_changed(before: tuple[float, float, float], after: tuple[float, float, float]):
    """Two panels: the line before and after the step, and the step itself on Loss(w, b)."""
    (w0, b0, loss0), (w1, b1, loss1) = before, after
    fig, (left, right) = plot.new_figure(ncols=2, width=5.2, height=4.2)
    plot.fit_line(XS, YS, w=w1, b=b1, x_test=[4.0], y_test=[9.0], ax=left)
    line_x = [0.0, 5.0]
    left.plot(line_x, [w0 * x + b0 for x in line_x], color="0.55", linestyle="--",
              label=f"before: y = {w0:g}x + {b0:g}")
    fit = next(line for line in left.get_lines() if line.get_gid() == "fit")
    fit.set_label(f"after: y = {w1:.4g}x + {b1:.4g}")
    left.legend(loc="upper left", fontsize=8)
    left.set_title(f"the line: Loss {loss0:g} -> {loss1:.6g}")

    def loss_at(wv: float, bv: float) -> float:
        return sum((wv * x + bv - y) ** 2 for x, y in zip(XS, YS))

    plot.loss_landscape(loss_at, (0.5, 2.5), (-0.5, 1.5), trajectories={"one GD step": [(w0, b0), (w1, b1)]},
                        minimum=(2.0, 1.0), ax=right)
    right.annotate(f"start: w = {w0:g}, b = {b0:g}\nLoss = {loss0:g}", (w0, b0), xytext=(8, -24),
                   textcoords="offset points", fontsize=8)
    right.annotate(f"after: w = {w1:.4g}, b = {b1:.4g}\nLoss = {loss1:.6g}", (w1, b1), xytext=(8, 6),
                   textcoords="offset points", fontsize=8)
    right.set_title("the step on Loss(w, b): downhill")
    return fig


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
    pictures = Pictures()
    graphs = [
        pictures.draw(str(out / name), lambda name=name: save_graph(draw_graph(loss), out / name))
        for name in ("graph.svg", "graph.png")
    ]
    page = pictures.draw(str(out / "walkthrough") + "/", lambda: write_walkthrough(loss, out / "walkthrough"))

    opt.step()  # w <- w - lr * dLoss/dw, b <- b - lr * dLoss/db
    w1, b1 = w.data, b.data
    after = build_loss(w, b)
    print()
    print(f"update:   w = 1 - {LR} * ({dw:g}) = {w1:.12g},  b = 0 - {LR} * ({db:g}) = {b1:.12g}")
    print(f"forward:  Loss(w={w1:.12g}, b={b1:.12g}) = {after.data:.12g}   (was {loss0:g})")
    step = what_the_step_changed((1.0, 0.0, loss0), (w1, b1, after.data))
    step_png = plot.save(step, out / "after_step.png")
    figures = [p for p in graphs if p is not None] + [step_png]
    print(f"\nfigures: {', '.join(map(str, figures))}")
    if page is not None:
        print(f"walkthrough: {page} ({len(list((out / 'walkthrough').glob('step_*.svg')))} frames)")
    if pictures.skipped:
        print(f"\n{pictures.report()}")
    return {
        "loss_before": loss0,
        "dw": dw,
        "db": db,
        "w": w1,
        "b": b1,
        "loss_after": after.data,
        "figures": figures,
        "walkthrough": page,
        "skipped": [name for name, _ in pictures.skipped],
    }


if __name__ == "__main__":
    main()
