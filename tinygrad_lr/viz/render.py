"""Running Graphviz and saving its pictures: files whole or not at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import graphviz

from .._files import atomic_file, output_path, write_new_file

SAVE_FORMATS = ("svg", "png", "pdf", "dot", "gv")


class GraphvizNotFoundError(OSError):
    """Graphviz's ``dot`` program is not installed (the message says how to install it)."""


def graphviz_install_hint(platform: str | None = None, os_release: str | None = None) -> str:
    """The one command that installs Graphviz's ``dot`` on this platform.

    ``platform`` defaults to ``sys.platform``; on Linux the distribution is read from
    ``/etc/os-release`` (``os_release`` is its text, for tests).
    """
    platform = sys.platform if platform is None else platform
    if platform == "darwin":
        return "brew install graphviz"
    if platform.startswith("win"):
        return "winget install graphviz (or: choco install graphviz), then add its bin folder to PATH"
    if platform.startswith("linux"):
        if os_release is None:
            try:
                os_release = Path("/etc/os-release").read_text(encoding="utf-8", errors="replace")
            except OSError:
                os_release = ""
        ids = " ".join(
            line.split("=", 1)[1].strip().strip('"').lower()
            for line in os_release.splitlines()
            if line.startswith(("ID=", "ID_LIKE="))
        ).split()
        for distro, command in (
            ("debian", "sudo apt-get install graphviz"),
            ("ubuntu", "sudo apt-get install graphviz"),
            ("fedora", "sudo dnf install graphviz"),
            ("rhel", "sudo dnf install graphviz"),
            ("centos", "sudo dnf install graphviz"),
            ("arch", "sudo pacman -S graphviz"),
            ("alpine", "sudo apk add graphviz"),
            ("suse", "sudo zypper install graphviz"),
            ("opensuse", "sudo zypper install graphviz"),
        ):
            if distro in ids:
                return command
    if "bsd" in platform:
        return "sudo pkg install graphviz"
    return "install the 'graphviz' package with your system's package manager (it provides 'dot')"


class GraphvizError(OSError):
    """Graphviz's ``dot`` ran but failed (an exit status other than 0, or a message on stderr)."""


def _missing_dot(rendered: str, dot_note: str = "") -> GraphvizNotFoundError:
    return GraphvizNotFoundError(
        f"Graphviz's 'dot' program was not found, so {rendered} was not drawn{dot_note}; "
        f"install Graphviz with: {graphviz_install_hint()}"
    )


def _one_line(message: str) -> str:
    """Graphviz's messages as one line: ``Error: syntax error in line 3 near '}'``."""
    return "; ".join(line.strip() for line in message.strip().splitlines() if line.strip())


def run_graphviz(dot: graphviz.Digraph, fmt: str, rendered: str) -> bytes:
    """Graphviz's drawing of ``dot`` in the format ``fmt`` (``svg``, ``png``, ``pdf``).

    ``rendered`` is what the user asked for, for the error messages (``"graph.svg"``, ``"the
    walkthrough in walk/"``): they never name a temporary file. A picture whose layout is fixed
    (engine ``neato``, positions pinned by :mod:`.layout`) is drawn as it is (``neato -n2``).

    Raises:
        GraphvizNotFoundError: ``dot`` is not installed (the message says how to install it).
        GraphvizError: ``dot`` exited with an error or printed a warning; the message quotes it.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise _missing_dot(rendered)
    command = [exe, f"-T{fmt}"]
    if dot.engine == "neato":
        command += ["-Kneato", "-n2"]
    try:
        done = subprocess.run(command, input=dot.source.encode("utf-8"), capture_output=True, check=False)
    except OSError as exc:  # found but not runnable (permissions, a broken install)
        reason = exc.strerror or exc
        raise GraphvizError(f"Graphviz's 'dot' ({exe}) could not run to draw {rendered}: {reason}") from None
    message = _one_line(done.stderr.decode("utf-8", errors="replace"))
    if done.returncode != 0 or message:
        status = f"exit status {done.returncode}" if done.returncode != 0 else "a warning"
        raise GraphvizError(f"Graphviz failed to draw {rendered} ({status}): {message or 'no message'}")
    return done.stdout


SCREEN_PX = 1920  # the widest picture a screen shows whole: wider ones are folded by default


def drawn_width_px(dot: graphviz.Digraph) -> float:
    """How wide Graphviz draws ``dot``, in CSS pixels (one layout run, nothing drawn)."""
    import json

    layout = json.loads(run_graphviz(dot, "json", "the picture's layout").decode("utf-8"))
    x0, _, x1, _ = (float(v) for v in layout.get("bb", "0,0,0,0").split(","))
    return (x1 - x0) * 4 / 3  # Graphviz's points: 72 an inch; CSS pixels: 96


class Picture(graphviz.Digraph):
    """What :func:`draw_graph` returns: a ``graphviz.Digraph`` that shows itself well in Jupyter.

    As the last expression of a cell it displays once, as SVG (one MIME type, nothing else).
    Without Graphviz's ``dot``, or when ``dot`` fails, the cell shows the project's own
    one-paragraph message with the install command instead of a traceback. A picture whose
    layout is fixed (engine ``neato``, see :mod:`.layout`) is drawn as laid out (``-n2``), also
    by ``pipe()`` and ``render()``.
    """

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, str | bytes]:
        wanted = set(include) if include is not None else {"image/svg+xml"}
        wanted -= set(exclude or ())
        if "image/svg+xml" not in wanted:
            return {}
        try:
            svg = run_graphviz(self, "svg", "this graph")
        except (GraphvizNotFoundError, GraphvizError) as exc:
            return {"text/plain": str(exc)}
        return {"image/svg+xml": svg.decode("utf-8")}

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        if self.engine == "neato" and len(args) < 4:
            kwargs.setdefault("neato_no_op", 2)
        return super().pipe(*args, **kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        if self.engine == "neato" and len(args) < 8:
            kwargs.setdefault("neato_no_op", 2)
        return super().render(*args, **kwargs)


def atomic_write(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def save_graph(dot: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Save a picture from :func:`draw_graph` as SVG, PNG, PDF or DOT, by ``path``'s extension.

    The file is written whole or not at all, and only when the drawing succeeded. The folder
    ``path`` goes into must exist (:func:`~tinygrad_lr._files.output_path`'s rule).

    When Graphviz's ``dot`` program is missing, :class:`GraphvizNotFoundError` says how to
    install it, and the DOT source is written next to ``path`` (``graph.svg`` ->
    ``graph.dot``) only if no such file exists: nothing of yours is replaced. When Graphviz
    fails, :class:`GraphvizError` quotes its message. Returns the path written.
    """
    shown = str(path)
    path = output_path(path, "the picture")
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format of {shown!r} from its extension: use .svg, .png, .pdf or .dot"
        )
    source = dot.source.encode("utf-8")
    if fmt in ("dot", "gv"):
        atomic_write(path, source)
        return path
    try:
        data = run_graphviz(dot, fmt, shown)
    except GraphvizNotFoundError:
        dot_file = path.with_suffix(".dot")
        if write_new_file(dot_file, source):
            note = f" (its DOT source is in {dot_file})"
        else:
            note = f" (its DOT source was not saved: {dot_file} exists and was left as it was)"
        raise _missing_dot(shown, note) from None
    atomic_write(path, data)
    return path
