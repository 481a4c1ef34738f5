"""The replay of very long runs: 10^4, 10^5 and 10^6 SGD updates on the 100-point CSV.

What it demonstrates: the page stays under its 15 MB limit however long the run (the page's
budget, docs/replay.md "Long runs"), and what recording and writing such a run costs.

For each size, one fresh process records SGD (one sample per update, in order) on
examples/data/study_hours.csv for size / 100 epochs (MSE loss, lr 0.0001 from w = b = 0, the
Value engine, as ``tinygrad-lr fit ... --optimizer sgd --replay DIR`` does) and writes the replay
folder. Reported: the page's size in bytes (and ``updates.csv``'s), the seconds to record (the
training included) and to write, the peak resident memory of the process (``ru_maxrss``: it
counts everything, Python and numpy included), and what the page keeps: the updates whose
numbers are on it and the updates with full detail (a graph frame).

Each size runs once (the 10^6 run takes minutes): the times are one run's, not medians.

Run:   bash benchmarks/run.sh bench_replay_size.py            (or: python benchmarks/bench_replay_size.py)
       python benchmarks/bench_replay_size.py --sizes 10000   (one size)
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_line, run_worker, table

CSV = ROOT / "examples" / "data" / "study_hours.csv"
LR = 0.0001
LIMIT_BYTES = 15_000_000


def worker(updates: int) -> dict:
    from tinygrad_lr import LinearRegression, load_csv
    from tinygrad_lr.replay import record, write_replay
    from tinygrad_lr.replay.budget import plan_of_page

    data = load_csv(CSV)
    epochs = updates // data.n_samples
    t0 = time.perf_counter()
    rec = record(LinearRegression(), data, "sgd", lr=LR, epochs=epochs, max_updates=updates)
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        page = write_replay(rec, Path(tmp) / "replay")
        t2 = time.perf_counter()
        size = page.stat().st_size
        csv_size = (page.parent / "updates.csv").stat().st_size
        plan = plan_of_page(page)
    assert rec.updates == updates, (rec.updates, updates)
    return {
        "updates": updates,
        "record_s": t1 - t0,
        "write_s": t2 - t1,
        "page_bytes": size,
        "csv_bytes": csv_size,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "kept": plan["kept"],
        "detail": plan["detail"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated update counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(machine_line())
    print(
        f"data: {CSV.relative_to(ROOT)}, SGD in order, MSE, lr {LR}, Value engine; one fresh process per size"
    )
    rows = []
    for n in sizes:
        r = run_worker("bench_replay_size.py", [str(n)])
        assert r["page_bytes"] < LIMIT_BYTES, r
        rows.append(
            [
                f"{n:,}",
                f"{r['page_bytes']:,}",
                f"{r['page_bytes'] / n:.1f}",
                f"{r['csv_bytes']:,}",
                f"{r['record_s']:.1f}",
                f"{r['write_s']:.1f}",
                f"{r['peak_mb']:.0f}",
                f"{r['kept']:,}",
                f"{r['detail']:,}",
            ]
        )
        print(f"  {n:,} updates done", file=sys.stderr, flush=True)
    header = [
        "updates",
        "page bytes",
        "bytes/update",
        "updates.csv bytes",
        "record s",
        "write s",
        "peak MB",
        "updates with numbers",
        "with full detail",
    ]
    print(table(header, rows))
    print(f"(one run per size; the page's limit: {LIMIT_BYTES:,} bytes)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        print(json.dumps(worker(int(sys.argv[2]))))
    else:
        main()
