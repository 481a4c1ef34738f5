"""Running Graphviz and saving its pictures: files whole or not at all."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import graphviz

from .._files import atomic_file

SAVE_FORMATS = ("svg", "png", "pdf", "dot", "gv")


class GraphvizNotFoundError(OSError):
    """Graphviz's ``dot`` program is not installed; the DOT source was written instead."""


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


def _missing_dot(rendered: str, dot_file: Path) -> GraphvizNotFoundError:
    return GraphvizNotFoundError(
        f"Graphviz's 'dot' program was not found, so {rendered} was not drawn (its DOT source is in "
        f"{dot_file}); install Graphviz with: {graphviz_install_hint()}"
    )


def _atomic_write(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def save_graph(dot: graphviz.Digraph, path: str | os.PathLike[str]) -> Path:
    """Save a picture from :func:`draw_graph` as SVG, PNG, PDF or DOT, by ``path``'s extension.

    When Graphviz's ``dot`` program is missing, the DOT source is written next to ``path``
    (``graph.svg`` -> ``graph.dot``) and :class:`GraphvizNotFoundError` says how to install it.
    Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its extension: use .svg, .png, .pdf or .dot"
        )
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    source = dot.source.encode("utf-8")
    if fmt in ("dot", "gv"):
        _atomic_write(path, source)
        return path
    try:
        data = dot.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        dot_file = path.with_suffix(".dot")
        _atomic_write(dot_file, source)
        raise _missing_dot(str(path), dot_file) from None
    _atomic_write(path, data)
    return path
