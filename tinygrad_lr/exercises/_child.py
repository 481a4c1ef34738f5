"""The grading worker of :func:`tinygrad_lr.exercises.sandbox.run_file`: it loads a learner's file
and checks it, in a forked process under limits, writing the Result as JSON.

``python -m tinygrad_lr.exercises._child --serve`` reads one request per line and forks a fresh
process for each, in a session of its own; when the check ends (or is killed at its time-out)
the worker ends that session and every process left below it (:mod:`.processes`), then answers.

The framework is imported first; only then are the limits set, so they bound the learner's code
and not the imports: the address space may grow by ``memory_limit`` MB beyond what is mapped
now, files written are capped, CPU time is capped (a backstop: the timer below fires first), and
for a user other than root the number of processes. Loading the file and running the checker
each get ``time_limit`` seconds; the file ``spec["phase"]`` says which was under way, so that a
death is reported as what it was (a blow-up at import time is not "your function").
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import get
from .base import Result, TimeUp, memory_text, run_check, time_limit, timeout_text
from .processes import become_subreaper, end_descendants, end_session, start_session

MAX_FILE_BYTES = 16 * 2**20  # a learner's print loop cannot fill the disk
# Processes a check may start beyond those its user runs already (a fork loop stops there; root is
# not bound by RLIMIT_NPROC, and the worker ends them all after the check in any case).
MAX_PROCESSES = 64


def _mapped_bytes() -> int:
    """The process's current address space (VmSize), or 0 where /proc is not there."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit(which: int, value: int) -> None:
    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(which, (value, hard))


def _user_processes() -> int:
    uid, count = str(os.getuid()), 0
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        count += any(line.split()[1:2] == [uid] for line in status.splitlines() if line.startswith("Uid:"))
    return count


def set_limits(time_limit_s: float, memory_mb: float) -> None:
    _limit(resource.RLIMIT_AS, _mapped_bytes() + int(memory_mb * 2**20))
    _limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)
    _limit(resource.RLIMIT_CPU, int(math.ceil(2 * time_limit_s)) + 5)
    if os.getuid() != 0 and Path("/proc/self").exists():
        _limit(resource.RLIMIT_NPROC, _user_processes() + MAX_PROCESSES)


def _phase(spec: dict[str, Any], phase: str) -> None:
    """Say what the check is doing, for the parent to read if this process dies."""
    with contextlib.suppress(OSError, KeyError):
        Path(spec["phase"]).write_text(phase, encoding="utf-8")


def _load(path: str) -> Any:
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("submission", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)
    return module


def _where(exc: BaseException, path: str) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    return f" (line {frames[-1].lineno})" if frames else ""


def main(spec: dict[str, Any]) -> Result:
    ex = get(int(spec["exercise"]))
    name = Path(spec["file"]).name
    limit, memory = float(spec["time_limit"]), float(spec["memory_limit"])
    set_limits(limit, memory)
    _phase(spec, "loading")
    try:
        with time_limit(limit):
            module = _load(spec["file"])
    except TimeUp:
        return ex.result(
            "error", f"{name} did not finish loading within {limit:g} s (a loop at the top level?)"
        )
    except MemoryError:
        return ex.result("error", memory_text(memory, loading=name))
    except BaseException as exc:  # the learner's top-level code: anything, even SystemExit
        return ex.result(
            "error", f"{name} raised {type(exc).__name__}: {exc}{_where(exc, spec['file'])} while loading"
        )
    fns = {}
    for wanted, actual in zip(ex.functions, spec["functions"]):
        fn = getattr(module, actual, None)
        if not callable(fn):
            needs = ", ".join(f"{n}()" for n in ex.functions)
            return ex.result(
                "error", f"{name} has no function {actual}() (exercise {ex.number} needs {needs})"
            )
        fns[wanted] = fn
    _phase(spec, "checking")
    result = run_check(ex, fns, hints=int(spec["hints"]), time_limit_s=limit)
    if result.status == "error" and result.diagnosis == memory_text():
        result.diagnosis = memory_text(memory)
    if result.status == "error" and result.diagnosis == timeout_text(0.0):
        result.diagnosis = timeout_text(limit)
    return result


def check_and_write(spec: dict[str, Any]) -> None:
    result = main(spec)
    Path(spec["result"]).write_text(json.dumps(result.to_dict()), encoding="utf-8")


# --- serving: one process per file, forked from this one -------------------------------------


def _forked(request: dict[str, Any]) -> None:
    """In the forked process: output to the log, no stdin, then the check. Never returns."""
    code = 1
    try:
        os.chdir(request["cwd"])
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        sys.stdin = open(os.devnull)  # not the worker's buffered requests
        check_and_write(request["spec"])
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _answer(reply: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


def run_forked(request: dict[str, Any]) -> tuple[int, bool]:
    """Fork, check in the child (a session of its own), wait for it; kill it at
    ``request["timeout"]`` seconds; then end its session and everything it left behind."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        start_session()
        _forked(request)
    _answer({"pid": pid})  # the grader ends this session itself if the worker dies meanwhile
    deadline = time.monotonic() + float(request["timeout"])
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), False
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return -signal.SIGKILL, True
            time.sleep(0.005)
    finally:
        end_session(pid)
        end_descendants()


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM from the grader (interrupted, or closing a busy worker): end the checks, then exit."""
    end_descendants()
    os._exit(1)


def serve() -> None:
    """Read one JSON request per line on stdin; answer ``{"pid"}`` when the check starts and
    ``{"code", "timed_out"}`` when it has ended, with nothing it started still running."""
    sys.dont_write_bytecode = True
    become_subreaper()
    signal.signal(signal.SIGTERM, _stop)
    for line in sys.stdin:
        code, timed_out = run_forked(json.loads(line))
        _answer({"code": code, "timed_out": timed_out})


if __name__ == "__main__":
    serve()
