"""Rendering never loses a file of the user's (issue 12, "Files and external programs").

Each test is written against a behaviour that was wrong before: a .dot beside the output
replaced when Graphviz is missing, a walkthrough folder mixing two runs, Graphviz's failures as
tracebacks, temporary names in errors, missing folders created by some options and refused by
others, and size limits checked only after the expensive work.
"""

from __future__ import annotations

import os
import stat

import pytest

from tinygrad_lr import Value, sse
from tinygrad_lr.cli import main
from tinygrad_lr.viz import (
    GraphTooLargeError,
    GraphvizError,
    GraphvizNotFoundError,
    draw_graph,
    save_graph,
    walkthrough_frames,
    write_walkthrough,
)


def one_point() -> Value:
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    L = (w * Value(1.0, label="x") + b - Value(3.0, label="y")) ** 2
    L.backward()
    return L


def points(n: int) -> Value:
    w, b = Value(1.0, label="w"), Value(0.0, label="b")
    xs = range(1, n + 1)
    L = sse([w * Value(float(i), label=f"x{i}") + b for i in xs], [2.0 * i + 1 for i in xs])
    L.backward()
    return L


def no_graphviz(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))


def failing_graphviz(monkeypatch, tmp_path, message: str = "Error: syntax error", code: int = 1) -> None:
    """A ``dot`` on PATH that prints ``message`` on stderr and exits with ``code``."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text(f"#!/bin/sh\ncat > /dev/null\necho '{message}' >&2\nexit {code}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def snapshot(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# --- Graphviz missing: nothing of the user's replaced ---------------------------------------------


def test_missing_graphviz_never_replaces_an_existing_dot_file(tmp_path, monkeypatch) -> None:
    mine = tmp_path / "graph.dot"
    mine.write_text("digraph mine { a -> b }\n")
    no_graphviz(monkeypatch, tmp_path)
    with pytest.raises(GraphvizNotFoundError) as info:
        save_graph(draw_graph(one_point()), tmp_path / "graph.svg")
    assert mine.read_text() == "digraph mine { a -> b }\n"
    assert "graph.dot exists and was left as it was" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.dot"]  # no .svg, no temporary file
    # the command line too: exit 2, one line, the .dot untouched
    assert main(["graph", "-o", str(tmp_path / "graph.svg")]) == 2
    assert mine.read_text() == "digraph mine { a -> b }\n"


def test_missing_graphviz_leaves_a_walkthrough_folder_as_it_was(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "walk"
    write_walkthrough(points(3), folder)
    before = snapshot(folder)
    no_graphviz(monkeypatch, tmp_path)
    with pytest.raises(GraphvizNotFoundError):
        write_walkthrough(one_point(), folder)
    assert snapshot(folder) == before  # before: step_*.dot and walkthrough.txt were written into it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk"]


# --- the walkthrough folder: whole or not at all -------------------------------------------------


def test_a_walkthrough_failing_halfway_leaves_the_previous_one_whole(tmp_path, monkeypatch) -> None:
    from tinygrad_lr.viz import walkthrough as module

    folder = tmp_path / "walk"
    write_walkthrough(points(3), folder)  # 16 steps (the data take none)
    before = snapshot(folder)
    real = module.atomic_write
    calls = []

    def disk_full_on_the_third_file(path, data):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(module, "atomic_write", disk_full_on_the_third_file)
    with pytest.raises(OSError, match="No space left"):
        write_walkthrough(one_point(), folder)  # 8 steps: would have mixed with the 22 old ones
    assert snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["walk"]  # no temporary folder left
    monkeypatch.setattr(module, "atomic_write", real)
    write_walkthrough(one_point(), folder)
    assert len(list(folder.glob("step_*.svg"))) == 8  # a whole new walkthrough, nothing of the old


def test_a_folder_holding_the_users_files_is_refused_not_emptied(tmp_path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "my_notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="holds other files \\(my_notes.txt\\)"):
        write_walkthrough(one_point(), folder)
    assert snapshot(folder) == {"my_notes.txt": b"mine"}


# --- Graphviz present but failing: one line quoting it, naming the user's path ---------------------


@pytest.mark.parametrize("code", [1, 0])  # a non-zero exit, or a message on stderr with exit 0
def test_a_failing_graphviz_is_one_line_quoting_its_message(tmp_path, monkeypatch, capsys, code) -> None:
    picture = draw_graph(one_point())
    failing_graphviz(monkeypatch, tmp_path, "Warning: font Helvetica not found", code)
    target = tmp_path / "out" / "g.svg"
    target.parent.mkdir()
    with pytest.raises(GraphvizError) as info:
        save_graph(picture, target)
    message = str(info.value)
    assert "\n" not in message and "Warning: font Helvetica not found" in message
    assert str(target) in message and ".tmp" not in message
    assert not target.exists() and list(target.parent.iterdir()) == []
    with pytest.raises(GraphvizError, match="font Helvetica"):
        write_walkthrough(one_point(), tmp_path / "walk")
    assert not (tmp_path / "walk").exists()
    capsys.readouterr()
    assert main(["graph", "-o", str(target), "--walkthrough", str(tmp_path / "walk")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "font Helvetica not found" in err


# --- one rule for output folders -----------------------------------------------------------------


def test_a_missing_parent_folder_is_refused_by_every_output_the_same_way(tmp_path, capsys) -> None:
    missing = tmp_path / "no" / "such"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_graph(draw_graph(one_point()), missing / "g.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_walkthrough(one_point(), missing / "walk")
    for argv in (
        ["graph", "-o", str(missing / "g.svg")],
        ["graph", "-o", str(tmp_path / "g.svg"), "--walkthrough", str(missing / "walk")],
        ["demo", "--out", str(missing / "demo")],
    ):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "does not exist" in err and str(missing) in err and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing created, not even g.svg
    # the output itself may be new: a walkthrough folder in an existing folder is made
    assert write_walkthrough(one_point(), tmp_path / "walk").exists()


# --- size limits before the work ------------------------------------------------------------------


def test_too_large_is_refused_before_any_ordering_or_folding(monkeypatch) -> None:
    from tinygrad_lr.viz import draw, limits, walkthrough

    L = points(200)  # 2401 nodes

    def never(*_args):
        raise AssertionError("the whole graph was walked before the limit was checked")

    monkeypatch.setattr(walkthrough, "topological_order", never)
    monkeypatch.setattr(draw, "topological_order", never)
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=100"):
        walkthrough_frames(L)
    monkeypatch.setattr(limits, "FOLD_MAX_GRAPH_NODES", 1000)
    with pytest.raises(GraphTooLargeError, match="too many to fold"):
        draw_graph(L, fold=True)
    monkeypatch.setattr(limits, "COUNT_CAP", 1000)
    with pytest.raises(GraphTooLargeError, match="more than 1000 nodes"):
        draw_graph(L)


def test_the_early_count_stops_at_the_limit() -> None:
    from tinygrad_lr.graph import topological_order
    from tinygrad_lr.viz.limits import _count_nodes

    L = points(50)
    assert _count_nodes(L, 10**6) == len(topological_order(L)) == 351  # every node, under the cap
    assert _count_nodes(L, 100) == 101  # one past the cap, and no further


def test_the_command_refuses_a_large_graph_before_building_it(tmp_path, monkeypatch, capsys) -> None:
    from tinygrad_lr.cli.commands import graph as command
    from tinygrad_lr.viz import limits

    built = []
    real = command._graph_loss
    monkeypatch.setattr(command, "_graph_loss", lambda args: built.append(len(args.x)) or real(args))
    monkeypatch.setattr(limits, "FOLD_MAX_GRAPH_NODES", 1000)
    xs = [str(i) for i in range(1, 301)]  # 300 points: 2101 nodes
    cases = ((["--fold"], "too many to fold"), (["--walkthrough", "w"], "walkthrough's graph has more than"))
    for extra, message in cases:
        built.clear()
        assert main(["graph", "--x", *xs, "--y", *xs, "-o", str(tmp_path / "g.svg"), *extra]) == 2
        assert message in capsys.readouterr().err
        assert built == [1, 2]  # only the graphs of 1 and 2 points, to measure the size per point
    assert list(tmp_path.iterdir()) == []
