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
    (tmp_path / "a").mkdir()  # the folder must exist: outputs never create one (test below)
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


# --- the one rule for inputs and outputs: each wrong path called what it is, before any work -------


def test_an_input_is_called_what_it_is(tmp_path):
    from tinygrad_lr._files import input_file

    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError, match=r"adir is a directory, not a file$"):
        input_file(tmp_path / "adir")  # today: "no such file"
    with pytest.raises(NotADirectoryError, match=r"afile/x.csv: .*afile is a file, not a folder$"):
        input_file(tmp_path / "afile" / "x.csv")
    with pytest.raises(FileNotFoundError, match=r"missing.csv: no such file$"):
        input_file(tmp_path / "missing.csv")
    assert input_file(tmp_path / "afile") == tmp_path / "afile"


def test_an_output_under_a_file_or_in_a_missing_folder_is_refused_and_nothing_is_created(tmp_path):
    from tinygrad_lr._files import output_path

    (tmp_path / "afile").write_text("mine")
    (tmp_path / "adir").mkdir()
    for path in (tmp_path / "afile" / "g.csv", tmp_path / "afile" / "deeper" / "g.csv"):
        with pytest.raises(NotADirectoryError, match=r"afile is a file, not a folder$"):
            output_path(path, "--out", kind="file")
        with pytest.raises(NotADirectoryError, match=r"afile is a file, not a folder$"):
            atomic_file(path).__enter__()
    with pytest.raises(FileNotFoundError, match="the folder .*nodir does not exist"):
        atomic_file(tmp_path / "nodir" / "g.csv").__enter__()  # today: the folder is created
    with pytest.raises(IsADirectoryError, match="adir: it is a directory, not a file"):
        output_path(tmp_path / "adir", "-o", kind="file")
    with pytest.raises(IsADirectoryError, match="names a folder"):
        output_path(f"{tmp_path}/new.csv/", "--out", kind="file")
    with pytest.raises(NotADirectoryError, match="afile: it is a file, not a folder"):
        output_path(tmp_path / "afile", "--out", kind="folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile"]
    assert (tmp_path / "afile").read_text() == "mine"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc (takes no new file)")
def test_an_error_names_the_users_path_never_the_temporary_file():
    with pytest.raises(OSError) as info:
        with atomic_file("/proc/g.csv") as fh:
            fh.write(b"grades")
    text = str(info.value)
    assert text.startswith("cannot write /proc/g.csv: ") and ".g.csv." not in text, text


def test_the_data_loader_and_checkpoints_follow_the_same_rule(tmp_path):
    from tinygrad_lr.checkpoint import load
    from tinygrad_lr.data import DataError, load_csv

    (tmp_path / "afile").write_text("1,2\n")
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(DataError, match=r"afile/x.csv: .*afile is a file, not a folder$"):
        load_csv(tmp_path / "afile" / "x.csv")  # was "cannot read the file (Not a directory)"
    with pytest.raises(IsADirectoryError, match=r"^load: .*d.npz is a directory, not a file$"):
        load(tmp_path / "d.npz")  # was "load: no such file"
    with pytest.raises(NotADirectoryError, match=r"^load: .*afile is a file, not a folder$"):
        load(tmp_path / "afile" / "x.npz")
    with pytest.raises(FileNotFoundError, match=r"^load: .*gone.json: no such file$"):
        load(tmp_path / "gone.json")
