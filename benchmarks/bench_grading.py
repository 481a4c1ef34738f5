"""How long a teacher waits for ``tinygrad-lr check --grade`` on a class of 30 submissions.

A class is generated in a temporary folder: exercise 3 (the data-set gradient) answered right,
with the classic slips (``=`` for ``+=``, the sum for the mean), left as the stub, with a syntax
error, crashing, and looping forever, in the proportions a real class might show. The folder is
graded with 1, 2 and 4 worker processes, one run each, and the wall times and the speed-up over
one worker are printed. Each submission costs a Python start-up with numpy and the framework
(most of the time), the check itself (milliseconds), and for a loop the time limit (here 2 s).

    python benchmarks/bench_grading.py            # 30 submissions
    python benchmarks/bench_grading.py --n 10
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: F401 - puts this checkout first on sys.path

from tinygrad_lr.exercises import stub
from tinygrad_lr.exercises.sandbox import grade, submissions

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
        base = None
        for jobs in (1, 2, 4):
            start = time.perf_counter()
            results = grade(files, 3, jobs=jobs, time_limit=args.time_limit)
            seconds = time.perf_counter() - start
            base = base or seconds
            counts = {s: sum(r.status == s for r in results) for s in ("pass", "wrong", "not done", "error")}
            print(
                f"jobs={jobs}: {seconds:6.1f} s  ({seconds / len(files):.2f} s per file, "
                f"{base / seconds:.2f}x of jobs=1)  {counts}"
            )


if __name__ == "__main__":
    main()
