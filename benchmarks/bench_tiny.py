"""The tiny problem: 1000 gradient-descent iterations on three points, every way we know.

What it demonstrates: on a problem this small, the cost of a framework is its fixed overhead
per operation, not arithmetic. The data, loss and settings are those of docs/sources.md section 2:
x = 1, 2, 3 and y = 3, 5, 7, loss ``sum_i (w*x_i + b - y_i)**2`` (the sum, not the mean),
learning rate 0.01, from w = 1, b = 0; after 1000 iterations w = 2.000148389025502 and
b = 0.9996626768662412. Look at the two speed-up columns: how many times faster the Value and
the Tensor engines are than each peer (peer time / tinygrad_lr time; below 1 means slower).

The contestants: plain Python with the gradient written by hand, hand-written numpy, the
tinygrad_lr Value engine, the tinygrad_lr Tensor engine, micrograd 0.1.0 and PyTorch (float64,
CPU) when installed -- a peer that is not installed is reported as skipped.

How it measures: every contestant first runs one step, whose gradients must be the worked
example's dL/dw = -40, dL/db = -18, and the full 1000 iterations, which must reach the w and b
above; only then is it timed. Timing runs the contestants in turn, round after round, in one
process (so machine noise hits all alike), with ``gc.collect()`` between runs, untimed (it
frees micrograd's cyclic garbage so no run inherits another's). Medians over the rounds.

Run:   bash benchmarks/run.sh bench_tiny.py       (sets up benchmarks/.env with the peers)
       benchmarks/.env/bin/python benchmarks/bench_tiny.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable

import numpy as np
from _common import close, fmt_time, machine_line, median, table, try_import, version

XS, YS = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
LR, ITERATIONS = 0.01, 1000
W_FINAL, B_FINAL = 2.000148389025502, 0.9996626768662412  # docs/sources.md section 2
GRAD_W0, GRAD_B0 = -40.0, -18.0  # dLoss/dw, dLoss/db at w = 1, b = 0 (the worked example)
RTOL = 1e-9  # sums of three float64 terms in another order (numpy, torch) differ by ~1e-16

# Each contestant is a function (iterations) -> (w, b, dL/dw and dL/db of the FIRST iteration).


def plain_python(iterations: int) -> tuple[float, float, float, float]:
    w, b = 1.0, 0.0
    first = None
    for _ in range(iterations):
        gw = gb = 0.0
        for x, y in zip(XS, YS):
            r = w * x + b - y  # dL_i/df_i = 2r, df_i/dw = x, df_i/db = 1
            gw += 2.0 * r * x
            gb += 2.0 * r
        first = first or (gw, gb)
        w -= LR * gw
        b -= LR * gb
    return w, b, *first


def hand_numpy(iterations: int) -> tuple[float, float, float, float]:
    x, y = np.array(XS), np.array(YS)
    w, b = 1.0, 0.0
    first = None
    for _ in range(iterations):
        r = w * x + b - y
        gw, gb = float(2.0 * (r * x).sum()), float(2.0 * r.sum())
        first = first or (gw, gb)
        w -= LR * gw
        b -= LR * gb
    return w, b, *first


def tinygrad_value(iterations: int) -> tuple[float, float, float, float]:
    from tinygrad_lr import Value

    w, b = Value(1.0), Value(0.0)
    first = None
    for _ in range(iterations):
        loss = sum((w * x + b - y) ** 2 for x, y in zip(XS, YS))
        loss.backward()
        first = first or (w.grad, b.grad)
        w.data -= LR * w.grad
        b.data -= LR * b.grad
        w.zero_grad()
        b.zero_grad()
    return w.data, b.data, *first


def tinygrad_tensor(iterations: int) -> tuple[float, float, float, float]:
    from tinygrad_lr import Tensor, no_grad

    w, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    x, y = Tensor(XS), Tensor(YS)
    first = None
    for _ in range(iterations):
        loss = ((w * x + b - y) ** 2).sum()
        loss.backward()
        first = first or (w.grad.item(), b.grad.item())
        with no_grad():
            w.data -= LR * w.grad
            b.data -= LR * b.grad
        w.zero_grad()
        b.zero_grad()
    return w.item(), b.item(), *first


def micrograd(iterations: int) -> tuple[float, float, float, float]:
    from micrograd.engine import Value

    w, b = Value(1.0), Value(0.0)
    first = None
    for _ in range(iterations):
        loss = sum((w * x + b - y) ** 2 for x, y in zip(XS, YS))
        loss.backward()
        first = first or (w.grad, b.grad)
        w.data -= LR * w.grad
        b.data -= LR * b.grad
        w.grad = 0.0
        b.grad = 0.0
    return w.data, b.data, *first


def pytorch(iterations: int) -> tuple[float, float, float, float]:
    import torch

    w = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    x, y = torch.tensor(XS, dtype=torch.float64), torch.tensor(YS, dtype=torch.float64)
    first = None
    for _ in range(iterations):
        loss = ((w * x + b - y) ** 2).sum()
        loss.backward()
        first = first or (w.grad.item(), b.grad.item())
        with torch.no_grad():
            w -= LR * w.grad
            b -= LR * b.grad
        w.grad = None
        b.grad = None
    return w.item(), b.item(), *first


CONTESTANTS: list[tuple[str, Callable[[int], tuple], str | None]] = [
    ("plain Python (hand-written gradient)", plain_python, None),
    ("numpy (hand-written gradient)", hand_numpy, None),
    ("tinygrad_lr Value", tinygrad_value, None),
    ("tinygrad_lr Tensor", tinygrad_tensor, "tinygrad_lr.tensor"),
    ("micrograd 0.1.0", micrograd, "micrograd"),
    ("PyTorch (float64, CPU)", pytorch, "torch"),
]


# --- what the training loop adds: fit() against the same steps written by hand ---------------


def by_hand_steps(engine: str, xs: np.ndarray, ys: np.ndarray, loss: str, lr: float, epochs: int) -> float:
    """The engine's own time: ``epochs`` GD steps of a LinearRegression, the loop written out."""
    from tinygrad_lr import GD, LinearRegression, mse, sse

    model = LinearRegression(w=1.0, b=0.0, engine=engine)
    opt = GD(model.parameters(), lr=lr)
    loss_fn = sse if loss == "sse" else mse
    for _ in range(epochs):
        opt.zero_grad()
        loss_fn(model(xs), ys).backward()
        opt.step()
    return float(model.weights[0])


