"""Compiled steps (``tinygrad_lr.compile``) next to hand-written code, JAX and tinygrad.

What it demonstrates: a training step traced once and run as generated code does the work of
the hand-written step, with no graph built per step. Two workloads:

1. **The tiny problem** (SOURCE of ``bench_tiny.py``): 1000 GD iterations, SSE on x = 1, 2, 3,
   y = 3, 5, 7, lr 0.01, from w = 1, b = 0. Every contestant is a *step function called once
   per iteration* (so JAX's jitted step is called per iteration, as a training loop calls it):
   plain Python and numpy with the gradient written by hand, tinygrad_lr's Value and Tensor
   engines eager and compiled, JAX (float64) jitted and eager, tinygrad 0.14 with ``TinyJit``.
   Each is checked first (first gradients -40, -18; w, b after 1000 iterations), then set up
   and warmed up untimed (one call: the compiled steps trace, JAX and TinyJit compile), then
   1000 iterations are timed; contestants take turns, round after round, in one process.
2. **One GD step at N = 10^7** (MSE, float64, ``y = w*x + b``, the step of
   ``bench_tensor_step.py``): numpy by hand, tinygrad_lr eager and compiled, JAX jit,
   tinygrad TinyJit, and the bandwidth floor (``x`` and ``y`` read once). Every framework in
   a fresh process per round, with ``bench_tensor_step``'s malloc settings; gradients checked
   against numpy's before timing; then the peak extra memory of one step (``tracemalloc``,
   numpy and tinygrad_lr only: JAX and tinygrad allocate outside Python's allocator).

A peer that is not installed is reported as skipped. Ratios are from this one run; medians.

Run:  bash benchmarks/run.sh bench_compile.py [--rounds 15] [--big-rounds 5] [--exp 7]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import close, fmt_time, machine_line, run_worker, table, try_import, version  # noqa: E402
from bench_tensor_step import B0, GRAD_RTOL, LR, MALLOC_ENV, W0, floor_step, make_data, numpy_step  # noqa: E402
from bench_tiny import B_FINAL, GRAD_B0, GRAD_W0, ITERATIONS, RTOL, W_FINAL, XS, YS  # noqa: E402
from bench_tiny import LR as TINY_LR  # noqa: E402

from tinygrad_lr.compare import allclose  # noqa: E402

Step = Callable[[], None]
State = Callable[[], "tuple[float, float, float, float]"]  # w, b, and this step's dL/dw, dL/db

# --- part 1: the tiny problem, one step function per contestant ---------------------------------


def plain_python() -> tuple[Step, State]:
    s = [1.0, 0.0, 0.0, 0.0]

    def step() -> None:
        w, b = s[0], s[1]
        gw = gb = 0.0
        for x, y in zip(XS, YS):
            r = w * x + b - y  # dL_i/df_i = 2r, df_i/dw = x, df_i/db = 1
            gw += 2.0 * r * x
            gb += 2.0 * r
        s[0], s[1], s[2], s[3] = w - TINY_LR * gw, b - TINY_LR * gb, gw, gb

    return step, lambda: (s[0], s[1], s[2], s[3])


def hand_numpy() -> tuple[Step, State]:
    x, y = np.array(XS), np.array(YS)
    s = [1.0, 0.0, 0.0, 0.0]

    def step() -> None:
        r = s[0] * x + s[1] - y
        gw, gb = float(2.0 * (r * x).sum()), float(2.0 * r.sum())
        s[0], s[1], s[2], s[3] = s[0] - TINY_LR * gw, s[1] - TINY_LR * gb, gw, gb

    return step, lambda: (s[0], s[1], s[2], s[3])


def _value_params() -> tuple[Any, Any, Any]:
    from tinygrad_lr import GD, Value

    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    return w, b, GD([w, b], lr=TINY_LR)


def value_eager() -> tuple[Step, State]:
    from tinygrad_lr import sse

    w, b, opt = _value_params()

    def step() -> None:
        opt.zero_grad()
        sse([w * x + b for x in XS], YS).backward()
        opt.step()

    return step, lambda: (w.data, b.data, w.grad, b.grad)


def value_compiled() -> tuple[Step, State]:
    from tinygrad_lr import compile_step, sse

    w, b, opt = _value_params()
    step = compile_step(lambda: sse([w * x + b for x in XS], YS), opt)
    return step, lambda: (w.data, b.data, w.grad, b.grad)


def _tensor_params() -> tuple[Any, Any, Any, Any, Any]:
    from tinygrad_lr import GD, Tensor

    w, b = Tensor(1.0, requires_grad=True, name="w"), Tensor(0.0, requires_grad=True, name="b")
    return w, b, Tensor(XS), Tensor(YS), GD([w, b], lr=TINY_LR)


def _tensor_state(w: Any, b: Any) -> State:
    return lambda: (float(w.data), float(b.data), float(w.grad), float(b.grad))


def tensor_eager() -> tuple[Step, State]:
    w, b, x, y, opt = _tensor_params()

    def step() -> None:
        opt.zero_grad()
        ((w * x + b - y) ** 2).sum().backward()
        opt.step()

    return step, _tensor_state(w, b)


def tensor_compiled() -> tuple[Step, State]:
    from tinygrad_lr import compile_step

    w, b, x, y, opt = _tensor_params()
    step = compile_step(lambda: ((w * x + b - y) ** 2).sum(), opt)
    return step, _tensor_state(w, b)


def _jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_step(jit: bool) -> tuple[Step, State]:
    jax = _jax()
    jnp = jax.numpy
    x, y = jnp.asarray(XS), jnp.asarray(YS)
    grads = jax.grad(lambda w, b: jnp.sum((w * x + b - y) ** 2), argnums=(0, 1))

    def update(w: Any, b: Any) -> Any:
        gw, gb = grads(w, b)
        return w - TINY_LR * gw, b - TINY_LR * gb, gw, gb

    f = jax.jit(update) if jit else update
    s = [jnp.float64(1.0), jnp.float64(0.0), 0.0, 0.0]

    def step() -> None:
        s[0], s[1], s[2], s[3] = f(s[0], s[1])

    return step, lambda: tuple(float(v) for v in s)  # type: ignore[return-value]


def jax_jit() -> tuple[Step, State]:
    return _jax_step(True)


def jax_eager() -> tuple[Step, State]:
    return _jax_step(False)


def _tinyjit_step(x_np: np.ndarray, y_np: np.ndarray, w0: float, b0: float, lr: float, mean: bool) -> Any:
    from tinygrad import Tensor, TinyJit, dtypes

    x, y = Tensor(x_np).realize(), Tensor(y_np).realize()
    w = Tensor([w0], dtype=dtypes.float64).realize()
    b = Tensor([b0], dtype=dtypes.float64).realize()
    gw_out = Tensor([0.0], dtype=dtypes.float64).realize()
    gb_out = Tensor([0.0], dtype=dtypes.float64).realize()

    @TinyJit
    def step() -> None:
        sq = (w * x + b - y) ** 2
        loss = sq.mean() if mean else sq.sum()
        gw, gb = loss.gradient(w, b)
        gw_out.assign(gw)
        gb_out.assign(gb)
        w.assign(w - lr * gw)
        b.assign(b - lr * gb)
        Tensor.realize(w, b, gw_out, gb_out)

    return step, w, b, gw_out, gb_out


def tinygrad_jit() -> tuple[Step, State]:
    step, w, b, gw, gb = _tinyjit_step(np.array(XS), np.array(YS), 1.0, 0.0, TINY_LR, mean=False)
    return step, lambda: (w.item(), b.item(), gw.item(), gb.item())


SLOW = {"JAX eager (float64)": 50}  # timed over this many iterations (about 1 ms each), not 1000
TINY: list[tuple[str, Callable[[], tuple[Step, State]], str | None]] = [
    ("plain Python (hand-written gradient)", plain_python, None),
    ("numpy (hand-written gradient)", hand_numpy, None),
    ("tinygrad_lr Value, eager", value_eager, None),
    ("tinygrad_lr Value, compiled", value_compiled, None),
    ("tinygrad_lr Tensor, eager", tensor_eager, None),
    ("tinygrad_lr Tensor, compiled", tensor_compiled, None),
    ("JAX jit (float64), step per iteration", jax_jit, "jax"),
    ("JAX eager (float64)", jax_eager, "jax"),
    ("tinygrad 0.14 TinyJit (float64)", tinygrad_jit, "tinygrad"),
]


def tiny(rounds: int) -> None:
    print(
        f"## 1. The tiny problem: {ITERATIONS} GD iterations, SSE on 3 points, lr {TINY_LR}, "
        "a step function called per iteration"
    )
    present, skipped = [], []
    for name, make, module in TINY:
        if module is not None and try_import(module) is None:
            skipped.append(name)
            continue
        step, state = make()
        step()
        first = state()
        for _ in range(ITERATIONS - 1):
            step()
        w, b, _, _ = state()
        if not (close(first[2], GRAD_W0, RTOL) and close(first[3], GRAD_B0, RTOL)):
            raise SystemExit(f"{name}: first gradients {first[2:]}, expected {GRAD_W0, GRAD_B0}")
        if not (close(w, W_FINAL, RTOL) and close(b, B_FINAL, RTOL)):
            raise SystemExit(f"{name}: w, b = {w!r}, {b!r} after {ITERATIONS} iterations")
        present.append((name, make))
    print("# every contestant: first gradients (-40, -18) and w, b after 1000 iterations checked\n")
    times: dict[str, list[float]] = {name: [] for name, _ in present}
    for _ in range(rounds):
        for name, make in present:
            step, state = make()
            step()  # warm-up: traces (compiled), compiles (JAX, TinyJit)
            gc.collect()
            count = SLOW.get(name, ITERATIONS)
            t0 = time.perf_counter()
            for _ in range(count):
                step()
            state()  # JAX, tinygrad: wait for the last step's numbers
            times[name].append((time.perf_counter() - t0) * ITERATIONS / count)
    med = {name: statistics.median(ts) for name, ts in times.items()}
    rows = [[name, fmt_time(t), f"{t / ITERATIONS * 1e6:.2f} us"] for name, t in med.items()]
    rows += [[name, "skipped (not installed)", ""] for name in skipped]
    print(
        f"{rounds} rounds, medians (set-up and one warm-up call untimed; "
        f"{', '.join(f'{k}: timed over {v} iterations, times {ITERATIONS // v}' for k, v in SLOW.items())})"
    )
    print(table(["contestant", f"{ITERATIONS} iterations", "per iteration"], rows))
    r = _ratios(
        med,
        [
            (
                "compiled Value / plain Python",
                "tinygrad_lr Value, compiled",
                "plain Python (hand-written gradient)",
                "<= 3",
            ),
            (
                "compiled Tensor / numpy by hand",
                "tinygrad_lr Tensor, compiled",
                "numpy (hand-written gradient)",
                "<= 1.5",
            ),
            (
                "compiled Tensor / JAX jit per step",
                "tinygrad_lr Tensor, compiled",
                "JAX jit (float64), step per iteration",
                "< 1",
            ),
            ("compiled Value / eager Value", "tinygrad_lr Value, compiled", "tinygrad_lr Value, eager", ""),
            (
                "compiled Tensor / eager Tensor",
                "tinygrad_lr Tensor, compiled",
                "tinygrad_lr Tensor, eager",
                "",
            ),
            (
                "compiled Tensor / TinyJit",
                "tinygrad_lr Tensor, compiled",
                "tinygrad 0.14 TinyJit (float64)",
                "",
            ),
        ],
    )
    print("\n" + r)
    traced = {}
    for name, make in (("Value", value_compiled), ("Tensor", tensor_compiled)):
        step, _ = make()
        t0 = time.perf_counter()
        step()
        traced[name] = time.perf_counter() - t0
    print(
        f"\nthe first call of a compiled step (trace twice, write the code, check it against backward(), "
        f"one step): Value {fmt_time(traced['Value'])}, Tensor {fmt_time(traced['Tensor'])}"
    )


def _ratios(med: dict[str, float], specs: list[tuple[str, str, str, str]]) -> str:
    rows = []
    for label, a, b, target in specs:
        if a in med and b in med:
            ratio = med[a] / med[b]
            met = "" if not target else ("yes" if _meets(ratio, target) else "no")
            rows.append([label, f"{ratio:.2f}", target, met])
        else:
            rows.append([label, "skipped", target, ""])
    return table(["ratio (time / time)", "measured", "target", "met"], rows)


def _meets(ratio: float, target: str) -> bool:
    op, value = target.split()
    return ratio <= float(value) if op == "<=" else ratio < float(value)


# --- part 2: one GD step at large N, each framework in fresh processes ----------------------


def tg_eager(x: np.ndarray, y: np.ndarray) -> tuple[Step, Callable[[], tuple[float, float]]]:
    from bench_tensor_step import tinygrad_step

    return tinygrad_step(x, y)


def tg_compiled(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, Callable[[], tuple[float, float]]]:
    from tinygrad_lr import GD, Tensor, compile_step

    def make() -> tuple[Any, Any, Any]:
        w, b = Tensor(W0, requires_grad=True), Tensor(B0, requires_grad=True)
        return w, b, compile_step(lambda x, y: ((w * x + b - y) ** 2).mean(), GD([w, b], lr=LR))

    w, b, step = make()

    def first_grads() -> tuple[float, float]:
        w0, b0, s = make()
        s.forward_backward(x_np, y_np)
        return w0.grad.item(), b0.grad.item()

    return (lambda: step(x_np, y_np)), first_grads


def jax_big(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, Callable[[], tuple[float, float]]]:
    jax = _jax()
    jnp = jax.numpy
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    grads = jax.grad(lambda w, b: jnp.mean((w * x + b - y) ** 2), argnums=(0, 1))

    @jax.jit
    def update(w: Any, b: Any) -> Any:
        gw, gb = grads(w, b)
        return w - LR * gw, b - LR * gb

    s = [jnp.float64(W0), jnp.float64(B0)]

    def step() -> None:
        s[0], s[1] = update(s[0], s[1])
        s[0].block_until_ready()

    def first_grads() -> tuple[float, float]:
        gw, gb = grads(jnp.float64(W0), jnp.float64(B0))
        return float(gw), float(gb)

    return step, first_grads


def tinyjit_big(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, Callable[[], tuple[float, float]]]:
    step, w, _, gw, gb = _tinyjit_step(x_np, y_np, W0, B0, LR, mean=True)
    out: list[tuple[float, float]] = []

    def timed() -> None:
        step()
        w.item()  # wait for the result
        if not out:
            out.append((gw.item(), gb.item()))

    return timed, lambda: out[0] if out else (timed(), out[0])[1]


BIG = {
    "numpy": numpy_step,
    "tinygrad_lr eager": tg_eager,
    "tinygrad_lr compiled": tg_compiled,
    "JAX jit": jax_big,
    "tinygrad TinyJit": tinyjit_big,
    "floor": floor_step,
}
BIG_MODULES = {"JAX jit": "jax", "tinygrad TinyJit": "tinygrad"}


def worker(framework: str, exp: int, repeats: int) -> dict[str, Any]:
    n = 10**exp
    x, y = make_data(n)
    step, first_grads = BIG[framework](x, y)
    if framework == "tinygrad TinyJit":  # its first call compiles; its gradients come from it
        step()
    g, ref = first_grads(), numpy_step(x, y)[1]()
    if not allclose(g, ref, rtol=GRAD_RTOL):
        raise SystemExit(f"{framework}: gradients {g}, numpy by hand {ref}")
    step()
    step()  # warm-up (the compiled step traces on its first call; JAX and TinyJit compile)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    out: dict[str, Any] = {"median": statistics.median(times), "grads": [float(v) for v in g]}
    if framework in ("numpy", "tinygrad_lr eager", "tinygrad_lr compiled"):
        gc.collect()
        tracemalloc.start()
        step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["peak"] = peak
    return out


def big(exp: int, rounds: int, repeats: int) -> None:
    n = 10**exp
    print(f"\n## 2. One GD step at N = 10^{exp} (MSE forward, backward, update), float64")
    print(
        "# every framework in a fresh process per round: "
        + " ".join(f"{k}={v}" for k, v in MALLOC_ENV.items())
    )
    frameworks = [f for f in BIG if f not in BIG_MODULES or try_import(BIG_MODULES[f]) is not None]
    skipped = [f for f in BIG if f not in frameworks]
    per: dict[str, list[float]] = {f: [] for f in frameworks}
    peaks: dict[str, int] = {}
    for r in range(rounds):
        order = frameworks[r % len(frameworks) :] + frameworks[: r % len(frameworks)]
        for f in order:
            res = run_worker(Path(__file__).name, [f, str(exp), str(repeats)], MALLOC_ENV)
            per[f].append(res["median"])
            if "peak" in res:
                peaks[f] = res["peak"]
    print(
        f"# gradients checked against numpy's (rtol {GRAD_RTOL:g}) in every process; {rounds} rounds x "
        f"{repeats} steps, median over rounds of each process's median\n"
    )
    med = {f: statistics.median(ts) for f, ts in per.items()}
    rows = []
    for f in BIG:
        if f in med:
            peak = (
                f"{peaks[f] / 2**20:.1f} MB ({peaks[f] / (8 * n):.2f} arrays of N)" if f in peaks else "n/a"
            )
            rows.append([f, f"{med[f] * 1e3:.1f} ms", f"{med[f] / med['numpy']:.2f}", peak])
        else:
            rows.append([f, "skipped (not installed)", "", ""])
    print(table(["framework", "one step", "/ numpy", "peak extra memory of a step"], rows))
    print(
        "\n"
        + _ratios(
            med,
            [
                ("compiled Tensor / numpy by hand", "tinygrad_lr compiled", "numpy", "<= 1.0"),
                ("compiled Tensor / TinyJit", "tinygrad_lr compiled", "tinygrad TinyJit", "< 1"),
                ("compiled Tensor / JAX jit", "tinygrad_lr compiled", "JAX jit", "< 1"),
                ("eager Tensor / numpy by hand", "tinygrad_lr eager", "numpy", "<= 1.3"),
                ("compiled Tensor / floor", "tinygrad_lr compiled", "floor", ""),
            ],
        )
    )
    if "tinygrad_lr compiled" in peaks:
        arrays = peaks["tinygrad_lr compiled"] / (8 * n)
        print(
            f"\npeak extra memory of a compiled step: {arrays:.2f} arrays of N (target <= 2; its one buffer "
            "of N is allocated once, when the step is traced, and not by a step)"
        )
    if skipped:
        print(f"skipped (not installed): {', '.join(skipped)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds of the tiny problem (default 15)")
    parser.add_argument("--big-rounds", type=int, default=5, help="fresh processes per framework (default 5)")
    parser.add_argument(
        "--repeats", type=int, default=10, help="timed steps per process at large N (default 10)"
    )
    parser.add_argument("--exp", type=int, default=7, help="large N is 10**EXP (default 7)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        framework, exp, repeats = args.worker
        print(json.dumps(worker(framework, int(exp), int(repeats))))
        return 0
    print("# bench_compile: compiled steps next to hand-written code, JAX and tinygrad")
    print(f"# {machine_line()}")
    print(f"# jax {version('jax')}, jaxlib {version('jaxlib')}, tinygrad {version('tinygrad')}\n")
    tiny(args.rounds)
    big(args.exp, args.big_rounds, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
