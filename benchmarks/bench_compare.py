"""Two checkouts of tinygrad_lr side by side in ONE process: did a change slow the first-order path?

What it demonstrates: whether a change to the engines costs the ordinary ``backward()`` anything,
measured so that machine noise cannot pass for a difference. Both versions are imported into the
same process under different names (``tg_before``, ``tg_after``) and every workload is run on
both, alternately, many times; the table shows each side's median and the ratio after/before
(1.00: the same; above 1: the change is slower). On a busy machine separate runs of the other
scripts can differ by 20% or more; alternating in one process cancels such drifts.

The workloads are the engines' first-order paths: building and backpropagating a 3000-point
``Value`` SSE (about 21,000 nodes), one full-batch ``Tensor`` GD step at N = 10^3, 10^5, 10^6,
10^7, and 200 GD steps of the 3-point tutorial problem on each engine; the compiled step
(``compile_step``: one Tensor GD step at N = 10^5 and 10^7, 200 steps of the 3-point problem on
``Value``), whose code is written from the op definitions; then the same kind of steps
through ``fit`` (full-batch GD on 3 points, one-sample SGD and mini-batches on 100), which adds
the training loop's bookkeeping: per-epoch loss and parameters, the divergence guard.

Run (make the old checkout with ``git worktree add /tmp/before <commit>``, or ``git archive``):

    python benchmarks/bench_compare.py /tmp/before . [--rounds 30] [--clock cpu]

On a machine shared with other jobs, ``--clock cpu`` times this process's CPU time instead of
the elapsed time, which the other jobs stretch by whatever they take.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from _common import machine_line

clock = time.perf_counter  # --clock cpu: time.process_time, this process's CPU time only


def load(name: str, root: Path) -> ModuleType:
    """Import ``root/tinygrad_lr`` as the package ``name``."""
    init = root / "tinygrad_lr" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"bench_compare: {root} has no tinygrad_lr/__init__.py")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def workloads(tg: ModuleType) -> dict[str, Callable[[], float]]:
    """Each workload returns the seconds it took (only the part it measures)."""
    Value, Tensor = tg.Value, tg.Tensor
    gc_paused = sys.modules[tg.__name__ + ".graph"].gc_paused
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(3000)]
    ys = [2 * x + 1 for x in xs]

    def value_build() -> Any:
        w, b = Value(0.5), Value(-0.25)
        with gc_paused():
            return sum((w * x + b - y) ** 2 for x, y in zip(xs, ys))

    def value_backward() -> float:
        L = value_build()
        t = clock()
        L.backward()
        return clock() - t

    def timed(f: Callable[[], Any]) -> Callable[[], float]:
        def run() -> float:
            t = clock()
            f()
            return clock() - t

        return run

    out = {
        "Value: build a 3000-point SSE (21k nodes)": timed(value_build),
        "Value: its backward()": value_backward,
    }
    g = np.random.default_rng(0)
    for exp in (3, 5, 6, 7):
        n = 10**exp
        X, y = Tensor(g.normal(size=(n, 1))), Tensor(g.normal(size=n))
        w, b = Tensor(np.zeros(1), requires_grad=True), Tensor(0.0, requires_grad=True)

        def step(X: Any = X, y: Any = y, w: Any = w, b: Any = b) -> None:
            w.zero_grad()
            b.zero_grad()
            L = ((X @ w + b - y) ** 2).mean()
            L.backward()
            w.data = w.data - 0.01 * w.grad
            b.data = b.data - 0.01 * b.grad

        out[f"Tensor: one GD step, N = 10^{exp}"] = timed(step)
    x3, y3 = Tensor([1.0, 2.0, 3.0]), Tensor([3.0, 5.0, 7.0])

    def tiny_tensor() -> None:
        w, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
        for _ in range(200):
            w.zero_grad()
            b.zero_grad()
            ((w * x3 + b - y3) ** 2).sum().backward()
            w.data = w.data - 0.01 * w.grad
            b.data = b.data - 0.01 * b.grad

    def tiny_value() -> None:
        w, b = Value(1.0), Value(0.0)
        for _ in range(200):
            w.grad = b.grad = 0.0
            sum((w * x + b - y) ** 2 for x, y in ((1.0, 3.0), (2.0, 5.0), (3.0, 7.0))).backward()
            w.data -= 0.01 * w.grad
            b.data -= 0.01 * b.grad

    out["3-point problem, 200 GD steps, Tensor"] = timed(tiny_tensor)
    out["3-point problem, 200 GD steps, Value"] = timed(tiny_value)
    out.update(compile_workloads(tg))
    out.update(fit_workloads(tg))
    return out


def compile_workloads(tg: ModuleType) -> dict[str, Callable[[], float]]:
    """The compiled step (``compile_step``), traced once here: only its runs are timed."""
    compile_step = sys.modules[tg.__name__ + ".compile"].compile_step
    out: dict[str, Callable[[], float]] = {}
    g = np.random.default_rng(1)
    for exp in (5, 7):
        x = g.normal(size=10**exp)
        y = 3.0 * x + 1.0
        w, b = tg.Tensor(0.5, requires_grad=True), tg.Tensor(-0.25, requires_grad=True)
        step = compile_step(lambda x, y, w=w, b=b: ((w * x + b - y) ** 2).mean(), tg.GD([w, b], lr=0.01))
        step(x, y)  # traces and checks the code against the engine

        def run(step: Any = step, x: Any = x, y: Any = y) -> float:
            t = clock()
            step(x, y)
            return clock() - t

        out[f"compiled Tensor GD step, N = 10^{exp}"] = run
    vw, vb = tg.Value(1.0), tg.Value(0.0)
    points = ((1.0, 3.0), (2.0, 5.0), (3.0, 7.0))
    vstep = compile_step(lambda: sum((vw * x + vb - y) ** 2 for x, y in points), tg.GD([vw, vb], lr=0.01))
    vstep()

    def value_steps() -> float:
        t = clock()
        for _ in range(200):
            vstep()
        return clock() - t

    out["compiled 3-point problem, 200 GD steps, Value"] = value_steps
    return out


def fit_workloads(tg: ModuleType) -> dict[str, Callable[[], float]]:
    """The training loop's own bookkeeping: steps through ``fit`` (the loss and parameters recorded
    every epoch, the divergence guard), on small problems, where it weighs most."""
    three = ([1.0, 2.0, 3.0], [3.0, 5.0, 7.0])
    xs100 = np.random.default_rng(0).normal(size=(100, 1))
    hundred = (xs100, 3.0 * xs100[:, 0] + 1.0)

    def fit_run(engine: str, data: Any, optimizer: str, epochs: int, **kw: Any) -> Callable[[], float]:
        def run() -> float:
            model = tg.LinearRegression(w=1.0, b=0.0, engine=engine)
            t = clock()
            tg.fit(model, data, optimizer, loss="sse", epochs=epochs, progress=False, **kw)
            return clock() - t

        return run

    return {
        "fit: 3 points, 200 GD epochs, Value": fit_run("value", three, "gd", 200, lr=0.01),
        "fit: 3 points, 200 GD epochs, Tensor": fit_run("tensor", three, "gd", 200, lr=0.01),
        "fit: 100 points, 20 epochs SGD, shuffled, Tensor": fit_run(
            "tensor", hundred, "sgd", 20, lr=0.001, shuffle=True, rng=0
        ),
        "fit: 100 points, 50 epochs batch 10, Value": fit_run(
            "value", hundred, "minibatch", 50, lr=0.001, batch_size=10
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="checkout of the old version")
    parser.add_argument("after", type=Path, help="checkout of the new version")
    parser.add_argument("--rounds", type=int, default=30, help="alternated runs of each workload")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="wall: elapsed time (default); cpu: this process's CPU time, which other programs on a "
        "loaded machine do not stretch (numpy's threads count too)",
    )
    args = parser.parse_args()
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    sides = {
        "before": workloads(load("tg_before", args.before)),
        "after": workloads(load("tg_after", args.after)),
    }
    times: dict[str, dict[str, list[float]]] = {s: {k: [] for k in sides[s]} for s in sides}
    for r in range(args.rounds):
        for i, name in enumerate(sides["before"]):
            for side in ("before", "after") if (r + i) % 2 == 0 else ("after", "before"):
                gc.collect()
                times[side][name].append(sides[side][name]())
    print(f"# bench_compare: {args.before} (before) vs {args.after} (after)")
    print(f"# {machine_line()}")
    what = "CPU time" if args.clock == "cpu" else "elapsed time"
    runs = f"{args.rounds} alternated runs of each workload in one process"
    print(f"# {runs}; medians of {what}; after / before\n")
    print(f"| {'workload':50s} | {'before':>9s} | {'after':>9s} | after/before |")
    print(f"| {'-' * 50} | {'-' * 9} | {'-' * 9} | ------------ |")
    for name in sides["before"]:
        b, a = statistics.median(times["before"][name]), statistics.median(times["after"][name])
        print(f"| {name:50s} | {b * 1e3:6.2f} ms | {a * 1e3:6.2f} ms | {a / b:12.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
