"""Checking a learner's FILE in a separate process with a time and a memory limit, and grading a
folder of such files.

The learner's code never runs in the checker's process: :func:`run_file` hands the file to a
grading worker (:class:`~tinygrad_lr.exercises.worker.Worker`), which forks a fresh process for
it. That process imports nothing new, caps its own address space (``RLIMIT_AS``: what it uses
already plus ``memory_limit`` MB), the size of any file it writes, its CPU time and (not as root)
its processes, loads the learner's file and runs the checker under a timer. It writes its
:class:`~tinygrad_lr.exercises.base.Result` as JSON; if it dies instead (killed, out of memory, a
loop that ignores the timer) the worker's timeout, the exit status and what it was doing (loading
the file or checking it) say what happened. So an endless loop or a crash is a result ("your
function did not return within 5 s"), never a hang, and when the check ends every process the
file started has ended too (:mod:`.processes`). :func:`grade` runs many files, two at a time by
default; one broken file never stops the rest.

Before any of that, the file is read and parsed here, refused with one line when it cannot be
(a directory, binary, larger than :data:`MAX_SOURCE_BYTES`, too deeply nested for Python's own
compiler: "could not be read: ..."), and its exercise is found from its header line.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import queue
import signal
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._files import atomic_file, input_file
from . import EXERCISES, exercise_of_source, get
from .base import DEFAULT_TIME_LIMIT, Result, memory_text, timeout_text
from .worker import STARTUP_GRACE, Worker

__all__ = [
    "run_file",
    "grade",
    "submissions",
    "write_table",
    "table_text",
    "DEFAULT_MEMORY_LIMIT",
    "MAX_SOURCE_BYTES",
    "STARTUP_GRACE",
]

# Extra address space the learner's code may use, on top of what the checker itself has mapped
# (numpy and the framework): the exercises need a few MB; 512 MB is a runaway allocation.
DEFAULT_MEMORY_LIMIT = 512.0

# An exercise's answer is a few hundred lines; a file past 1 MB is not one, and is not read whole
# into the grader's own memory (nor parsed there) to find out.
MAX_SOURCE_BYTES = 2**20


def _error(number: int | None, path: Path, text: str) -> Result:
    title = EXERCISES[number].title if number in EXERCISES else "no exercise"
    return Result(number, title, "error", text, file=str(path))


def _which_exercise(path: Path, text: str, tree: ast.Module) -> int | None:
    """The exercise a file is for: its first-line marker, else the one whose functions it defines."""
    marked = exercise_of_source(text)
    if marked is not None:
        return marked
    defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    fits = [n for n, ex in EXERCISES.items() if set(ex.functions) <= defined]
    return fits[0] if len(fits) == 1 else None


def _header(path: Path) -> int | None:
    """The exercise a file's header line declares, from its first bytes alone (for a file that cannot
    be read whole or parsed)."""
    try:
        with open(path, "rb") as fh:
            number = exercise_of_source(fh.read(2000).decode("utf-8", "replace"))
    except OSError:
        return None
    return number if number in EXERCISES else None


def read_submission(path: Path) -> tuple[str, ast.Module]:
    """The text of a learner's file and its syntax tree, or a ``ValueError`` whose message is the
    row a teacher reads ("x.py could not be read: ..."); never the grader's own traceback."""
    try:
        input_file(path)
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise ValueError(
                f"{path.name} could not be read: {size / 2**20:.1f} MB is more than an exercise file "
                f"holds (at most {MAX_SOURCE_BYTES // 2**20} MB)"
            )
        with open(path, "rb") as fh:
            raw = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise ValueError(f"{path.name} could not be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_SOURCE_BYTES:  # grew meanwhile, or a special file
        raise ValueError(f"{path.name} could not be read: more than {MAX_SOURCE_BYTES // 2**20} MB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path.name} could not be read: it is not UTF-8 text (byte {exc.start}; a binary file?)"
        ) from None
    try:
        return text, ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise ValueError(f"{path.name} does not compile: {exc.msg}{where}") from None
    except (RecursionError, MemoryError, ValueError) as exc:  # nested too deeply for Python's parser
        raise ValueError(
            f"{path.name} could not be read: Python itself cannot compile it "
            f"({type(exc).__name__}: {exc}; an expression nested or chained too deeply?)"
        ) from None


def run_file(
    path: str | os.PathLike[str],
    exercise: int | None = None,
    functions: Sequence[str] | None = None,
    *,
    hints: int = 0,
    time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit: float = DEFAULT_MEMORY_LIMIT,
    worker: Worker | None = None,
) -> Result:
    """Check the learner's file ``path`` for ``exercise`` (default: the one the file declares) in a
    separate process; ``functions`` renames the functions checked (in the exercise's order).
    ``worker``: a running :class:`~tinygrad_lr.exercises.worker.Worker` to check it in (default:
    one started for this file).

    Never raises for anything in the file: a missing file, a syntax error, a crash, an endless
    loop or a runaway allocation is a ``Result`` with status ``"error"`` and a diagnosis.
    """
    p = Path(path)
    try:
        text, tree = read_submission(p)
    except ValueError as exc:
        return _error(exercise if exercise is not None else _header(p), p, str(exc))
    number = exercise if exercise is not None else _which_exercise(p, text, tree)
    if number is None:
        return _error(
            None,
            p,
            f"no exercise header: {p.name} has no '# tinygrad-lr exercise N' line and its functions fit "
            "no single exercise; add the line (tinygrad-lr check --new N writes it) or pass --exercise N",
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
    own = worker is None
    worker = Worker() if worker is None else worker
    try:
        result = _run_child(p, number, names, hints, time_limit, memory_limit, worker)
    finally:
        if own:
            worker.close()
    result.file = str(p)
    return result


def _run_child(
    path: Path,
    number: int,
    names: list[str],
    hints: int,
    time_limit: float,
    memory_limit: float,
    worker: Worker,
) -> Result:
    # loading the file and checking it are each timed in the child; this is the backstop
    hard_timeout = 2 * time_limit + STARTUP_GRACE
    with tempfile.TemporaryDirectory(prefix="tinygrad-lr-check-") as tmp:
        out_path, phase = Path(tmp, "result.json"), Path(tmp, "phase.txt")
        spec = {
            "file": str(path.resolve()),
            "exercise": number,
            "functions": names,
            "hints": hints,
            "time_limit": time_limit,
            "memory_limit": memory_limit,
            "result": str(out_path),
            "phase": str(phase),
        }
        log = Path(tmp, "output.txt")
        ended = worker.run(spec, log, tmp, hard_timeout)
        if ended is None:  # never run twice: the file may be what broke the worker
            return _error(number, path, "the grading worker died while checking this file")
        code, timed_out = ended
        if timed_out:
            return _error(number, path, timeout_text(time_limit))
        if out_path.exists():
            try:
                return Result.from_dict(json.loads(out_path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):
                pass  # half-written: the child died while writing; judged below
        loading = path.name if _read_phase(phase) == "loading" else None
        return _error(number, path, _death(code, _tail(log), time_limit, memory_limit, loading))


def _read_phase(phase: Path) -> str:
    try:
        return phase.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _tail(log: Path, limit: int = 2000) -> str:
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, log.stat().st_size - limit))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _death(code: int, output: str, time_limit: float, memory_limit: float, loading: str | None) -> str:
    """Why the child ended without a result, from its exit status, its last output and whether it
    was loading the file (``loading``: the file's name) or checking it."""
    if "MemoryError" in output or code == -signal.SIGKILL:
        return memory_text(memory_limit, loading=loading)
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


# --- grading a folder ------------------------------------------------------------------------

COLUMNS = ("file", "exercise", "status", "exit_code", "seconds", "diagnosis")


def submissions(folder: str | os.PathLike[str]) -> list[Path]:
    """The ``*.py`` files directly in ``folder``, sorted by name; a ``ValueError`` saying what
    ``folder`` is when it is not a folder."""
    d = Path(folder)
    if not d.is_dir():
        what = "a file, not a folder" if os.path.lexists(d) else "no such folder"
        raise ValueError(f"{folder}: {what}" if what == "no such folder" else f"{folder} is {what}")
    try:
        return sorted(p for p in d.iterdir() if p.suffix == ".py" and p.is_file())
    except OSError as exc:
        raise ValueError(f"{folder}: cannot list its files ({exc.strerror or exc})") from None


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

    workers: queue.Queue[Worker] = queue.Queue()
    for _ in range(min(jobs, len(files))):
        workers.put(Worker())

    def one(f: str | os.PathLike[str]) -> Result:
        worker = workers.get()
        start = time.perf_counter()
        try:
            result = run_file(
                f, exercise, hints=hints, time_limit=time_limit, memory_limit=memory_limit, worker=worker
            )
        except Exception as exc:  # noqa: BLE001 - a backstop: one file never stops the rest
            result = _error(exercise, Path(f), f"could not be checked: {type(exc).__name__}: {exc}")
        finally:
            workers.put(worker if worker.alive else Worker())  # a failed worker is replaced
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
        "file": r.file or "",  # the path as the JSON gives it
        "exercise": "" if r.exercise is None else r.exercise,
        "status": r.status,
        "exit_code": r.exit_code,
        "seconds": "" if r.seconds is None else f"{r.seconds:.2f}",
        "diagnosis": " | ".join(r.diagnosis.splitlines()),
    }


def table_text(results: Sequence[Result], path: str | os.PathLike[str]) -> str:
    """The grades as the text of a ``.csv`` (one row per file) or ``.json`` file (every result in
    full), by ``path``'s suffix; both name each file by the same path."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return json.dumps([r.to_dict() for r in results], indent=2) + "\n"
    if p.suffix.lower() == ".csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for r in results:
            writer.writerow(_row(r))
        return buf.getvalue()
    raise ValueError(f"the grades file must end in .csv or .json, got {p.name}")


def write_table(results: Sequence[Result], path: str | os.PathLike[str]) -> None:
    """Write the grades as CSV (``.csv``: one row per file) or JSON (``.json``: every result in full),
    whole or not at all."""
    data = table_text(results, path)
    with atomic_file(path) as fh:
        fh.write(data.encode("utf-8"))
