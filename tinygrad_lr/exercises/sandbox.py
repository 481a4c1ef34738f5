"""Checking a learner's FILE in a separate process with a time and a memory limit, and grading a
folder of such files.

The learner's code never runs in the checker's process: :func:`run_file` starts
``python -m tinygrad_lr.exercises._child``, which imports the framework, then caps its own address
space (``RLIMIT_AS``: what it uses already plus ``memory_limit`` MB), the size of any file it writes,
and its CPU time, loads the learner's file and runs the checker under a timer. The child writes
its :class:`~tinygrad_lr.exercises.base.Result` as JSON; if it dies instead (killed, out of memory,
a loop that ignores the timer) the parent's own timeout and the exit status say what happened.
So an endless loop or a crash is a result ("your function did not return within 5 s"), never a
hang. :func:`grade` runs many files, two at a time by default; one broken file never stops the rest.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import json
import os
import queue
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._files import atomic_file
from . import EXERCISES, exercise_of_source, get
from .base import DEFAULT_TIME_LIMIT, Result, memory_text, timeout_text

__all__ = ["run_file", "grade", "write_table", "DEFAULT_MEMORY_LIMIT", "STARTUP_GRACE"]

# Extra address space the learner's code may use, on top of what the checker itself has mapped
# (numpy and the framework): the exercises need a few MB; 512 MB is a runaway allocation.
DEFAULT_MEMORY_LIMIT = 512.0

# Seconds the child may take to start (import numpy and the framework) before the parent's hard
# timeout: on a loaded 2-core machine an import can take a few seconds.
STARTUP_GRACE = 10.0

_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # so the child imports this very package


def _error(number: int | None, path: Path, text: str) -> Result:
    title = EXERCISES[number].title if number in EXERCISES else "unknown exercise"
    return Result(number or 0, title, "error", text, file=str(path))


def _which_exercise(path: Path, text: str, tree: ast.Module) -> int | None:
    """The exercise a file is for: its first-line marker, else the one whose functions it defines."""
    marked = exercise_of_source(text)
    if marked is not None:
        return marked
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    fits = [n for n, ex in EXERCISES.items() if set(ex.functions) <= defined]
    return fits[0] if len(fits) == 1 else None


def run_file(
    path: str | os.PathLike[str],
    exercise: int | None = None,
    functions: Sequence[str] | None = None,
    *,
    hints: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    _worker: _Worker | None = None,
) -> Result:
    """Check the learner's file ``path`` for ``exercise`` (default: the one the file declares) in a
    separate process; ``functions`` renames the functions checked (in the exercise's order).

    Never raises for anything in the file: a missing file, a syntax error, a crash, an endless
    loop or a runaway allocation is a ``Result`` with status ``"error"`` and a diagnosis.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _error(exercise, p, f"could not read {p}: {exc}")
    try:
        tree = ast.parse(text, filename=str(p))
    except SyntaxError as exc:
        return _error(exercise, p, f"{p.name} does not compile: {exc.msg} (line {exc.lineno})")
    number = exercise if exercise is not None else _which_exercise(p, text, tree)
    if number is None:
        return _error(
            None,
            p,
            f"{p.name} does not say which exercise it is (no '# tinygrad-lr exercise N' line, and its "
            "functions fit no single exercise): pass --exercise N",
        )
    ex = get(number)
    names = list(functions) if functions else list(ex.functions)
    if len(names) != len(ex.functions):
        return _error(
            number,
            p,
            f"exercise {number} checks {len(ex.functions)} function(s) ({', '.join(ex.functions)}), "
            f"got {', '.join(names)}",
        )
    result = _run_child(p, number, names, hints, time_limit, memory_limit, _worker)
    result.file = str(p)
    return result


def _env() -> dict[str, str]:
    """The child's environment: this package importable, no bytecode written, one BLAS thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the learner's (or teacher's) folder
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # one thread: small address space, and fair to the other graders
    return env


def _run_child(
    path: Path,
    number: int,
    names: list[str],
    hints: int,
    time_limit: float,
    memory_limit: float,
    worker: _Worker | None = None,
) -> Result:
    # loading the file and checking it are each timed in the child; this is the backstop
    hard_timeout = 2 * time_limit + STARTUP_GRACE
    with tempfile.TemporaryDirectory(prefix="tinygrad-lr-check-") as tmp:
        out_path = Path(tmp, "result.json")
        spec = {
            "file": str(path.resolve()),
            "exercise": number,
            "functions": names,
            "hints": hints,
            "time_limit": time_limit,
            "memory_limit": memory_limit,
            "result": str(out_path),
        }
        log = Path(tmp, "output.txt")
        if worker is not None:
            ended = worker.run(spec, log, tmp, hard_timeout)
            if ended is None:  # never run twice: the file may be what broke the worker
                return _error(number, path, "the grading worker died while checking this file")
        else:
            with open(log, "wb") as fh:
                try:
                    proc = subprocess.run(
                        [sys.executable, "-m", "tinygrad_lr.exercises._child", json.dumps(spec)],
                        stdin=subprocess.DEVNULL,
                        stdout=fh,
                        stderr=subprocess.STDOUT,
                        cwd=tmp,
                        env=_env(),
                        timeout=hard_timeout,
                    )
                except subprocess.TimeoutExpired:
                    return _error(number, path, timeout_text(time_limit))
            ended = (proc.returncode, False)
        code, timed_out = ended
        if timed_out:
            return _error(number, path, timeout_text(time_limit))
        if out_path.exists():
            try:
                return Result.from_dict(json.loads(out_path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):
                pass  # half-written: the child died while writing; judged below
        return _error(number, path, _death(code, _tail(log), time_limit, memory_limit))


def _tail(log: Path, limit: int = 2000) -> str:
    with open(log, "rb") as fh:
        fh.seek(max(0, log.stat().st_size - limit))
        return fh.read().decode("utf-8", "replace")


def _death(code: int, output: str, time_limit: float, memory_limit: float) -> str:
    """Why the child ended without a result, from its exit status and its last output."""
    if "MemoryError" in output or code == -signal.SIGKILL:
        return memory_text(memory_limit)
    if code == -getattr(signal, "SIGXCPU", -1000):
        return timeout_text(time_limit)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"your code crashed the checker's process ({name})"
    last = [line for line in output.strip().splitlines() if line.strip()][-1:] or ["no output"]
    return f"your code ended the checking process before it returned (exit status {code}): {last[0]}"


# --- a worker that starts once and forks per file -------------------------------------------


class _Worker:
    """A child that imports numpy and the framework once, then forks a fresh process per file.

    Starting Python and importing numpy takes most of a second, a fork a few milliseconds, so a
    teacher's folder is graded by a few workers instead of a process start per file. The forked
    process is as isolated as a fresh one (its own limits, its own copy of everything, the
    learner's module loaded only there); the worker waits for it, kills it at the hard timeout,
    and answers ``{"code": exit status, "timed_out": bool}`` on one line.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinygrad_lr.exercises._child", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_env(),
            text=True,
        )

    def run(self, spec: dict[str, Any], log: Path, cwd: str, hard_timeout: float) -> tuple[int, bool] | None:
        """``(exit status, timed out)`` of the forked check, or None if the worker failed."""
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        request = {"spec": spec, "log": str(log), "cwd": cwd, "timeout": hard_timeout}
        try:
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            # the worker kills the check at hard_timeout; the grace covers its own start-up
            ready, _, _ = select.select([stdout], [], [], hard_timeout + STARTUP_GRACE)
            line = stdout.readline() if ready else ""
            reply = json.loads(line)
            return int(reply["code"]), bool(reply["timed_out"])
        except (OSError, ValueError, KeyError, TypeError):
            self.close()
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


# --- grading a folder ------------------------------------------------------------------------

COLUMNS = ("file", "exercise", "status", "exit_code", "seconds", "diagnosis")


def submissions(folder: str | os.PathLike[str]) -> list[Path]:
    """The ``*.py`` files directly in ``folder``, sorted by name."""
    d = Path(folder)
    if not d.is_dir():
        raise ValueError(f"{folder} is not a folder")
    return sorted(p for p in d.iterdir() if p.suffix == ".py" and p.is_file())


def grade(
    files: Sequence[str | os.PathLike[str]],
    exercise: int | None = None,
    *,
    jobs: int = 2,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    hints: int = 0,
) -> list[Result]:
    """Check every file (each in its own process, ``jobs`` at a time); results in the files' order."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")

    workers: queue.Queue[_Worker] = queue.Queue()
    for _ in range(min(jobs, len(files))):
        workers.put(_Worker())

    def one(f: str | os.PathLike[str]) -> Result:
        worker = workers.get()
        start = time.perf_counter()
        try:
            result = run_file(
                f, exercise, hints=hints, time_limit=time_limit, memory_limit=memory_limit, _worker=worker
            )
        finally:
            workers.put(worker if worker.alive else _Worker())  # a failed worker is replaced
        result.seconds = time.perf_counter() - start  # the table says which submissions were slow
        return result

    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:  # each thread talks to one worker
            return list(pool.map(one, files))
    finally:
        while not workers.empty():
            workers.get().close()


def _row(r: Result) -> dict[str, Any]:
    return {
        "file": Path(r.file).name if r.file else "",
        "exercise": r.exercise,
        "status": r.status,
        "exit_code": r.exit_code,
        "seconds": "" if r.seconds is None else f"{r.seconds:.2f}",
        "diagnosis": " | ".join(r.diagnosis.splitlines()),
    }


def write_table(results: Sequence[Result], path: str | os.PathLike[str]) -> None:
    """Write the grades as CSV (``.csv``: one row per file) or JSON (``.json``: every result in full),
    whole or not at all."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        data = json.dumps([r.to_dict() for r in results], indent=2) + "\n"
    elif p.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow(_row(r))
        data = buf.getvalue()
    else:
        raise ValueError(f"the grades file must end in .csv or .json, got {p.name}")
    with atomic_file(p) as fh:
        fh.write(data.encode("utf-8"))
