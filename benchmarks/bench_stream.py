"""Data larger than memory: peak memory and throughput of streaming a CSV, next to numpy's loaders.

What it demonstrates:

1. A generated CSV of about 2 GB (three columns, ~80 million rows, written into a temporary
   folder and deleted afterwards) trained on with ``tinygrad-lr fit --stream``: one epoch of
   full-batch gradient descent (the gradient accumulated chunk by chunk: three passes over the
   file, for the initial loss, the gradient and the final loss).
   Look at "peak RSS": the whole process, interpreter and numpy included, stays under 200 MB
   while the file is ten times that; reading it whole would need about 2 GB for the array alone.
2. Reading speed in rows per second on a ~100 MB slice of the same file, in a fresh process
   each: one pass of ``CSVStream`` (numpy's C parser, a chunk at a time, every cell checked),
   ``np.loadtxt`` and ``np.genfromtxt`` (numpy's own loaders, reading it whole), and
   ``load_csv`` (the in-memory reader with per-cell error messages).

Peak memory is the worker's ``ru_maxrss`` (resident set, peak), so it counts everything.

Run:   bash benchmarks/run.sh bench_stream.py           (about 15 minutes on 2 busy cores)
       benchmarks/.env/bin/python benchmarks/bench_stream.py --gb 0.2   (a quicker look)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time

from _common import machine_line, run_worker, table

SLICE_MB = 40
PEAK_LIMIT_MB = 200  # issue 12's bound for streaming a 2 GB file


def generate(path: str, target_bytes: int) -> int:
    """Write y = 3 x1 - 2 x2 + 4 + noise, rows of three numbers, until ``target_bytes``; return rows."""
    import numpy as np

    rng = np.random.default_rng(0)
    block_rows = 100_000
    x = rng.random((block_rows, 2)) * 2.0
    y = 4.0 + x @ np.array([3.0, -2.0]) + 0.1 * rng.standard_normal(block_rows)
    text = "\n".join(f"{a:.6f},{b:.6f},{c:.6f}" for a, b, c in zip(x[:, 0], x[:, 1], y)) + "\n"
    data = text.encode()
    rows = 0
    with open(path, "wb") as fh:
        fh.write(b"x1,x2,y\n")
        written = 8
        while written + len(data) <= target_bytes:
            fh.write(data)  # the same block again: the numbers do not matter for speed or memory
            written += len(data)
            rows += block_rows
    return rows


def slice_file(src: str, dst: str, mb: int) -> int:
    with open(src, "rb") as fh:
        head = fh.read(mb * 2**20)
    head = head[: head.rfind(b"\n") + 1]
    with open(dst, "wb") as out:
        out.write(head)
    return head.count(b"\n") - 1


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent across fork and exec), in MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def worker(kind: str, path: str, extra: list[str]) -> dict:
    import numpy as np

    t0 = time.perf_counter()
    if kind == "fit":  # the command line, in this process: its JSON and this process's peak
        import contextlib
        import io

        from tinygrad_lr.cli import main as cli

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = cli(["fit", path, "--stream", "--engine", "tensor", "--json", *extra])
        if code != 0:
            raise SystemExit(code)
        return {"out": json.loads(buf.getvalue()), "seconds": time.perf_counter() - t0, "peak_mb": peak_mb()}
    if kind == "CSVStream":
        from tinygrad_lr.data import CSVStream

        rows = sum(len(y) for _, y in CSVStream(path).chunks())
    elif kind == "np.loadtxt":
        rows = len(np.loadtxt(path, delimiter=",", skiprows=1))
    elif kind == "np.genfromtxt":
        rows = len(np.genfromtxt(path, delimiter=",", skip_header=1))
    elif kind == "load_csv":
        from tinygrad_lr import load_csv

        rows = load_csv(path, max_bytes=2**31).n_samples
    else:
        raise ValueError(kind)
    return {"rows": rows, "seconds": time.perf_counter() - t0, "peak_mb": peak_mb()}


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:  # KIND PATH [fit options], from run_worker
        kind, path, *extra = sys.argv[2:]
        print(json.dumps(worker(kind, path, extra)))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0, help="size of the generated file (default 2)")
    args = parser.parse_args()

    print(machine_line())
    tmp = tempfile.mkdtemp(prefix="bench_stream_")
    try:
        big = os.path.join(tmp, "big.csv")
        t0 = time.perf_counter()
        rows = generate(big, int(args.gb * 2**30))
        size = os.path.getsize(big)
        print(f"generated {big}: {size / 2**30:.2f} GB, {rows:,} rows, in {time.perf_counter() - t0:.0f} s\n")

        runs = [
            ("GD, 1 epoch (3 passes)", ["--optimizer", "gd", "--lr", "0.1", "--epochs", "1"], 3),
        ]
        result_rows = []
        for name, extra, passes in runs:
            r = run_worker("bench_stream.py", ["fit", big, *extra])
            out = r["out"]
            w = ", ".join(f"{v:.4f}" for v in out["w"])
            result_rows.append(
                [
                    name,
                    f"{r['seconds']:.0f} s",
                    f"{passes * rows / r['seconds'] / 1e6:.2f} M",
                    f"{r['peak_mb']:.0f} MB",
                    "yes" if r["peak_mb"] < PEAK_LIMIT_MB else "NO",
                    f"w = [{w}], b = {out['b']:.4f}",
                ]
            )
        print(f"fit --stream on the {size / 2**30:.2f} GB file (engine tensor, chunks of 65536 rows)")
        print(
            table(
                ["run", "time", "rows/s (all passes)", "peak RSS", f"< {PEAK_LIMIT_MB} MB", "result"],
                result_rows,
            )
        )

        small = os.path.join(tmp, "slice.csv")
        n = slice_file(big, small, SLICE_MB)
        print(f"\nreading a {SLICE_MB} MB slice ({n:,} rows), each in a fresh process")
        read_rows = []
        base = None
        for kind in ("CSVStream", "np.loadtxt", "np.genfromtxt", "load_csv"):
            r = run_worker("bench_stream.py", [kind, small])
            assert r["rows"] == n, (kind, r["rows"], n)
            speed = n / r["seconds"]
            base = base or speed
            read_rows.append(
                [
                    kind,
                    f"{r['seconds']:.2f} s",
                    f"{speed / 1e6:.2f} M",
                    f"{speed / base:.2f}x",
                    f"{r['peak_mb']:.0f} MB",
                ]
            )
        print(table(["reader", "time", "rows/s", "vs CSVStream", "peak RSS"], read_rows))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"\n(removed {tmp})")


if __name__ == "__main__":
    main()
