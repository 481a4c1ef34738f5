"""How long a teacher waits for ``tinygrad-lr check --grade`` on a class of 30 submissions.

A class is generated in a temporary folder: exercise 3 (the data-set gradient) answered right,
with the classic slips (``=`` for ``+=``, the sum for the mean), left as the stub, with a syntax
error, crashing, and looping forever, in the proportions a real class might show. The folder is
graded, one run each, by the baseline -- a fresh Python process per file, two at a time, which
pays for starting Python and importing numpy and the framework (~0.5-1 s) on every file -- and
by ``grade`` with 1, 2 and 4 workers, which import once and fork a process per file. Printed:
wall time, time per file, and the speed-up over the baseline. A looping submission costs its
time limit (here 2 s) either way.

    python benchmarks/bench_grading.py            # 30 submissions
    python benchmarks/bench_grading.py --n 10
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts this checkout first on sys.path

from tinygrad_lr.exercises import stub
from tinygrad_lr.exercises.sandbox import grade, run_file, submissions

RIGHT = """\
def grad_dataset(w, b, xs, ys):
    n = len(xs)
    dw = db = 0.0
    for x, y in zip(xs, ys):
        r = w * x + b - y
        dw += 2 * r * x / n
        db += 2 * r / n
    return dw, db
"""

KINDS = [  # (name, text, how many in 10)
    ("right", RIGHT, 5),
    ("assigned", RIGHT.replace("+=", "="), 1),
    ("summed", RIGHT.replace(" / n", ""), 1),
    ("stub", stub(3), 1),
    ("syntax", RIGHT.replace("):\n    n", ")\n    n", 1), 0.5),
    ("crash", RIGHT.replace("n = len(xs)", "n = len(xs) // 0"), 0.5),
    ("loop", "def grad_dataset(w, b, xs, ys):\n    while True:\n        pass\n", 1),
]


def make_class(folder: Path, n: int) -> None:
    kinds = [k for k in KINDS for _ in range(max(1, round(k[2] * n / 10)))]
    for i in range(n):
        name, text, _ = kinds[i % len(kinds)]
        (folder / f"student{i:02d}_{name}.py").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="submissions (default 30)")
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_class(folder, args.n)
        files = submissions(folder)
        print(f"grading {len(files)} submissions of exercise 3 (time limit {args.time_limit:g} s)")

        def fresh_processes() -> list:
            with ThreadPoolExecutor(max_workers=2) as pool:
                return list(pool.map(lambda f: run_file(f, 3, time_limit=args.time_limit), files))

        runs = [("a process per file, 2 at a time", fresh_processes)]
        for jobs in (1, 2, 4):
            runs.append(
                (
                    f"grade, {jobs} worker(s)",
                    lambda jobs=jobs: grade(files, 3, jobs=jobs, time_limit=args.time_limit),
                )
            )
        base = None
        for name, run in runs:
            start = time.perf_counter()
            results = run()
            seconds = time.perf_counter() - start
            base = base or seconds
            counts = {s: sum(r.status == s for r in results) for s in ("pass", "wrong", "not done", "error")}
            print(
                f"{name:<32} {seconds:6.1f} s  {seconds / len(files):.2f} s/file  "
                f"{base / seconds:5.2f}x  {counts}"
            )


if __name__ == "__main__":
    main()