def by_fit(engine: str, xs: np.ndarray, ys: np.ndarray, loss: str, lr: float, epochs: int) -> float:
    """The same steps through ``fit`` (which also records the loss and parameters every epoch)."""
    from tinygrad_lr import LinearRegression, fit

    model = LinearRegression(w=1.0, b=0.0, engine=engine)
    fit(model, (xs, ys), "gd", lr=lr, loss=loss, epochs=epochs, progress=False)
    return float(model.weights[0])


def fit_overhead(rounds: int) -> str:
    """A table: time per GD step by hand and through ``fit``, and what ``fit`` adds (target 10%)."""
    # the 3 points are the worst case: the loop's cost per step is fixed, the engine's is smallest
    cases = [  # (engine, label, x, y, loss, lr, epochs)
        ("value", "3 points, SSE", np.array(XS), np.array(YS), "sse", LR, ITERATIONS),
        ("tensor", "3 points, SSE", np.array(XS), np.array(YS), "sse", LR, ITERATIONS),
    ]
    rows = []
    for engine, label, xs, ys, loss, lr, epochs in cases:
        args = (engine, xs, ys, loss, lr, epochs)
        w_hand, w_fit = by_hand_steps(*args), by_fit(*args)
        if w_hand != w_fit:
            raise SystemExit(f"fit and the hand-written loop disagree: w = {w_fit!r} vs {w_hand!r}")
        times: dict[str, list[float]] = {"hand": [], "fit": []}
        for _ in range(rounds):
            for name, fn in (("hand", by_hand_steps), ("fit", by_fit)):
                gc.collect()
                t0 = time.perf_counter()
                fn(*args)
                times[name].append((time.perf_counter() - t0) / epochs)
        hand, fitted = median(times["hand"]), median(times["fit"])
        rows.append([f"{engine}, {label}", f"{epochs}", f"{hand * 1e6:.1f} us", f"{fitted * 1e6:.1f} us",
                     f"{(fitted / hand - 1) * 100:+.0f}%"])
    header = ["engine, problem", "epochs", "step by hand", "step in fit()", "fit adds"]
    return table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed runs of each contestant")
    args = parser.parse_args(argv)

    print("# bench_tiny: 1000 GD iterations, SSE on x = 1, 2, 3 / y = 3, 5, 7, lr 0.01, from w = 1, b = 0")
    print(f"# {machine_line()}")
    torch = try_import("torch")
    if torch is not None:
        threads = torch.get_num_threads()
        print(f"# micrograd {version('micrograd')}, torch {torch.__version__} ({threads} threads)")
    else:
        print(f"# micrograd {version('micrograd')}, torch not installed")

    present, skipped = [], []
    for name, fn, module in CONTESTANTS:
        if module is not None and try_import(module) is None:
            skipped.append(name)
            continue
        w, b, gw, gb = fn(ITERATIONS)  # correctness before timing
        if not (close(gw, GRAD_W0, RTOL) and close(gb, GRAD_B0, RTOL)):
            raise SystemExit(f"{name}: first gradients {gw, gb}, expected {GRAD_W0, GRAD_B0}")
        if not (close(w, W_FINAL, RTOL) and close(b, B_FINAL, RTOL)):
            raise SystemExit(f"{name}: w, b = {w!r}, {b!r} after {ITERATIONS} iterations, expected "
                             f"{W_FINAL!r}, {B_FINAL!r}")
        present.append((name, fn))
    print("# every contestant: first gradients (-40, -18) and final w, b of docs/sources.md section 2 "
          "checked\n")

    times: dict[str, list[float]] = {name: [] for name, _ in present}
    for _ in range(args.rounds):
        for name, fn in present:
            gc.collect()
            t0 = time.perf_counter()
            fn(ITERATIONS)
            times[name].append(time.perf_counter() - t0)
    med = {name: median(ts) for name, ts in times.items()}
    value_t = med["tinygrad_lr Value"]
    tensor_t = med.get("tinygrad_lr Tensor")
    rows = []
    for name, _ in present:
        t = med[name]
        rows.append([
            name, fmt_time(t), f"{t / ITERATIONS * 1e6:.2f} us",
            f"{t / value_t:.2f}x", f"{t / tensor_t:.2f}x" if tensor_t else "-",
        ])
    rows += [[name, "skipped (not installed)", "", "", ""] for name in skipped]
    print(f"{args.rounds} rounds, medians; speed-up = peer time / tinygrad_lr time (> 1: faster)")
    header = ["contestant", "1000 iterations", "per iteration", "Value speed-up", "Tensor speed-up"]
    print(table(header, rows))

    print("\nThe training loop: one GD step of LinearRegression + GD written out by hand (zero_grad, loss,")
    print("backward, step) against the same steps through fit(), which also records each epoch's loss and")
    print(f"parameters and checks for divergence; same final w checked; {args.rounds} rounds, medians "
          "(target: +10%)")
    print(fit_overhead(args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
