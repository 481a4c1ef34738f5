"""Time one full-batch gradient-descent step of ``y = w*x + b`` with Tensor, numpy and PyTorch.

What it demonstrates: the autodiff ``Tensor`` runs the same chain rule as the hand-written
gradient, at close to numpy speed. One step is

    loss = ((w*x + b - y)**2).mean();  loss.backward();  w -= lr*dL/dw;  b -= lr*dL/db

with ``w``, ``b`` scalar tensors requiring grad and ``x``, ``y`` float64 data of length N. The
peers run the same step:

* numpy, by hand: ``r = w*x + b - y; gw = 2*mean(r*x); gb = 2*mean(r)`` (no loss value);
* PyTorch CPU autograd (float64, same expression), when ``torch`` is importable.

Before timing, every framework's first-step gradients are checked against the hand-written
ones. Each repeat runs every framework once, in turn, so machine noise hits all alike; the
table shows medians and the ratios tinygrad_lr/numpy and tinygrad_lr/torch (< 1: faster).

Run:  .venv/bin/python benchmarks/bench_tensor_step.py            (N = 10^3 .. 10^7)
      .venv/bin/python benchmarks/bench_tensor_step.py --max-exp 6 (skip N = 10^7)
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from tinygrad_lr import Tensor, no_grad

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


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return f"{torch.__version__}, {torch.get_num_threads()} threads"


# --- timing -----------------------------------------------------------------------------------


def repeats_for(n: int) -> int:
    return max(7, min(301, int(3e7 // max(n, 1))))


def bench(n: int, repeats: int | None, with_torch: bool) -> dict[str, float | None]:
    x, y = make_data(n)
    makers = {"tinygrad_lr": tinygrad_step, "numpy": numpy_step}
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=7, help="largest N is 10**MAX_EXP (default 7)")
    parser.add_argument("--repeats", type=int, default=None, help="timed steps per N (default: by N)")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    args = parser.parse_args(argv)

    tv = None if args.no_torch else torch_version()
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, "
        f"torch {tv or 'not installed: skipped'}; {platform.machine()}"
    )
    print("one GD step of y = w*x + b: forward MSE, backward, update; median of repeats\n")
    header = (
        f"{'N':>10} | {'tinygrad_lr':>11} | {'numpy':>11} | {'torch':>11} | {'tg/numpy':>8} | {'tg/torch':>8}"
    )
    print(header)
    print("-" * len(header))
    for exp in (3, 5, 6, 7):
        if exp > args.max_exp:
            continue
        r = bench(10**exp, args.repeats, with_torch=tv is not None)
        tg, npy, th = r["tinygrad_lr"], r["numpy"], r["torch"]
        ratio_np = f"{tg / npy:.2f}" if tg and npy else "-"
        ratio_th = f"{tg / th:.2f}" if tg and th else "skipped"
        print(
            f"{'10^' + str(exp):>10} | {fmt_time(tg):>11} | {fmt_time(npy):>11} | {fmt_time(th):>11} | "
            f"{ratio_np:>8} | {ratio_th:>8}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
