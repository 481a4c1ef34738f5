"""Starting a lab server: the port, the address with its token, the browser, stopping (Ctrl-C).

:class:`LabServer` binds ``127.0.0.1`` (never another address) on the port asked for -- or,
when none is, on :data:`DEFAULT_PORT` or the next free one of :data:`PORT_TRIES` -- makes a new
random token, and runs the guarded app (:mod:`.server`) on uvicorn: in the foreground for the
command line (Ctrl-C stops it), or in a background thread for Jupyter.
"""

from __future__ import annotations

import errno
import secrets
import socket
import threading
import time
from collections.abc import Callable

import uvicorn

from .server import MAX_BODY, make_app
from .state import LabState

__all__ = ["DEFAULT_PORT", "PORT_TRIES", "PortInUseError", "LabServer", "bind"]

DEFAULT_PORT = 8765
PORT_TRIES = 10


class PortInUseError(OSError):
    """The port asked for is taken by another program (or another lab)."""


def _try(port: int) -> socket.socket | None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return None
        raise
    sock.listen(128)
    return sock


def bind(port: int | None) -> tuple[socket.socket, str]:
    """A listening socket on 127.0.0.1 and a note when it is not the port asked for.

    ``port=None``: :data:`DEFAULT_PORT`, else the next free of :data:`PORT_TRIES`, else any;
    ``port=0``: any free port; another number: exactly that one, or :class:`PortInUseError`.
    """
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"the port must be a whole number from 0 to 65535, got {port!r}")
        sock = _try(port)
        if sock is None:
            raise PortInUseError(
                f"port {port} on 127.0.0.1 is in use (by another program, or another lab); "
                "choose another with --port N, or --port 0 for any free port"
            )
        return sock, ""
    for p in range(DEFAULT_PORT, DEFAULT_PORT + PORT_TRIES):
        sock = _try(p)
        if sock is not None:
            return sock, "" if p == DEFAULT_PORT else f"port {DEFAULT_PORT} was in use; the lab took {p}"
    sock = _try(0)
    assert sock is not None
    taken = sock.getsockname()[1]
    return sock, f"ports {DEFAULT_PORT}-{DEFAULT_PORT + PORT_TRIES - 1} were in use; the lab took {taken}"


class LabServer:
    """One lab on 127.0.0.1 (see the module docstring); ``first()`` is the state a new page opens on."""

    def __init__(self, first: Callable[[], LabState], port: int | None = None) -> None:
        self.socket, self.note = bind(port)
        self.port = int(self.socket.getsockname()[1])
        self.token = secrets.token_urlsafe(32)
        self.app, self.lab = make_app(self.token, self.port, first)
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
            ws_max_size=MAX_BODY,
            ws_per_message_deflate=False,  # on 127.0.0.1 compressing each answer only costs time, both ends
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    def url(self, fragment: str = "", **query: str) -> str:
        """The lab's address with its token (``fragment`` without the ``#``)."""
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        return f"http://127.0.0.1:{self.port}/?token={self.token}{extra}" + (
            f"#{fragment}" if fragment else ""
        )

    def run(self) -> None:
        """Serve in this (the main) thread until Ctrl-C, which raises ``KeyboardInterrupt`` after
        a clean shutdown."""
        self.server.run(sockets=[self.socket])

    def start(self, timeout: float = 10.0) -> None:
        """Serve in a background thread (Jupyter); return once the server answers."""
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="tinygrad-lr-lab", daemon=True
        )
        self.thread.start()
        end = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > end:
                raise RuntimeError("the lab server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop a server started with :meth:`start`."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.socket.close()
