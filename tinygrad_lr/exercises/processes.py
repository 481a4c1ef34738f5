"""Ending everything a learner's code started: its process, the processes it forked, theirs.

A checked file runs in a process of its own session (:func:`start_session`), so that it and every
process it forks share one process group, ended at once with :func:`end_session`. A submission
can leave its group (``os.setsid()`` in a forked child, or a double fork); so the grading worker
also makes itself the *subreaper* of everything below it (Linux ``PR_SET_CHILD_SUBREAPER``):
an orphaned descendant is re-parented to the worker instead of to ``init``, and
:func:`end_descendants` kills the worker's children until none is left. Nothing a submission
starts outlives its check.

On systems without ``prctl`` (not Linux) only the session's group is ended.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

__all__ = ["become_subreaper", "start_session", "end_session", "end_descendants", "children"]

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36

# How long end_descendants keeps killing: a fork loop makes new children while we kill the old
# ones, but each round kills a whole generation; a second is hundreds of rounds.
_SWEEP_SECONDS = 2.0


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def become_subreaper() -> bool:
    """Make this process the one orphaned descendants are re-parented to (Linux); True if it is."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def start_session() -> None:
    """In a freshly forked child: a session (and process group) of its own, and death with its
    parent (Linux), so that a worker killed by a submission takes the check with it."""
    with contextlib.suppress(OSError):
        os.setsid()
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def end_session(pid: int) -> None:
    """Kill the process group ``pid`` leads (a check started with :func:`start_session`): the
    checked process and everything it forked that stayed in its group."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def children(pid: int | None = None) -> list[int]:
    """The process ids whose parent is ``pid`` (default: this process), from ``/proc``."""
    me = os.getpid() if pid is None else pid
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else []:
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # the command name, in parentheses, may hold spaces and ')': the fields start after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(entry.name))
    return found


def _reap() -> None:
    """Collect every child that has ended (no zombies left behind)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_descendants(keep: frozenset[int] = frozenset()) -> int:
    """Kill every child of this process but ``keep`` -- with a subreaper, every process a check left
    behind -- round after round until none is left; the number killed."""
    killed = 0
    deadline = time.monotonic() + _SWEEP_SECONDS
    while time.monotonic() < deadline:
        _reap()
        left = [pid for pid in children() if pid not in keep]
        if not left:
            return killed
        for pid in left:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)  # its group, if it leads one
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            killed += 1
        time.sleep(0.005)
    return killed
