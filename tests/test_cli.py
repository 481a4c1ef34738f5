"""The command line's common behaviour and the main job (the demo)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_lr import __version__
from tinygrad_lr.cli import main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "fit", "graph", "gradcheck"):
        assert re.search(rf"^\s+{command}\s", out, re.M), command


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"tinygrad-lr {__version__}"


def test_usage_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--lr", "abc", "data.csv"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "invalid float value: 'abc'" in err and "--help" in err


def test_demo_backprops_trains_and_renders(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # one sample x=1, y=3 at w=1, b=0: f = 1, f - y = -2, L = 4, dL/dw = dL/db = 2*(-2)*1 = -4
    assert re.search(r"^\s+L\s+\*\*2\s+4\s+1$", out, re.M)
    assert re.search(r"^\s+w\s+leaf\s+1\s+-4$", out, re.M)
    assert re.search(r"^\s+b\s+leaf\s+0\s+-4$", out, re.M)
    assert "dL/dw = dL/d(w*x) * d(w*x)/dw = -4 * 1 = -4" in out
    # the three-point worked example and the tutorial's 1000 iterations
    assert "Loss(1, 0) = 29   dLoss/dw = -40   dLoss/db = -18" in out
    assert "loss 29 -> after 1 step 12.9612" in out
    assert "w = 2.000148389025502, b = 0.9996626768662412" in out
    svg = (tmp_path / "graph.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "grad &#45;40" in svg and "grad &#45;18" in svg
    # the data are named and drawn as data (x1, y1, ...), never as plain numbers such as "3"
    assert all(f">x{i} (data)<" in svg and f">y{i} (data)<" in svg for i in (1, 2, 3))
    assert ">3<" not in svg and "w*3" not in svg
    page = (tmp_path / "walkthrough" / "index.html").read_text()
    assert "<svg" in page and "http://" not in page and "https://" not in page
    # the walkthrough: 16 steps from the loss to w and b; the data x1 ... y3 take none of their own
    assert len(list((tmp_path / "walkthrough").glob("step_*.svg"))) == 16
    steps = (tmp_path / "walkthrough" / "walkthrough.txt").read_text()
    assert "x1" in steps and not re.search(r"dLoss/d(x|y)\d =", steps)
    replay_page = tmp_path / "replay" / "index.html"
    assert f"watch it learn, update by update (open in a browser): {replay_page}" in out
    replay = (tmp_path / "replay" / "index.html").read_text()
    assert "<svg" in replay and "http://" not in replay and "https://" not in replay


def test_demo_ends_with_what_to_do_next_and_every_step_it_names_exists(tmp_path, capsys, monkeypatch):
    from tinygrad_lr.exercises import EXERCISES

    assert main(["demo", "--out", str(tmp_path), "--no-render"]) == 0
    out = capsys.readouterr().out
    tail = out[out.rindex("What next:"):]
    assert out.rstrip().endswith(tail.rstrip())  # the last thing the demo says
    root = Path(__file__).resolve().parent.parent
    for path in ("docs/tutorial.md", "notebooks/01_worked_example.ipynb"):
        assert path in tail and (root / path).exists()
    assert "first of seven exercises" in tail and len(EXERCISES) == 7
    assert "do it yourself: tinygrad-lr check --new 1 writes" in tail
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--new", "1"]) == 0  # the command it names works, and writes the stub
    assert [p.name for p in tmp_path.glob("ex1_*.py")] == ["ex1_local_derivatives.py"]


def test_demo_without_graphviz_prints_everything_then_says_which_pictures_it_skipped(tmp_path, capsys,
                                                                                      monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))  # no `dot` anywhere
    assert main(["demo", "--out", str(tmp_path / "out")]) == 0  # the lesson is complete without pictures
    out = capsys.readouterr().out
    text, _, skipped = out.partition("pictures skipped (3):")
    assert "Loss(1, 0) = 29   dLoss/dw = -40   dLoss/db = -18" in text
    assert "w = 2.000148389025502, b = 0.9996626768662412" in text  # part 3 ran after the failed pictures
    assert "graph.svg" in skipped and "walkthrough/" in skipped and "replay/" in skipped
    assert "'dot' program was not found" in skipped
    assert (tmp_path / "out" / "replay" / "updates.csv").exists()  # the replay's numbers and other panels
    skipped, _, next_steps = skipped.partition("What next:")  # and then, last, where to go from here
    assert "install Graphviz: " in skipped and skipped.strip().endswith("then run this again.")
    assert "tinygrad-lr check --new 1" in next_steps
    assert (tmp_path / "out" / "graph.dot").exists()  # the DOT source is there to render later
    assert not (tmp_path / "out" / "graph.svg").exists()


def test_module_entry_point_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "--version"], capture_output=True, text=True, check=False,
        cwd=Path(__file__).parent,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"tinygrad-lr {__version__}"


def test_graph_folds_a_picture_wider_than_a_screen_by_default(tmp_path, capsys):
    """30 points drawn unfolded made a PNG 13,967 px wide; past a screen's 1920 px the command
    folds by default (saying so), and --no-fold still draws every sample."""
    xs = [str(float(i)) for i in range(1, 31)]
    ys = [str(2.0 * i + 1) for i in range(1, 31)]
    assert main(["graph", "--x", *xs, "--y", *ys, "-o", str(tmp_path / "g.png")]) == 0
    out = capsys.readouterr().out
    assert "(folded: unfolded it would be" in out and "--no-fold draws it so)" in out
    unfolded_px = float(out.split("unfolded it would be ")[1].split(" px")[0])
    assert unfolded_px > 10_000
    width = int.from_bytes((tmp_path / "g.png").read_bytes()[16:20], "big")
    assert width <= 1920  # folded it was still 2063 px in a row: stacked top to bottom, it fits
    assert "(stacked top to bottom: left to right it would be" in out and "--rankdir LR draws it so)" in out
    row_px = float(out.split("left to right it would be ")[1].split(" px")[0])
    assert 1920 < row_px < unfolded_px
    assert main(["graph", "--x", *xs, "--y", *ys, "-o", str(tmp_path / "row.png"), "--rankdir", "LR"]) == 0
    assert "stacked" not in capsys.readouterr().out  # asked for a row: a row, however wide
    assert int.from_bytes((tmp_path / "row.png").read_bytes()[16:20], "big") > 1920
    assert main(["graph", "--x", *xs, "--y", *ys, "-o", str(tmp_path / "wide.svg"), "--no-fold"]) == 0
    assert "folded" not in capsys.readouterr().out
    assert "x30 (one subgraph" not in (tmp_path / "wide.svg").read_text()
    assert main(["graph", "--x", "1", "2", "3", "--y", "3", "5", "7", "-o", str(tmp_path / "three.svg")]) == 0
    assert "folded" not in capsys.readouterr().out  # three points fit a screen: drawn in full


def test_a_new_command_is_one_file(tmp_path, monkeypatch, capsys):
    """A module with add(sub) and run(args) in cli/commands/ is a command: nothing else lists them
    (here the folder is a temporary one added to the package's path, as a new file would be)."""
    import sys

    import tinygrad_lr.cli as cli
    from tinygrad_lr.cli import commands

    (tmp_path / "hello.py").write_text(
        "HELP_ORDER = 99\n"
        "def add(sub):\n"
        "    p = sub.add_parser('hello', help='say hello')\n"
        "    p.add_argument('--name', default='world')\n"
        "    p.set_defaults(func=run)\n"
        "def run(args):\n"
        "    print(f'hello, {args.name}')\n"
        "    return 0\n"
    )
    monkeypatch.setattr(commands, "__path__", [*commands.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "tinygrad_lr.cli.commands.hello", raising=False)
    monkeypatch.setattr(cli, "COMMANDS", commands.discover())
    assert main(["hello", "--name", "learner"]) == 0
    assert capsys.readouterr().out == "hello, learner\n"
    with pytest.raises(SystemExit):
        main(["--help"])
    assert re.search(r"^\s+hello\s+say hello", capsys.readouterr().out, re.M)
