"""``tinygrad-lr check``: a learner's file checked in a separate process, with limits; a folder graded.

Every check here starts a child process, so the limits are short (1 s) and the files few.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.exercises import get, stub

SOLUTIONS = Path(__file__).parent / "exercise_solutions"


def test_right_file_passes_and_wrong_file_is_explained_as_json(capsys):
    assert main(["check", f"{SOLUTIONS / 'ex2.py'}:right", "--exercise", "2"]) == 0
    assert ": PASS" in capsys.readouterr().out
    assert main(["check", f"{SOLUTIONS / 'ex4.py'}:update_uphill,gd", "--exercise", "4", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "wrong" and out["exit_code"] == 1 and out["exercise"] == 4
    assert "returns w=0.6, b=-0.18; one gradient descent step gives w=1.4, b=0.18" in out["diagnosis"]


def test_endless_loop_is_stopped_and_reported(capsys):
    start = time.perf_counter()
    code = main(
        ["check", f"{SOLUTIONS / 'ex4.py'}:update,gd_forever", "--exercise", "4", "--time-limit", "1"]
    )
    elapsed = time.perf_counter() - start
    assert code == 2
    assert "your function did not return within 1 s" in capsys.readouterr().out
    assert elapsed < 15  # 1 s of loop, plus starting Python and numpy on a busy machine


def test_unbounded_allocation_is_stopped_and_reported(tmp_path, capsys):
    hog = tmp_path / "hog.py"
    hog.write_text(
        "def grad_one_sample(w, b, x, y):\n"
        "    chunks = []\n"
        "    while True:\n"
        "        chunks.append(bytearray(10**7))\n"
    )
    code = main(["check", str(hog), "--exercise", "2", "--memory-limit", "100", "--time-limit", "2"])
    assert code == 2
    assert "ran out of memory (the limit is 100 MB)" in capsys.readouterr().out


def test_new_writes_the_stub_and_never_overwrites(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--new", "3"]) == 0
    path = tmp_path / get(3).filename
    assert path.read_text() == stub(3)
    path.write_text("# my work\n")
    assert main(["check", "--new", "3"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "# my work\n"


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert main(["check", str(SOLUTIONS / "ex2.py"), "--exercise", "9"]) == 2
    assert main(["check", "--grade", str(tmp_path)]) == 2  # no .py files
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and "no such file" in err[0] and "--exercise" in err[1] and "no .py files" in err[2]


def test_file_without_marker_or_known_functions_needs_exercise(tmp_path, capsys):
    f = tmp_path / "mine.py"
    f.write_text("def something(): pass\n")
    assert main(["check", str(f)]) == 2
    assert "pass --exercise N" in capsys.readouterr().out


def _submissions(folder: Path) -> dict[str, str]:
    """A class's folder: right, wrong, untouched, broken, endless and crashing submissions."""
    right = (SOLUTIONS / "ex3.py").read_text().replace("def right(", "def grad_dataset(")
    summed = (SOLUTIONS / "ex3.py").read_text().replace("def summed(", "def grad_dataset(")
    files = {
        "alice.py": "# tinygrad-lr exercise 3\n" + right,
        "bob.py": summed,
        "carol.py": stub(3),
        "dave.py": "def grad_dataset(w, b, xs, ys)\n    return 0, 0\n",
        "erin.py": "def grad_dataset(w, b, xs, ys):\n    while True:\n        pass\n",
        "frank.py": "import os\n\ndef grad_dataset(w, b, xs, ys):\n    os._exit(3)\n",
        "gina.py": "def grad_dataset(w, b, xs, ys):\n    return [0] * 10**10, 0\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return files


def test_teacher_grades_a_folder_and_one_broken_file_never_stops_the_rest(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    _submissions(folder)
    out = tmp_path / "grades.csv"
    out.write_text("old grades\n")
    before = sorted(p.name for p in folder.iterdir())
    args = ["check", "--grade", str(folder), "--exercise", "3", "--out", str(out), "--time-limit", "1"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "1 pass, 1 wrong, 1 not done, 4 could not run (7 files" in printed
    with out.open() as fh:
        rows = {Path(r["file"]).name: r for r in csv.DictReader(fh)}
    assert list(rows) == ["alice.py", "bob.py", "carol.py", "dave.py", "erin.py", "frank.py", "gina.py"]
    assert [r["file"] for r in rows.values()] == [str(folder / name) for name in rows]  # as the JSON
    assert rows["alice.py"]["status"] == "pass" and rows["alice.py"]["exit_code"] == "0"
    assert rows["bob.py"]["status"] == "wrong" and "SUM over the 3 samples" in rows["bob.py"]["diagnosis"]
    assert rows["carol.py"]["status"] == "not done"
    assert rows["dave.py"]["status"] == "error" and "does not compile" in rows["dave.py"]["diagnosis"]
    assert "did not return within 1 s" in rows["erin.py"]["diagnosis"]
    assert "exit status 3" in rows["frank.py"]["diagnosis"]
    assert "ran out of memory (the limit is 512 MB)" in rows["gina.py"]["diagnosis"]
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written into the class's folder


def test_a_submission_that_kills_its_worker_is_one_row(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.py").write_text(
        "import os, signal\n\ndef grad_one_sample(w, b, x, y):\n    os.kill(os.getppid(), signal.SIGKILL)\n"
    )
    (folder / "b.py").write_text(
        (SOLUTIONS / "ex2.py").read_text().replace("def right(", "def grad_one_sample(")
    )
    out = tmp_path / "grades.json"
    assert main(["check", "--grade", str(folder), "--exercise", "2", "--jobs", "1", "--out", str(out)]) == 0
    a, b = json.loads(out.read_text())
    assert a["status"] == "error" and "grading worker died" in a["diagnosis"]
    assert b["status"] == "pass"  # checked by a new worker


def test_grade_as_json_and_a_failed_grading_leaves_the_old_table(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "ex6.py", folder / "zoe.py")
    out = tmp_path / "grades.json"
    assert main(["check", "--grade", str(folder), "--exercise", "6", "--out", str(out)]) == 0
    capsys.readouterr()
    (result,) = json.loads(out.read_text())
    assert result["status"] == "pass" and result["exercise"] == 6 and result["file"].endswith("zoe.py")
    out.write_text("kept")
    assert main(["check", "--grade", str(folder), "--out", str(tmp_path / "grades.txt")]) == 2
    assert main(["check", "--grade", str(folder / "zoe.py"), "--out", str(out)]) == 2  # not a folder
    assert out.read_text() == "kept"


@pytest.mark.parametrize("target", ["x.py:", "C:/x.py"])
def test_target_without_function_names_is_a_path(target):
    from tinygrad_lr.cli.commands.check import _split_target

    assert _split_target(target) == (target, None)
    assert _split_target("a/b.py:update,gd") == ("a/b.py", ["update", "gd"])
