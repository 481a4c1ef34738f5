"""The child process of :func:`tinygrad_lr.exercises.sandbox.run_file`: load a learner's file and
check it, under limits, writing the Result as JSON.

``python -m tinygrad_lr.exercises._child SPEC_JSON`` checks one file; ``... _child --serve`` is a
grading worker: it reads one request per line and forks a fresh process for each.

The framework is imported first; only then are the limits set, so they bound the learner's code
and not the imports: the address space may grow by ``memory_limit`` MB beyond what is mapped
now, files written are capped, CPU time is capped (a backstop: the timer below fires first).
Loading the file and running the checker each get ``time_limit`` seconds.
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

MAX_FILE_BYTES = 16 * 2**20  # a learner's print loop cannot fill the disk


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


def set_limits(time_limit_s: float, memory_mb: float) -> None:
    _limit(resource.RLIMIT_AS, _mapped_bytes() + int(memory_mb * 2**20))
    _limit(resource.RLIMIT_FSIZE, MAX_FILE_BYTES)
    _limit(resource.RLIMIT_CPU, int(math.ceil(2 * time_limit_s)) + 5)


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
    try:
        with time_limit(limit):
            module = _load(spec["file"])
    except TimeUp:
        return ex.result(
            "error", f"{name} did not finish loading within {limit:g} s (a loop at the top level?)"
        )
    except MemoryError:
        return ex.result("error", memory_text(memory))
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


def run_forked(request: dict[str, Any]) -> tuple[int, bool]:
    """Fork, check in the child, wait for it; kill it at ``request["timeout"]`` seconds."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _forked(request)
    deadline = time.monotonic() + float(request["timeout"])
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL, True
        time.sleep(0.005)


def serve() -> None:
    """Read one JSON request per line on stdin; answer ``{"code", "timed_out"}`` per line."""
    sys.dont_write_bytecode = True
    for line in sys.stdin:
        code, timed_out = run_forked(json.loads(line))
        sys.stdout.write(json.dumps({"code": code, "timed_out": timed_out}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        check_and_write(json.loads(sys.argv[1]))
