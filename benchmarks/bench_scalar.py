"""Scalar engines: build and backpropagate ``L = sum_i (w*x_i + b - y_i)**2``, node by node.

What it demonstrates: how long the ``Value`` engine takes to build a graph of about 7 nodes a
data point and to backpropagate through it, next to micrograd 0.1.0 (the engine it is modelled
on), with Python's cyclic garbage collector on (as installed) and off. Look at the ratio
columns: they are what the targets of issue 8 are about (>= 10x micrograd as installed,
>= 2x micrograd with its collector off), and at the N = 10^6 row, which runs under Python's
default recursion limit.

How it measures, so the comparison is fair:

* every (framework, collector setting) runs in a fresh Python process, the same script with
  the same data, and the processes take turns (round-robin, several rounds), so machine noise
  hits all of them alike; the table shows medians over all repeats;
* before timing, each process checks its gradients ``dL/dw``, ``dL/db`` against the
  closed form ``sum 2*r_i*x_i``, ``sum 2*r_i`` (``r_i = w*x_i + b - y_i``), so every framework
  is shown to compute the same numbers;
* between repeats, the previous graph is dropped and ``gc.collect()`` runs, untimed, for every
  framework (micrograd's graphs are reference cycles that only the collector frees);
* tinygrad_lr also runs with ``gc.freeze()`` called before the build (the program's own objects
  are then never rescanned) and with the build inside ``graph.gc_paused()``: the two ways to
  spare a big build the collector's rescans, measured rather than argued; and it builds the
  same graph through its own API (``sse(LinearRegression(...)(xs), ys)``), whose Value loops
  pause the collector themselves, with the collector otherwise on, as installed;
* micrograd's recursive topological sort raises RecursionError from N ~ 989 under the default
  limit of 1000, so *its* processes raise the limit (to 20*N + 10000) -- the output says so;
  tinygrad_lr's processes keep the default and check it.

Run:   bash benchmarks/run.sh bench_scalar.py        (sets up benchmarks/.env with micrograd)
       benchmarks/.env/bin/python benchmarks/bench_scalar.py [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time

from _common import close, fmt_time, machine_line, median, run_worker, table, try_import, version

W0, B0 = 0.5, -0.25
GRAD_RTOL = 1e-9  # the engines sum the same float64 terms in different orders: ~1e-13 apart
DEFAULT_RECURSION_LIMIT = 1000


def make_data(n: int) -> tuple[list[float], list[float]]:
    rng = random.Random(0)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    ys = [2.0 * x + 1.0 + rng.gauss(0.0, 0.1) for x in xs]
    return xs, ys


def reference_grads(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """dL/dw and dL/db by the closed form, in plain Python."""
    residuals = [W0 * x + B0 - y for x, y in zip(xs, ys)]
    return sum(2.0 * r * x for r, x in zip(residuals, xs)), sum(2.0 * r for r in residuals)


# --- worker: one framework, one collector setting, in its own process ---------------------------


def worker(framework: str, gc_mode: str, n: int, repeats: int) -> dict:
    if framework == "tinygrad_lr":
        from tinygrad_lr import Value
        from tinygrad_lr.graph import gc_paused

        assert sys.getrecursionlimit() == DEFAULT_RECURSION_LIMIT, sys.getrecursionlimit()
    else:
        from micrograd.engine import Value

        sys.setrecursionlimit(20 * n + 10000)  # its recursive topological sort needs it
        gc_paused = None
    xs, ys = make_data(n)

    def build(w, b):
        return sum((w * x + b - y) ** 2 for x, y in zip(xs, ys))

    if gc_mode == "api":  # the same graph through the library: predictions, then the loss
        from tinygrad_lr import LinearRegression, sse

        def build(w, b):  # noqa: F811 - w, b are the model's own parameters here
            model = LinearRegression(w=W0, b=B0)
            build.params = model.parameters()
            return sse(model(xs), ys)

    if gc_mode == "off":
        gc.disable()
    elif gc_mode == "freeze":
        gc.freeze()  # the objects made so far (modules, data) are never scanned again

    # correctness first, untimed (and with the collector paused, for speed: it changes no number)
    enabled = gc.isenabled()
    gc.disable()
    w, b = Value(W0), Value(B0)
    loss = build(w, b)
    if gc_mode == "api":
        w, b = build.params
    loss.backward()
    del loss
    if enabled:
        gc.enable()
    ref_w, ref_b = reference_grads(xs, ys)
    if not (close(w.grad, ref_w, GRAD_RTOL) and close(b.grad, ref_b, GRAD_RTOL)):
        raise SystemExit(f"{framework}: wrong gradients {w.grad, b.grad}, expected {ref_w, ref_b}")
    del w, b
    gc.collect()

    builds, backwards = [], []
    for _ in range(repeats):
        w, b = Value(W0), Value(B0)
        t0 = time.perf_counter()
        if gc_mode == "paused":
            with gc_paused():
                loss = build(w, b)
        else:
            loss = build(w, b)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        backwards.append(t2 - t1)
        del loss, w, b
        gc.collect()  # untimed: frees micrograd's cyclic garbage, so no run inherits the last one's
    return {
        "build": builds,
        "backward": backwards,
        "grads": [ref_w, ref_b],
        "recursion_limit": sys.getrecursionlimit(),
    }


# --- driver -------------------------------------------------------------------------------------

GC_LABEL = {
    "on": "on (default)",
    "off": "off (gc.disable)",
    "paused": "build in gc_paused()",  # backward() pauses it by itself
    "freeze": "on, gc.freeze() first",
    "api": "on; LinearRegression + sse",  # the library pauses it while it builds
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", nargs=4, metavar=("FRAMEWORK", "GC", "N", "REPEATS"))
    parser.add_argument("--quick", action="store_true", help="fewer repeats, N = 10^5 instead of 10^6")
    args = parser.parse_args(argv)
    if args.worker:
        framework, gc_mode, n, repeats = args.worker
        print(json.dumps(worker(framework, gc_mode, int(n), int(repeats))))
        return 0

    has_micrograd = try_import("micrograd") is not None
    print("# bench_scalar: build + backward of L = sum_i (w*x_i + b - y_i)**2 (~7 nodes a point)")
    print(f"# {machine_line()}")
    print(f"# micrograd {version('micrograd')}; medians over all repeats, processes taking turns\n")

    rounds = 2 if args.quick else 3
    plans = {1_000: 5 if args.quick else 10, 10_000: 1 if args.quick else 3}
    configs = [("tinygrad_lr", mode) for mode in ("on", "api", "freeze", "paused", "off")]
    if has_micrograd:
        configs += [("micrograd", "on"), ("micrograd", "off")]
    notes = []
    for n, repeats in plans.items():
        results: dict[tuple[str, str], dict] = {}
        for _ in range(rounds):
            for config in configs:
                out = run_worker("bench_scalar.py", [*config, str(n), str(repeats)])
                slot = results.setdefault(config, {"build": [], "backward": [], "total": []})
                slot["build"] += out["build"]
                slot["backward"] += out["backward"]
                slot["total"] += [a + b for a, b in zip(out["build"], out["backward"])]
                if config[0] == "micrograd":
                    notes.append(out["recursion_limit"])
        nodes = 7 * n + 3
        total = {config: median(r["total"]) for config, r in results.items()}
        rows = [
            [framework, GC_LABEL[mode], fmt_time(median(r["build"])), fmt_time(median(r["backward"])),
             fmt_time(total[(framework, mode)]), f"{total[(framework, mode)] / nodes * 1e9:.0f}"]
            for (framework, mode), r in results.items()
        ]
        if not has_micrograd:
            rows.append(["micrograd", "-", "skipped (not installed)", "", "", ""])
        print(f"N = {n:,} points ({nodes:,} nodes), {rounds} rounds x {repeats} repeats")
        print(table(["framework", "cyclic GC", "build", "backward", "total", "ns/node"], rows))
        if has_micrograd:
            ratios = [  # (what, micrograd's setting, tinygrad_lr's setting, issue 8's target at 10^4)
                ("micrograd gc on / tinygrad_lr gc on (both as installed)", "on", "on", ""),
                ("micrograd gc on / tinygrad_lr's LinearRegression + sse, gc on", "on", "api", ">= 10x"),
                ("micrograd gc on / tinygrad_lr build in gc_paused()", "on", "paused", ""),
                ("micrograd gc off / tinygrad_lr gc off (same settings)", "off", "off", ">= 2x"),
                ("micrograd gc off / tinygrad_lr's LinearRegression + sse, gc on", "off", "api", ">= 2x"),
                ("micrograd gc off / tinygrad_lr gc on", "off", "on", ""),
            ]
            rows = [
                [label, f"{total[('micrograd', theirs)] / total[('tinygrad_lr', ours)]:.1f}x",
                 target if n == 10_000 else ""]
                for label, theirs, ours, target in ratios
            ]
            print()
            print(table(["speed-up of tinygrad_lr (total time, medians)", "ratio", "issue 8 target"], rows))
        print()
    # N = 10^6 (10^5 with --quick): tinygrad_lr alone, default recursion limit
    big = 100_000 if args.quick else 1_000_000
    rows = []
    for mode in ("on", "paused"):
        out = run_worker("bench_scalar.py", ["tinygrad_lr", mode, str(big), "1"])
        total = out["build"][0] + out["backward"][0]
        rows.append([
            "tinygrad_lr", GC_LABEL[mode], fmt_time(out["build"][0]), fmt_time(out["backward"][0]),
            fmt_time(total), f"{total / (7 * big + 3) * 1e9:.0f}", str(out["recursion_limit"]),
        ])
    print(f"N = {big:,} points ({7 * big + 3:,} nodes), tinygrad_lr alone, 1 run each, gradients checked")
    print(table(["framework", "cyclic GC", "build", "backward", "total", "ns/node", "recursion limit"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
