"""The grader's side of a grading worker: a process that imports numpy and the framework once, then
forks a fresh process per file (:mod:`._child` is the worker's own code).

Starting Python and importing numpy takes most of a second, a fork a few milliseconds, so a
teacher's folder is graded by a few workers instead of a process start per file, and one file is
checked by one worker started for it. The forked process is as isolated as a fresh one (its own
limits, its own copy of everything, the learner's module loaded only there, a session of its own);
the worker waits for it, kills it at the hard timeout, ends everything it started
(:mod:`.processes`), and answers on one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .processes import end_session

__all__ = ["Worker", "STARTUP_GRACE", "child_env"]

# Seconds the worker may take to start (import numpy and the framework) or to answer beyond the
# check's own time-out: on a loaded 2-core machine an import can take a few seconds.
STARTUP_GRACE = 10.0

_ROOT = str(Path(__file__).resolve().parent.parent.parent)  # so the worker imports this very package


def child_env() -> dict[str, str]:
    """The worker's environment: this package importable, no bytecode written, one BLAS thread."""
    env = dict(os.environ)
    env["PYTHONPATH"] = _ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ in the learner's (or teacher's) folder
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"  # one thread: small address space, and fair to the other graders
    return env


class Worker:
    """One grading worker process; :meth:`run` checks one file in it, :meth:`close` ends it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinygrad_lr.exercises._child", "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=child_env(),
        )
        self._buffer = b""

    def _reply(self, timeout: float) -> dict[str, Any]:
        """The worker's next line as a dict; ValueError if it says nothing within ``timeout`` s."""
        stdout = self.proc.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:  # read the pipe itself: no line may wait in a buffer unseen
            ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(stdout.fileno(), 4096) if ready else b""
            if not chunk:
                raise ValueError("the worker said nothing in time, or ended")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise ValueError(f"not a reply: {line!r}")
        return reply

    def run(self, spec: dict[str, Any], log: Path, cwd: str, hard_timeout: float) -> tuple[int, bool] | None:
        """``(exit status, timed out)`` of the forked check, or None if the worker failed (then it
        is ended, and so is the check's session)."""
        stdin = self.proc.stdin
        assert stdin is not None
        request = {"spec": spec, "log": str(log), "cwd": cwd, "timeout": hard_timeout}
        pid = None
        try:
            stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            stdin.flush()
            pid = int(self._reply(hard_timeout + STARTUP_GRACE)["pid"])
            # the worker kills the check at hard_timeout; the grace covers ending what it left
            reply = self._reply(hard_timeout + STARTUP_GRACE)
            return int(reply["code"]), bool(reply["timed_out"])
        except (OSError, ValueError, KeyError, TypeError):
            self.kill()
            if pid is not None:
                end_session(pid)  # the check dies with its worker; what it forked, here
            return None

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """End the worker at once (it ends its checks on SIGTERM, or dies with them on SIGKILL)."""
        with contextlib.suppress(OSError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._close_pipes()

    def close(self) -> None:
        """Ask the worker to finish (end of its input); end it if it does not within 5 s."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
