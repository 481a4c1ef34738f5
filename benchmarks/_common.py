"""Helpers shared by the benchmark scripts: the environment line, peers, workers and tables.

Not a benchmark itself. Every script imports it with ``from _common import ...`` (the scripts
are run as files, so ``benchmarks/`` is on ``sys.path``), and it puts the repository root
first on ``sys.path``, so the benchmarks always measure this working tree's ``tinygrad_lr``.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def try_import(name: str) -> Any | None:
    """The module, or ``None`` if this environment does not have it (the peer is "skipped")."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def version(name: str) -> str:
    """The installed version of a distribution, or "not installed"."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_line() -> str:
    """One line saying what the numbers were measured on."""
    import numpy as np

    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return (
        f"{platform.python_implementation()} {platform.python_version()}, numpy {np.__version__}, "
        f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}"
    )


def run_worker(script: str, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``script --worker ARGS`` in a fresh interpreter and return the JSON it prints last."""
    cmd = [sys.executable, str(Path(__file__).parent / script), "--worker", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if proc.returncode != 0:
        raise RuntimeError(f"worker {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt_time(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table (it reads fine in a terminal, and pastes into docs/performance.md)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(header), "| " + " | ".join("-" * w for w in widths) + " |", *map(line, rows)])


def close(a: float, b: float, rtol: float) -> bool:
    """``a`` and ``b`` agree to ``rtol``, by the project's one comparison (never for NaN or inf)."""
    from tinygrad_lr.compare import isclose

    return bool(isclose(a, b, rtol=rtol))
