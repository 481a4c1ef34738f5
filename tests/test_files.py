"""Files the tool writes appear whole or not at all, with the usual permissions."""

from __future__ import annotations

import os
import stat

import pytest

from tinygrad_lr import Value
from tinygrad_lr._files import atomic_file
from tinygrad_lr.viz import draw_graph, save_graph


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_written_file_has_the_umask_mode_not_mkstemps_private_one(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_file(tmp_path / "a" / "out.bin") as fh:
            fh.write(b"hello")
        w = Value(1.0, label="w")
        L = (w * 2.0 - 1.0) ** 2
        L.backward()
        svg = save_graph(draw_graph(L), tmp_path / "graph.svg")
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "out.bin").read_bytes() == b"hello"
    assert _mode(tmp_path / "a" / "out.bin") == 0o644
    assert _mode(svg) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_file(target) as fh:
            fh.write(b"half of the new")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
