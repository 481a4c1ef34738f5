"""Time one full-batch gradient-descent step of ``y = w*x + b`` with Tensor, numpy and PyTorch.

What it demonstrates: the autodiff ``Tensor`` runs the same chain rule as the hand-written
gradient, at close to numpy speed. One step is

    loss = ((w*x + b - y)**2).mean();  loss.backward();  w -= lr*dL/dw;  b -= lr*dL/db

with ``w``, ``b`` scalar tensors requiring grad and ``x``, ``y`` float64 data of length N. The
peers run the same step:

* numpy, by hand: ``r = w*x + b - y; gw = 2*mean(r*x); gb = 2*mean(r)`` (no loss value);
* PyTorch CPU autograd (float64, same expression), when ``torch`` is importable;
* "np-graph": numpy computing exactly the arrays an autodiff graph keeps alive (the four
  intermediates ``w*x``, ``+b``, ``-y``, ``**2`` and one gradient array). The hand-written step
  allocates only two arrays (numpy reuses its temporaries in place); a framework that keeps its
  intermediates, as tinygrad_lr and torch do, cannot beat this column, and at large N fresh
  memory (page faults, zeroing by the kernel) is a large part of its cost.

Before timing, every framework's first-step gradients are checked against the hand-written
ones. Each repeat runs every framework once, in turn, so machine noise hits all alike; the
table shows medians and the ratios tinygrad_lr/numpy and tinygrad_lr/torch (< 1: faster).

Run:  .venv/bin/python benchmarks/bench_tensor_step.py            (N = 10^3 .. 10^7)
      .venv/bin/python benchmarks/bench_tensor_step.py --max-exp 6 (skip N = 10^7)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # measure this working tree's tinygrad_lr, whatever the interpreter
    sys.path.insert(0, str(ROOT))

from tinygrad_lr import Tensor, no_grad  # noqa: E402

W0, B0, LR = 0.5, -0.25, 0.1
GRAD_RTOL = 1e-9  # float64 sums in a different order agree to ~1e-15 relative; 1e-9 is generous


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    y = 3.0 * x + 2.0 + rng.normal(0.0, 0.1, n)
    return x, y


# --- the three implementations of one step: each returns a step function and a gradient probe --


def tinygrad_step(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Callable[[], None], Callable[[], tuple]]:
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


def numpy_step(x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], None], Callable[[], tuple]]:
    params = [W0, B0]

    def grads(w: float, b: float) -> tuple[float, float]:
        r = w * x + b - y
        return 2.0 * np.mean(r * x), 2.0 * np.mean(r)

    def step() -> None:
        gw, gb = grads(params[0], params[1])
        params[0] -= LR * gw
        params[1] -= LR * gb

    return step, lambda: grads(W0, B0)


def numpy_graph_step(x: np.ndarray, y: np.ndarray) -> tuple[Callable[[], None], Callable[[], tuple]]:
    params = [W0, B0]

    def grads(w: float, b: float) -> tuple[float, float]:
        t1 = w * x  # the forward intermediates the graph keeps, each a fresh array
        t2 = t1 + b
        t3 = t2 - y
        t4 = t3 * t3
        _ = t4.mean()
        g3 = t3 * (2.0 / x.size)  # dL/dt3, the one gradient array
        return float(np.einsum("i,i->", g3, x)), float(g3.sum())

    def step() -> None:
        gw, gb = grads(params[0], params[1])
        params[0] -= LR * gw
        params[1] -= LR * gb

    return step, lambda: grads(W0, B0)


def torch_step(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Callable[[], None], Callable[[], tuple]]:
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


def torch_version(threads: int | None) -> str | None:
    try:
        import torch
    except ImportError:
        return None
    if threads:
        torch.set_num_threads(threads)
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


# --- timing -----------------------------------------------------------------------------------


def repeats_for(n: int) -> int:
    return max(9, min(301, int(3e7 // max(n, 1))))


def bench(n: int, repeats: int | None, with_torch: bool) -> dict[str, float | None]:
    x, y = make_data(n)
    makers = {"tinygrad_lr": tinygrad_step, "numpy": numpy_step, "np-graph": numpy_graph_step}
    if with_torch:
        makers["torch"] = torch_step
    steps, reference = {}, None
    for name, make in makers.items():
        step, first_grads = make(x, y)
        g = first_grads()
        if reference is None:
            reference = numpy_step(x, y)[1]()
        if not np.allclose(g, reference, rtol=GRAD_RTOL, atol=0.0):
            raise SystemExit(f"N={n}: {name} computed gradients {g}, numpy by hand {reference}")
        step()  # warm-up
        steps[name] = step
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats or repeats_for(n)):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
    result: dict[str, float | None] = {name: statistics.median(ts) for name, ts in times.items()}
    result.setdefault("torch", None)
    return result


def fmt_time(t: float | None) -> str:
    if t is None:
        return "skipped"
    return f"{t * 1e3:.3f} ms" if t < 1.0 else f"{t:.3f} s"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "skipped"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=7, help="largest N is 10**MAX_EXP (default 7)")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per N (default: by N)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    args = parser.parse_args(argv)

    tv = None if args.no_torch else torch_version(args.torch_threads)
    torch_note = tv or ("skipped (--no-torch)" if args.no_torch else "skipped (not installed)")
    print(f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch_note}")
    print(f"{cpu_model()}, {os.cpu_count()} cores")
    print("one GD step of y = w*x + b: forward MSE, backward, update; median of repeats\n")
    cols = ["tinygrad_lr", "numpy", "np-graph", "torch"]
    header = f"{'N':>6} | " + " | ".join(f"{c:>11}" for c in cols)
    header += f" | {'tg/numpy':>8} | {'tg/np-graph':>11} | {'tg/torch':>8}"
    print(header)
    print("-" * len(header))
    for exp in (3, 5, 6, 7):
        if exp > args.max_exp:
            continue
        r = bench(10**exp, args.repeats, with_torch=tv is not None)
        tg = r["tinygrad_lr"]
        line = f"{'10^' + str(exp):>6} | " + " | ".join(f"{fmt_time(r[c]):>11}" for c in cols)
        line += f" | {ratio(tg, r['numpy']):>8} | {ratio(tg, r['np-graph']):>11} | {ratio(tg, r['torch']):>8}"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
