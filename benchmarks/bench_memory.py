"""Memory: bytes a scalar graph node costs, and the peak memory of one Tensor GD step.

What it demonstrates:

1. Bytes per ``Value`` node, for tinygrad_lr and micrograd 0.1.0: the graph of
   ``L = sum_i (w*x_i + b - y_i)**2`` at N = 10^4 points (about 7 nodes a point), measured with
   ``tracemalloc`` right after building it, and again after ``L.backward()`` (which gives every
   node a gradient float). Look at "after backward": issue 8's target is at most 250 bytes.
   tinygrad_lr keeps each node in ``__slots__`` with its local derivatives as a tuple of
   floats; micrograd keeps an instance dict, a set of parents and a closure per node.
2. Peak memory of one full-batch GD step (MSE forward, backward, update) at N = 10^6, float64,
   for the tinygrad_lr ``Tensor`` engine and for hand-written numpy: the extra memory the step
   needs on top of the data ``x`` and ``y`` (8 MB each), in MB and in arrays of N floats.

Each measurement runs in its own fresh Python process (tracemalloc slows everything it
traces, and one measurement's leftovers must not count in another's). The gradients of every
framework are checked against the closed form before memory is measured. PyTorch is not in
the table: its allocator is invisible to tracemalloc.

Run:   bash benchmarks/run.sh bench_memory.py      (sets up benchmarks/.env with micrograd)
       benchmarks/.env/bin/python benchmarks/bench_memory.py
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tracemalloc

from _common import close, machine_line, run_worker, table, try_import, version

N_NODES_POINTS = 10_000
N_STEP = 1_000_000
W0, B0, LR = 0.5, -0.25, 0.1
GRAD_RTOL = 1e-9  # float64 sums of the same terms in different orders


def value_worker(framework: str) -> dict:
    """Bytes per node of the scalar graph, after building it and after backpropagating."""
    import random

    if framework == "tinygrad_lr":
        from tinygrad_lr import Value
    else:
        from micrograd.engine import Value

        sys.setrecursionlimit(20 * N_NODES_POINTS + 10000)  # micrograd's recursive sort needs it
    rng = random.Random(0)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(N_NODES_POINTS)]
    ys = [2.0 * x + 1.0 + rng.gauss(0.0, 0.1) for x in xs]
    gc.collect()
    tracemalloc.start()
    w, b = Value(W0), Value(B0)
    start = tracemalloc.get_traced_memory()[0]
    loss = sum((w * x + b - y) ** 2 for x, y in zip(xs, ys))
    built = tracemalloc.get_traced_memory()[0]
    loss.backward()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    residuals = [W0 * x + B0 - y for x, y in zip(xs, ys)]
    ref_w, ref_b = sum(2 * r * x for r, x in zip(residuals, xs)), sum(2 * r for r in residuals)
    if not (close(w.grad, ref_w, GRAD_RTOL) and close(b.grad, ref_b, GRAD_RTOL)):
        raise SystemExit(f"{framework}: wrong gradients {w.grad, b.grad}, expected {ref_w, ref_b}")
    nodes = 7 * N_NODES_POINTS + 1  # the graph's nodes (w and b were allocated before `start`)
    return {"built": (built - start) / nodes, "after": (after - start) / nodes, "nodes": nodes}


def step_worker(framework: str) -> dict:
    """Peak extra memory of one GD step, on top of the data, in bytes."""
    import numpy as np

    rng = np.random.default_rng(0)
    x_np = rng.uniform(0.0, 1.0, N_STEP)
    y_np = 3.0 * x_np + 2.0 + rng.normal(0.0, 0.1, N_STEP)
    r = W0 * x_np + B0 - y_np
    ref = (float(2.0 * np.mean(r * x_np)), float(2.0 * np.mean(r)))
    del r

    if framework == "tinygrad_lr Tensor":
        from tinygrad_lr import Tensor, no_grad

        w, b = Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)
        x, y = Tensor(x_np), Tensor(y_np)

        def step() -> tuple[float, float]:
            loss = ((w * x + b - y) ** 2).mean()
            loss.backward()
            grads = (w.grad.item(), b.grad.item())
            with no_grad():
                w.data -= LR * w.grad
                b.data -= LR * b.grad
            w.zero_grad()
            b.zero_grad()
            return grads
    else:
        params = [W0, B0]

        def step() -> tuple[float, float]:
            r = params[0] * x_np + params[1] - y_np
            gw, gb = 2.0 * np.mean(r * x_np), 2.0 * np.mean(r)
            params[0] -= LR * gw
            params[1] -= LR * gb
            return float(gw), float(gb)

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    grads = step()  # the first step starts from W0, B0: check it
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    if not all(close(g, r, GRAD_RTOL) for g, r in zip(grads, ref)):
        raise SystemExit(f"{framework}: wrong gradients {grads}, expected {ref}")
    return {"peak": peak}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "FRAMEWORK"))
    args = parser.parse_args(argv)
    if args.worker:
        kind, framework = args.worker
        out = value_worker(framework) if kind == "value" else step_worker(framework)
        print(json.dumps(out))
        return 0

    print("# bench_memory: tracemalloc, one fresh process per measurement")
    print(f"# {machine_line()}; micrograd {version('micrograd')}\n")

    rows = []
    for framework in ("tinygrad_lr", "micrograd"):
        if framework == "micrograd" and try_import("micrograd") is None:
            rows.append([framework, "skipped (not installed)", ""])
            continue
        out = run_worker("bench_memory.py", ["value", framework])
        rows.append([framework, f"{out['built']:.0f}", f"{out['after']:.0f}"])
    print(f"Bytes per Value node: L = sum_i (w*x_i + b - y_i)**2, N = {N_NODES_POINTS:,} points "
          f"({7 * N_NODES_POINTS + 1:,} nodes), gradients checked")
    print(table(["framework", "bytes/node after build", "bytes/node after backward"], rows))
    print()

    rows = []
    peaks = {}
    for framework in ("numpy (hand-written gradient)", "tinygrad_lr Tensor"):
        if framework == "tinygrad_lr Tensor" and try_import("tinygrad_lr.tensor") is None:
            rows.append([framework, "skipped (no Tensor engine)", "", ""])
            continue
        peaks[framework] = run_worker("bench_memory.py", ["step", framework])["peak"]
    numpy_peak = peaks.get("numpy (hand-written gradient)")
    for framework, peak in peaks.items():
        ratio = f"{peak / numpy_peak:.1f}x" if numpy_peak else "-"
        rows.append([framework, f"{peak / 1e6:.1f} MB", f"{peak / (8 * N_STEP):.1f}", ratio])
    print(f"Peak extra memory of one GD step (MSE, forward + backward + update), N = {N_STEP:,}, "
          f"float64 (x and y, 8 MB each, not counted), gradients checked")
    print(table(["framework", "peak", "arrays of N floats", "vs numpy"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
