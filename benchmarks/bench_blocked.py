"""The blocked compiled step (``compile_step(..., mode="blocked")``) against the memory floor.

What it demonstrates: a GD step of ``y = w*x + b`` (MSE, float64) that reads ``x`` and ``y`` from
memory once, in cache-sized blocks on two threads, is within a small factor of the time it takes
just to read them, while numpy by hand (and every framework that runs one operation over the
whole data at a time) streams the arrays through memory several times. In one run:

1. **Block size**: the blocked step at N = 10^7 for blocks of 4096 .. 65536 rows (the block's
   arrays against this machine's 1 MB L2 per core and 32 MB L3), the default marked.
2. **Scaling, N = 10^3 .. 10^8** (10^8 from a memory-mapped ``.npy`` in a temporary folder):
   numpy by hand (``r = w*x + b - y``, the gradient from ``r``), numpy in place (one buffer of N,
   ``out=``), the exact compiled step (the default, the eager engine's bits), the blocked compiled
   step, JAX jit and tinygrad TinyJit where installed, and **the floor**: ``np.dot(x, y)`` with
   numpy's default threads, every entry of ``x`` and ``y`` read once and nothing written (the
   fastest read of the data this machine does). Every N in a fresh process; the contestants take
   turns, round after round; the gradients are checked against numpy's before timing.
3. **The tiny step** (the 3-point problem, 1000 steps): numpy by hand, the compiled Tensor step,
   and ``fit(compile=True)`` per epoch (one step an epoch): what fit adds around the step.

Times are medians of wall-clock time; the CPU time of the process (``time.process_time``, both
threads together) is shown beside it, since the machine may be shared: a wall time far above the
CPU time means the process waited for a core. The peak extra memory of a blocked step is its
buffers (a few blocks), whatever N.

Run:  .venv/bin/python benchmarks/bench_blocked.py [--max-exp 8] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_time, machine_line, run_worker, table, try_import, version  # noqa: E402

from tinygrad_lr.compare import allclose  # noqa: E402

W0, B0, LR = 0.5, -0.25, 0.1
GRAD_RTOL = 1e-9  # float64 sums in another order agree to ~1e-15; a wrong gradient is far off
BLOCKS = (4096, 8192, 16384, 32768, 65536)
Step = Callable[[], Any]


def make_data(n: int, folder: str | None) -> tuple[np.ndarray, np.ndarray]:
    """x uniform in [0, 1), y = 3x + 2 + noise; in memory-mapped .npy files under ``folder`` if given."""
    rng = np.random.default_rng(0)
    if folder is None:
        x = rng.uniform(0.0, 1.0, n)
        return x, 3.0 * x + 2.0 + rng.normal(0.0, 0.1, n)
    xs = np.lib.format.open_memmap(f"{folder}/x.npy", mode="w+", dtype=np.float64, shape=(n,))
    ys = np.lib.format.open_memmap(f"{folder}/y.npy", mode="w+", dtype=np.float64, shape=(n,))
    chunk = 10**7
    for a in range(0, n, chunk):  # written in chunks: never two arrays of N in memory
        x = rng.uniform(0.0, 1.0, min(chunk, n - a))
        xs[a : a + x.size], ys[a : a + x.size] = x, 3.0 * x + 2.0 + rng.normal(0.0, 0.1, x.size)
    xs.flush(), ys.flush()
    del xs, ys
    return np.load(f"{folder}/x.npy", mmap_mode="r"), np.load(f"{folder}/y.npy", mmap_mode="r")


# --- the contestants: each returns a step and the first step's gradients ---------------------


def by_hand(x: np.ndarray, y: np.ndarray) -> tuple[Step, tuple[float, float]]:
    s = [W0, B0]

    def grads(w: float, b: float) -> tuple[float, float]:
        r = w * x + b - y
        return float(2.0 * np.mean(r * x)), float(2.0 * np.mean(r))

    def step() -> None:
        gw, gb = grads(s[0], s[1])
        s[0], s[1] = s[0] - LR * gw, s[1] - LR * gb

    return step, grads(W0, B0)


def in_place(x: np.ndarray, y: np.ndarray) -> tuple[Step, tuple[float, float]]:
    s, r, n = [W0, B0], np.empty(x.shape), x.size

    def grads(w: float, b: float) -> tuple[float, float]:
        np.multiply(x, w, out=r)
        np.add(r, b, out=r)
        np.subtract(r, y, out=r)
        return 2.0 * float(np.dot(r, x)) / n, 2.0 * float(r.sum()) / n

    def step() -> None:
        gw, gb = grads(s[0], s[1])
        s[0], s[1] = s[0] - LR * gw, s[1] - LR * gb

    return step, grads(W0, B0)


def compiled(mode: str, block_rows: int | None = None) -> Callable[..., tuple[Step, tuple[float, float]]]:
    def make(x: np.ndarray, y: np.ndarray) -> tuple[Step, tuple[float, float]]:
        from tinygrad_lr import GD, Tensor, compile_step

        w, b = Tensor(W0, requires_grad=True, name="w"), Tensor(B0, requires_grad=True, name="b")
        fn = lambda x, y: ((w * x + b - y) ** 2).mean()  # noqa: E731
        step = compile_step(fn, GD([w, b], lr=LR), mode=mode, block_rows=block_rows)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a blocked step that is not blocked is a failure here
            step.forward_backward(x, y)
        first = (w.grad.item(), b.grad.item())
        return (lambda: step(x, y)), first

    return make


def jax_jit(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, tuple[float, float]]:
    import jax

    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)
    grads = jax.grad(lambda w, b: jnp.mean((w * x + b - y) ** 2), argnums=(0, 1))
    update = jax.jit(lambda w, b: tuple(p - LR * g for p, g in zip((w, b), grads(w, b))))
    s = [jnp.float64(W0), jnp.float64(B0)]

    def step() -> None:
        s[0], s[1] = update(s[0], s[1])
        s[0].block_until_ready()

    gw, gb = grads(jnp.float64(W0), jnp.float64(B0))
    return step, (float(gw), float(gb))


def tinyjit(x_np: np.ndarray, y_np: np.ndarray) -> tuple[Step, tuple[float, float]]:
    from bench_compile import _tinyjit_step

    step, w, _, gw, gb = _tinyjit_step(
        np.ascontiguousarray(x_np), np.ascontiguousarray(y_np), W0, B0, LR, True
    )
    step()
    first = (gw.item(), gb.item())

    def timed() -> None:
        step()
        w.item()

    return timed, first


def floor(x: np.ndarray, y: np.ndarray) -> tuple[Step, tuple[float, float]]:
    return (lambda: np.dot(x, y)), by_hand(x, y)[1]  # not a step: its "gradients" are numpy's


CONTESTANTS: dict[str, tuple[Callable[..., tuple[Step, tuple[float, float]]], str | None]] = {
    "numpy by hand": (by_hand, None),
    "numpy in place": (in_place, None),
    "compiled exact": (compiled("exact"), None),
    "compiled blocked": (compiled("blocked"), None),
    "JAX jit": (jax_jit, "jax"),
    "TinyJit": (tinyjit, "tinygrad"),
    "floor: np.dot(x, y)": (floor, None),
}


# at N = 10^8 (1.6 GB of data, on a shared machine) these would hold several more copies of it
TOO_BIG_AT_8 = {
    "compiled exact": "its first call traces the eager graph of all the data: ~12 arrays of N, 10 GB",
    "JAX jit": "copies the data into its own buffers, then its temporaries",
    "TinyJit": "copies the data into its own buffers",
}


def repeats_for(n: int) -> int:
    return max(3, min(200, int(3e7 // n)))


def timed(step: Step, repeats: int) -> tuple[float, float]:
    step()  # warm-up
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def worker(exp: int, rounds: int, names: list[str]) -> dict[str, Any]:
    """In a fresh process: the contestants at N = 10^exp, round after round; medians."""
    n = 10**exp
    with tempfile.TemporaryDirectory() as folder:
        x, y = make_data(n, folder if exp >= 8 else None)
        steps, out = {}, {"wall": {}, "cpu": {}, "skipped": {}}
        ref = by_hand(x, y)[1]
        for name in names:
            make, module = CONTESTANTS[name]
            if exp >= 8 and name in TOO_BIG_AT_8:
                out["skipped"][name] = TOO_BIG_AT_8[name]
                continue
            try:
                steps[name], g = make(x, y)
            except Exception as e:  # noqa: BLE001 - a peer that does not run here is reported as skipped
                if module is None:
                    raise
                out["skipped"][name] = f"{type(e).__name__}: {str(e)[:80]}"
                continue
            if not allclose(g, ref, rtol=GRAD_RTOL):
                raise SystemExit(f"N=10^{exp}: {name} computed gradients {g}, numpy by hand {ref}")
        per: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
        for _ in range(rounds):
            for name, step in steps.items():
                per[name].append(timed(step, repeats_for(n)))
        for name, ts in per.items():
            out["wall"][name] = statistics.median(t[0] for t in ts)
            out["cpu"][name] = statistics.median(t[1] for t in ts)
        if exp == 7:
            for name in ("compiled exact", "compiled blocked", "numpy by hand"):
                tracemalloc.start()
                steps[name]()
                out.setdefault("peak", {})[name] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
        del steps, x, y
    return out


def worker_blocks(exp: int, rounds: int) -> dict[str, Any]:
    """In a fresh process: the blocked step at N = 10^exp for every block size."""
    x, y = make_data(10**exp, None)
    steps = {str(b): compiled("blocked", b)(x, y)[0] for b in BLOCKS}
    per: dict[str, list[tuple[float, float]]] = {b: [] for b in steps}
    for _ in range(rounds):
        for b, step in steps.items():
            per[b].append(timed(step, repeats_for(10**exp)))
    return {
        b: [statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)] for b, ts in per.items()
    }


def tiny(rounds: int) -> list[list[str]]:
    """The 3-point problem, 1000 steps: numpy by hand, the compiled Tensor step, fit(compile=True).

    Timed by this thread's CPU clock: on a shared machine, wall time counts other processes' turns."""
    clock = time.thread_time
    from bench_tiny import ITERATIONS, XS, YS
    from bench_tiny import LR as TINY_LR

    from tinygrad_lr import GD, LinearRegression, Tensor, compile_step, fit

    def numpy_run() -> None:
        x, y, w, b = np.array(XS), np.array(YS), 1.0, 0.0
        for _ in range(ITERATIONS):
            r = w * x + b - y
            gw, gb = float(2.0 * (r * x).sum()), float(2.0 * r.sum())
            w, b = w - TINY_LR * gw, b - TINY_LR * gb

    def step_run() -> None:
        w, b = Tensor(1.0, requires_grad=True), Tensor(0.0, requires_grad=True)
        x, y = np.array(XS), np.array(YS)
        step = compile_step(lambda x, y: ((w * x + b - y) ** 2).sum(), GD([w, b], lr=TINY_LR))
        step(x, y)  # traces (untimed in spirit: one call of 1000; see the note)
        t0 = clock()
        for _ in range(ITERATIONS - 1):
            step(x, y)
        times["compiled Tensor step"].append((clock() - t0) * ITERATIONS / (ITERATIONS - 1))

    def fit_run() -> None:
        from tinygrad_lr.compile import CompiledStep

        m = LinearRegression(w=1.0, b=0.0, engine="tensor")
        fit(m, (XS, YS), "gd", lr=TINY_LR, loss="sse", epochs=2, compile=True)  # warm the imports
        inside = [0.0]  # time spent in the compiled step's own calls, by fit
        fb, up = CompiledStep.forward_backward, CompiledStep.update

        def timed_fb(self: Any, *inputs: Any) -> float:
            t = clock()
            try:
                return fb(self, *inputs)
            finally:
                inside[0] += clock() - t

        def timed_up(self: Any) -> None:
            t = clock()
            up(self)
            inside[0] += clock() - t

        m = LinearRegression(w=1.0, b=0.0, engine="tensor")
        CompiledStep.forward_backward, CompiledStep.update = timed_fb, timed_up  # type: ignore[method-assign]
        try:
            t0 = clock()
            fit(m, (XS, YS), "gd", lr=TINY_LR, loss="sse", epochs=ITERATIONS, compile=True)
            total = clock() - t0
        finally:
            CompiledStep.forward_backward, CompiledStep.update = fb, up  # type: ignore[method-assign]
        times["fit(compile=True), per epoch"].append(total)
        times["  of which fit's compiled step"].append(inside[0])
        times["  of which fit's own bookkeeping"].append(total - inside[0])

    times: dict[str, list[float]] = {
        "numpy by hand": [],
        "compiled Tensor step": [],
        "fit(compile=True), per epoch": [],
        "  of which fit's compiled step": [],
        "  of which fit's own bookkeeping": [],
    }
    for _ in range(rounds):
        t0 = clock()
        numpy_run()
        times["numpy by hand"].append(clock() - t0)
        step_run()
        fit_run()
    med = {k: statistics.median(v) for k, v in times.items()}
    base = med["numpy by hand"]
    return [[k, fmt_time(v), f"{v / ITERATIONS * 1e6:.2f} us", f"{v / base:.2f}"] for k, v in med.items()]


def ms(t: float | None) -> str:
    return "skipped" if t is None else (f"{t * 1e3:.3f} ms" if t < 0.01 else f"{t * 1e3:.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=8, help="largest N is 10**MAX_EXP (default 8)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of turns (default 5)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)  # WHAT EXP ROUNDS
    args = parser.parse_args(argv)
    if args.worker:
        what, exp, rounds = args.worker
        if what == "blocks":
            print(json.dumps(worker_blocks(int(exp), int(rounds))))
        else:
            names = [n for n, (_, module) in CONTESTANTS.items() if module is None or try_import(module)]
            print(json.dumps(worker(int(exp), int(rounds), names)))
        return 0
    print("# bench_blocked: a GD step of y = w*x + b (MSE, float64) against the memory floor")
    print(f"# {machine_line()}")
    print(f"# jax {version('jax')}, tinygrad {version('tinygrad')}; medians, wall-clock (CPU of the process)")
    from tinygrad_lr.compile.blocked import BLOCK_ROWS, THREADS

    print(f"\n## 1. Block size (N = 10^7, {THREADS} threads; default {BLOCK_ROWS} rows)")
    res = run_worker(Path(__file__).name, ["blocks", "7", str(args.rounds)])
    rows = [[f"{b}{' (default)' if int(b) == BLOCK_ROWS else ''}", f"{3 * 8 * int(b) // 1024} KB",
             ms(w), ms(c)] for b, (w, c) in res.items()]  # fmt: skip
    print(table(["rows a block", "x, y, residual of a block", "step", "CPU"], rows))

    print(f"\n## 2. One step, N = 10^3 .. 10^{args.max_exp} (10^8: x and y memory-mapped .npy files)")
    exps = list(range(3, args.max_exp + 1))
    results = {e: run_worker(Path(__file__).name, ["n", str(e), str(args.rounds)]) for e in exps}
    names = list(CONTESTANTS)
    rows = []
    for e in exps:
        r = results[e]
        rows.append([f"10^{e}", *[f"{ms(r['wall'].get(k))} ({ms(r['cpu'].get(k))})" for k in names]])
    print(table(["N", *names], rows))
    ratio_rows = []
    for e in exps:
        wall = results[e]["wall"]
        fl, blk = wall["floor: np.dot(x, y)"], wall["compiled blocked"]

        def over(name: str, wall: dict[str, float] = wall, blk: float = blk) -> str:
            return f"{wall[name] / blk:.2f}" if name in wall else "skipped"

        cpu = results[e]["cpu"]
        ratio_rows.append(
            [
                f"10^{e}",
                f"{blk / fl:.2f}",
                f"{cpu['compiled blocked'] / cpu['floor: np.dot(x, y)']:.2f}",
                over("numpy by hand"),
                over("compiled exact"),
                f"{16 * 10**e / fl / 1e9:.1f} GB/s",
            ]
        )
    header = [
        "N",
        "blocked / floor",
        "(by CPU)",
        "numpy by hand / blocked",
        "exact / blocked",
        "floor's read rate",
    ]
    print("\n" + table(header, ratio_rows))
    skipped = {f"{k} at 10^{e}": v for e in exps for k, v in results[e]["skipped"].items()}
    missing = [k for k, (_, m) in CONTESTANTS.items() if m and not try_import(m)]
    for k in missing:
        print(f"skipped: {k} (not installed)")
    for k, v in skipped.items():
        print(f"skipped: {k} ({v})")
    if 7 in results and "peak" in results[7]:
        peaks = results[7]["peak"]
        print(
            "peak extra memory of one step at N = 10^7: "
            + ", ".join(f"{k} {v / 2**20:.1f} MB" for k, v in peaks.items())
        )

    print("\n## 3. The tiny step: the 3-point problem, 1000 GD steps (SSE, lr 0.01), CPU time of the thread")
    print(table(["", "1000 steps", "per step", "/ numpy"], tiny(max(args.rounds, 5))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
