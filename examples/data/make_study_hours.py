"""Make ``study_hours.csv``: 100 made-up (hours studied, test score) pairs, no header.

The project ships its own data rather than copying the tutorial's: the scores follow a line
``score = 1.3 * hours + 8`` plus Gaussian noise (standard deviation 10), with the hours drawn
uniformly from 25 to 71. A fixed seed makes the file byte-for-byte reproducible::

    python examples/data/make_study_hours.py            # rewrites examples/data/study_hours.csv
    python examples/data/make_study_hours.py --check    # exit 1 if the shipped file differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

SEED = 20261121
N = 100
SLOPE, INTERCEPT, NOISE = 1.3, 8.0, 10.0
HOURS = (25.0, 71.0)
CSV = Path(__file__).with_name("study_hours.csv")


def make_study_hours(seed: int = SEED, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    """``(hours, scores)``, each of shape ``(n,)``, from an explicit seeded generator."""
    rng = np.random.default_rng(seed)
    hours = rng.uniform(*HOURS, size=n)
    scores = INTERCEPT + SLOPE * hours + rng.normal(0.0, NOISE, size=n)
    return hours, scores


def to_csv_text(hours: np.ndarray, scores: np.ndarray) -> str:
    """Two comma-separated columns, four decimals, no header (as the tutorial's ``data.csv``)."""
    return "".join(f"{x:.4f},{y:.4f}\n" for x, y in zip(hours, scores))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, do not write")
    args = parser.parse_args(argv)
    text = to_csv_text(*make_study_hours())
    if args.check:
        same = CSV.read_text() == text
        print(f"{CSV.name}: {'up to date' if same else 'DIFFERS from the generator'}")
        return 0 if same else 1
    CSV.write_text(text)
    print(f"wrote {N} rows to {CSV}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
