"""The replay of a long run: 1000 gradient-descent epochs on the 100-point study-hours CSV.

What it demonstrates: recording every update costs little next to the training itself, and the
page that replays the whole run (every update's numbers, graph frames for 60 of them) is written
in seconds and stays small. The budget the replay was built to: the page under 15 MB, written
(training, recording and page) in under 30 s on the project's machine.

The contestants, side by side in one process, round after round (medians):

* ``fit`` -- the plain training loop, the baseline;
* ``record`` -- the same loop with the replay's recorder as its callback;
* ``record + write_replay`` -- and the page: 60 graph frames in three phases, laid out by
  Graphviz once, the data, landscape and loss-curve panels, ``updates.csv``.

Both engines; the data is examples/data/study_hours.csv, the MSE loss, lr 0.0002 from w = b = 0
(stable: the bound is 0.000429607). Every run's final parameters must equal plain fit's.

Run:   bash benchmarks/run.sh bench_replay.py       (or: python benchmarks/bench_replay.py)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_line

from tinygrad_lr import LinearRegression, fit, load_csv
from tinygrad_lr.replay import record, write_replay

CSV = ROOT / "examples" / "data" / "study_hours.csv"
EPOCHS, LR = 1000, 0.0002
BUDGET_SECONDS, BUDGET_MB = 30.0, 15.0


def run_fit(engine: str, data) -> tuple[float, list[float]]:
    model = LinearRegression(engine=engine)
    t = time.perf_counter()
    fit(model, data, "gd", lr=LR, epochs=EPOCHS, progress=False)
    return time.perf_counter() - t, model.param_vector().tolist()


def run_record(engine: str, data) -> tuple[float, list[float]]:
    model = LinearRegression(engine=engine)
    t = time.perf_counter()
    rec = record(model, data, "gd", lr=LR, epochs=EPOCHS)
    return time.perf_counter() - t, rec.after[-1].tolist()


def run_page(engine: str, data, folder: Path) -> tuple[float, list[float], int]:
    model = LinearRegression(engine=engine)
    t = time.perf_counter()
    rec = record(model, data, "gd", lr=LR, epochs=EPOCHS)
    page = write_replay(rec, folder)
    seconds = time.perf_counter() - t
    return seconds, rec.after[-1].tolist(), page.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = load_csv(CSV)
    print(machine_line())
    print(f"data: {CSV.relative_to(ROOT)} ({data.n_samples} samples), GD, MSE, lr {LR}, {EPOCHS} epochs")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("value", "tensor"):
            times: dict[str, list[float]] = {"fit": [], "record": [], "page": []}
            size = 0
            for r in range(args.rounds):
                tf, want = run_fit(engine, data)
                tr, got_r = run_record(engine, data)
                tp, got_p, size = run_page(engine, data, Path(tmp) / f"{engine}{r}")
                assert got_r == want and got_p == want, (engine, want, got_r, got_p)
                times["fit"].append(tf)
                times["record"].append(tr)
                times["page"].append(tp)
            med = {k: statistics.median(v) for k, v in times.items()}
            rows.append((engine, med, size))
    print()
    print(f"{'engine':<8}{'fit s':>9}{'record s':>10}{'record/fit':>12}{'+ page s':>10}{'page MB':>9}"
          f"{'s / budget':>12}{'MB / budget':>13}")  # fmt: skip
    for engine, med, size in rows:
        mb = size / 1e6
        print(
            f"{engine:<8}{med['fit']:>9.2f}{med['record']:>10.2f}{med['record'] / med['fit']:>12.2f}"
            f"{med['page']:>10.2f}{mb:>9.2f}{med['page'] / BUDGET_SECONDS:>12.3f}{mb / BUDGET_MB:>13.3f}"
        )
    budget = f"the page written in < {BUDGET_SECONDS:g} s, < {BUDGET_MB:g} MB"
    print(f"(medians of {args.rounds} rounds; budget: {budget})")


if __name__ == "__main__":
    main()
