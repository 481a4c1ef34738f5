"""Time one full-batch gradient-descent step of ``y = w*x + b`` with Tensor, numpy and PyTorch.

What it demonstrates: the autodiff ``Tensor`` runs the same chain rule as the hand-written
gradient, at close to numpy speed. One step is

    loss = ((w*x + b - y)**2).mean();  loss.backward();  w -= lr*dL/dw;  b -= lr*dL/db

with ``w``, ``b`` scalar tensors requiring grad and ``x``, ``y`` float64 data of length N. The
columns:

* **tinygrad_lr**: the step above;
* **numpy**: by hand, ``r = w*x + b - y; gw = 2*mean(r*x); gb = 2*mean(r)`` (no loss value);
* **np-graph**: numpy computing exactly the arrays an autodiff graph keeps alive (the four
  intermediates ``w*x``, ``+b``, ``-y``, ``**2``): what any framework that keeps every node's
  value, as tinygrad_lr and torch do, must at least pay;
* **torch** / **torch-1**: PyTorch CPU autograd on the same float64 expression, with its default
  number of threads and with ``torch.set_num_threads(1)`` (skipped when torch is not installed);
* **fused**: the same gradient in ONE pass over ``x`` and ``y``, in blocks that stay in the CPU
  cache: ``r = w*x + b - y`` into a reused block buffer, then ``gw += r.x``, ``gb += sum r``;
* **floor**: reading ``x`` and ``y`` once (``einsum('i,i->', x, y)``): memory bandwidth's limit
  for any step that looks at all the data.

How it measures. Every framework runs in a fresh Python process per round, all with the same
environment, including the same glibc malloc settings (``MALLOC_ENV`` below, printed with the
results): they make glibc keep freed memory instead of returning big blocks to the kernel, so a
step's 80 MB temporaries do not page-fault back in on every step (which otherwise swings
timings by 1.5x, and hits a framework with more temporaries harder). The order of the
frameworks rotates from round to round. In each process, every N: the first-step gradients are
checked against the hand-written numpy ones (the script stops on a mismatch), one warm-up step,
then timed steps; the table shows, per framework, the median over rounds of each process's
median, and ratios measured in this same run (tg/x < 1: tinygrad_lr is faster than x).

Run:  .venv/bin/python benchmarks/bench_tensor_step.py             (N = 10^3 .. 10^7, ~2 min)
      .venv/bin/python benchmarks/bench_tensor_step.py --max-exp 6  (skip N = 10^7)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _common, also when imported by a test
from _common import machine_line, run_worker, table, version  # noqa: E402  (puts the repo root first)

from tinygrad_lr.compare import allclose  # noqa: E402

W0, B0, LR = 0.5, -0.25, 0.1
GRAD_RTOL = 1e-9  # float64 sums in a different order agree to ~1e-15 relative; 1e-9 is generous
FUSED_BLOCK = 131072  # entries per block of the fused step: its 3 blocks (3 MB) stay in cache (L2 + L3)

# glibc: never mmap (big blocks come from the heap), never give freed memory back to the kernel
MALLOC_ENV = {
    "MALLOC_MMAP_MAX_": "0",
    "MALLOC_TRIM_THRESHOLD_": str(2**40),
    "MALLOC_TOP_PAD_": str(2**28),
}
FRAMEWORKS = ["tinygrad_lr", "numpy", "np-graph", "torch", "torch-1", "fused", "floor"]
TORCH_FRAMEWORKS = ("torch", "torch-1")

Step = Callable[[], None]
Grads = Callable[[], "tuple[float, float]"]


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    y = 3.0 * x + 2.0 + rng.normal(0.0, 0.1, n)
    return x, y


# --- the implementations of one step: each returns a step function and a first-gradient probe --


def tinygrad_step(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, Grads]:
    from tinygrad_lr import Tensor, no_grad

    w, b = Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)
    x, y = Tensor(x_np), Tensor(y_np)

    def step() -> None:
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with no_grad():
            w.data -= LR * w.grad
            b.data -= LR * b.grad
        w.zero_grad()
        b.zero_grad()

    def first_grads() -> tuple[float, float]:
        w0, b0 = Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)
        ((w0 * x + b0 - y) ** 2).mean().backward()
        return w0.grad.item(), b0.grad.item()

    return step, first_grads


def _gd(grads: Callable[[float, float], tuple[float, float]]) -> tuple[Step, Grads]:
    """A step function updating plain-float parameters with ``grads(w, b)``."""
    params = [W0, B0]

    def step() -> None:
        gw, gb = grads(params[0], params[1])
        params[0] -= LR * gw
        params[1] -= LR * gb

    return step, lambda: grads(W0, B0)


def numpy_step(x: np.ndarray, y: np.ndarray) -> tuple[Step, Grads]:
    def grads(w: float, b: float) -> tuple[float, float]:
        r = w * x + b - y
        return float(2.0 * np.mean(r * x)), float(2.0 * np.mean(r))

    return _gd(grads)


def numpy_graph_step(x: np.ndarray, y: np.ndarray) -> tuple[Step, Grads]:
    def grads(w: float, b: float) -> tuple[float, float]:
        t1 = w * x  # the forward intermediates a graph keeps, each a fresh array
        t2 = t1 + b
        t3 = t2 - y
        t4 = t3 * t3
        _ = t4.mean()
        c = 2.0 / x.size  # dL/dt3 = c * t3, left unbuilt: both reductions scale by c instead
        return c * float(np.einsum("i,i->", t3, x)), c * float(t3.sum())

    return _gd(grads)


def fused_step(x: np.ndarray, y: np.ndarray) -> tuple[Step, Grads]:
    n = x.size
    block = min(FUSED_BLOCK, n)
    buf = np.empty(block)

    def grads(w: float, b: float) -> tuple[float, float]:
        gw = gb = 0.0
        for start in range(0, n, block):
            xb, yb = x[start : start + block], y[start : start + block]
            r = buf[: xb.size]
            np.multiply(xb, w, out=r)  # r = w*x + b - y, in place in a block that stays in cache
            r += b
            r -= yb
            gw += float(np.einsum("i,i->", r, xb))  # read again from cache, not from memory
            gb += float(r.sum())
        return 2.0 * gw / n, 2.0 * gb / n

    return _gd(grads)


def floor_step(x: np.ndarray, y: np.ndarray) -> tuple[Step, Grads]:
    def step() -> None:
        np.einsum("i,i->", x, y)  # every entry of x and y read once, nothing written

    return step, lambda: numpy_step(x, y)[1]()  # not a step: its "gradients" are numpy's


def torch_step(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, Grads]:
    import torch

    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    w = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float64, requires_grad=True)

    def step() -> None:
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w.sub_(LR * w.grad)
            b.sub_(LR * b.grad)
        w.grad = None
        b.grad = None

    def first_grads() -> tuple[float, float]:
        w0 = torch.tensor(W0, dtype=torch.float64, requires_grad=True)
        b0 = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
        ((w0 * x + b0 - y) ** 2).mean().backward()
        return w0.grad.item(), b0.grad.item()

    return step, first_grads


MAKERS = {
    "tinygrad_lr": tinygrad_step,
    "numpy": numpy_step,
    "np-graph": numpy_graph_step,
    "torch": torch_step,
    "torch-1": torch_step,
    "fused": fused_step,
    "floor": floor_step,
}


def repeats_for(n: int) -> int:
    return max(5, min(300, int(2e7 // max(n, 1))))


def worker(framework: str, exps: list[int], repeats: int | None) -> dict:
    """In a fresh process: for every N, check the gradients, warm up, time; return the medians."""
    if framework == "torch-1":
        import torch

        torch.set_num_threads(1)
    out: dict = {"medians": {}, "grads": {}}
    for exp in exps:
        n = 10**exp
        x, y = make_data(n)
        step, first_grads = MAKERS[framework](x, y)
        g, ref = first_grads(), numpy_step(x, y)[1]()
        if not allclose(g, ref, rtol=GRAD_RTOL):
            raise SystemExit(f"N={n}: {framework} computed gradients {g}, numpy by hand {ref}")
        step()  # warm-up
        times = []
        for _ in range(repeats or repeats_for(n)):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
        out["medians"][str(exp)] = statistics.median(times)
        out["grads"][str(exp)] = [float(v) for v in g]
    if framework in TORCH_FRAMEWORKS:
        import torch

        out["threads"] = torch.get_num_threads()
    return out


# --- the parent: rounds of fresh processes, then the table ------------------------------------


def fmt_ms(t: float | None) -> str:
    if t is None:
        return "skipped"
    return f"{t * 1e3:.3f} ms" if t < 0.01 else f"{t * 1e3:.1f} ms"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=7, help="largest N is 10**MAX_EXP (default 7)")
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per framework (default 5)")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per process and N")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # FRAMEWORK EXPS REPEATS
    args = parser.parse_args(argv)
    if args.worker:
        framework, exps, repeats = args.worker
        print(json.dumps(worker(framework, [int(e) for e in exps.split(",")], int(repeats) or None)))
        return 0

    exps = [e for e in (3, 5, 6, 7) if e <= args.max_exp]
    torch_v = version("torch")
    if args.no_torch:
        skipped = "skipped (--no-torch)"
    elif torch_v == "not installed":
        skipped = "skipped (not installed)"
    else:
        skipped = ""
    frameworks = [f for f in FRAMEWORKS if not (skipped and f in TORCH_FRAMEWORKS)]

    per_round: dict[str, dict[int, list[float]]] = {f: {e: [] for e in exps} for f in frameworks}
    grads: dict[str, dict[str, list[float]]] = {}
    threads: dict[str, int] = {}
    for r in range(args.rounds):
        order = frameworks[r % len(frameworks) :] + frameworks[: r % len(frameworks)]
        for f in order:
            worker_args = [f, ",".join(map(str, exps)), str(args.repeats or 0)]
            res = run_worker(Path(__file__).name, worker_args, MALLOC_ENV)
            for e in exps:
                per_round[f][e].append(res["medians"][str(e)])
            grads[f] = res["grads"]
            if "threads" in res:
                threads[f] = res["threads"]
    for e in exps:  # every framework's gradients also agree with each other's, across processes
        ref = grads["numpy"][str(e)]
        for f in frameworks:
            if not allclose(grads[f][str(e)], ref, rtol=GRAD_RTOL):
                raise SystemExit(f"N=10^{e}: {f} gradients {grads[f][str(e)]} != numpy's {ref}")

    torch_note = skipped or f"torch {torch_v}: torch = {threads.get('torch')} threads (default), torch-1 = 1"
    print("# bench_tensor_step: one GD step of y = w*x + b (MSE forward, backward, update), float64")
    print(f"# {machine_line()}")
    print(f"# {torch_note}")
    print(f"# every framework in a fresh process per round, same environment: "
          f"{' '.join(f'{k}={v}' for k, v in MALLOC_ENV.items())}")
    print(f"# {args.rounds} rounds, framework order rotated; table: median over rounds of each process's "
          f"median step; ratios from this run (< 1: tinygrad_lr faster)")
    print(f"# gradients checked before timing: each framework's dL/dw, dL/db = numpy's, rtol {GRAD_RTOL:g}\n")

    med = {f: {e: statistics.median(per_round[f][e]) for e in exps} for f in frameworks}
    cols = ["tinygrad_lr", "numpy", "np-graph", "torch", "torch-1", "fused", "floor"]
    header = ["N", *cols, "tg/numpy", "tg/np-graph", "tg/torch", "tg/torch-1", "fused/floor"]
    rows = []
    for e in exps:
        m = {c: med[c][e] if c in med else None for c in cols}
        tg = m["tinygrad_lr"]
        rows.append([
            f"10^{e}", *(fmt_ms(m[c]) if c in med else skipped.split(" ")[0] for c in cols),
            ratio(tg, m["numpy"]), ratio(tg, m["np-graph"]), ratio(tg, m["torch"]), ratio(tg, m["torch-1"]),
            ratio(m["fused"], m["floor"]),
        ])
    print(table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
