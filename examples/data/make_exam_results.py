"""Make ``exam_results.csv``: 100 made-up students, hours studied and slept, and whether they passed.

The project's own classification data, made by its own generator,
:func:`tinygrad_lr.data.make_logistic_data`: the hours studied are uniform in [0, 10), the hours
slept in [4, 10), and each student passed (1) with the probability
``sigmoid(-12 + 1.2 * studied + 0.9 * slept)``, else failed (0). The classes overlap, so logistic
regression has a minimum. A fixed seed makes the file byte-for-byte reproducible::

    python examples/data/make_exam_results.py            # rewrites examples/data/exam_results.csv
    python examples/data/make_exam_results.py --check    # exit 1 if the shipped file differs
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_lr.data import make_logistic_data

SEED = 20260601
N = 100
W, B = (1.2, 0.9), -12.0
LOW, HIGH = (0.0, 4.0), (10.0, 10.0)
CSV = Path(__file__).with_name("exam_results.csv")


def make_exam_results(seed: int = SEED, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """``(X, passed)``: ``X`` of shape ``(n, 2)`` (hours studied, hours slept, to two decimals)
    and ``passed`` of shape ``(n,)``, 0 or 1."""
    d = make_logistic_data(n, w=W, b=B, low=LOW, high=HIGH, rng=seed)
    return np.round(d.X, 2), d.y


def to_csv_text(X: np.ndarray, passed: np.ndarray) -> str:
    """A header, then two decimals per hour column and the class 0 or 1."""
    rows = "".join(f"{a:.2f},{s:.2f},{int(p)}\n" for (a, s), p in zip(X, passed))
    return "hours_studied,hours_slept,passed\n" + rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, do not write")
    args = parser.parse_args(argv)
    text = to_csv_text(*make_exam_results())
    if args.check:
        same = CSV.read_text() == text
        print(f"{CSV.name}: {'up to date' if same else 'DIFFERS from the generator'}")
        return 0 if same else 1
    CSV.write_text(text)
    print(f"wrote {N} rows to {CSV}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
