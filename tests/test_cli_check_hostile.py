"""``tinygrad-lr check`` against hostile files and paths: each is one clear line or one graded row,
the other files are still graded, nothing of the grader's own traceback shows, no path is
misnamed, and nothing a submission starts outlives its check.

Every check here starts a child process, so the limits are short and the files few.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

import pytest

from tinygrad_lr.cli import build_parser, main
from tinygrad_lr.exercises import check

SOLUTIONS = Path(__file__).parent / "exercise_solutions"
RIGHT_EX2 = (SOLUTIONS / "ex2.py").read_text().replace("def right(", "def grad_one_sample(")


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# --- paths: a directory, a file where a folder belongs, a missing folder, an internal temporary --


def test_a_directory_given_as_the_file_is_called_a_directory(tmp_path, capsys):
    (tmp_path / "adir").mkdir()
    assert main(["check", str(tmp_path / "adir")]) == 2
    assert "adir is a directory, not a file" in _err(capsys)  # today: "no such file"
    (tmp_path / "afile").write_text("x")
    assert main(["check", str(tmp_path / "afile" / "ex2.py")]) == 2
    assert "afile is a file, not a folder" in _err(capsys)


@pytest.fixture
def no_grading(monkeypatch):
    """Fail the test if any file gets graded: a refused output must cost nothing."""
    import tinygrad_lr.exercises.sandbox as sandbox

    def grade(*args, **kwargs):
        raise AssertionError("graded before the output path was checked")

    monkeypatch.setattr(sandbox, "grade", grade)


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.py").write_text(RIGHT_EX2)
    return folder


def test_an_output_under_a_file_is_refused_before_any_grading(tmp_path, capsys, no_grading):
    folder = _class(tmp_path)
    (tmp_path / "afile").write_text("mine")
    assert main(["check", "--grade", str(folder), "--out", str(tmp_path / "afile" / "g.csv")]) == 2
    err = _err(capsys)
    assert "afile is a file, not a folder" in err and "Errno" not in err  # today: [Errno 17] File exists
    assert (tmp_path / "afile").read_text() == "mine"


def test_an_output_in_a_missing_folder_follows_the_documented_rule(tmp_path, capsys, no_grading):
    folder = _class(tmp_path)
    assert main(["check", "--grade", str(folder), "--out", str(tmp_path / "nodir" / "g.csv")]) == 2
    assert "the folder" in _err(capsys) and not (tmp_path / "nodir").exists()  # today: created
    assert main(["check", "--new", "2", str(tmp_path / "nodir" / "ex2.py")]) == 2
    assert "does not exist" in _err(capsys) and not (tmp_path / "nodir").exists()
    (tmp_path / "adir").mkdir()
    assert main(["check", "--new", "2", str(tmp_path / "adir")]) == 2
    assert "adir: it is a directory, not a file" in _err(capsys)
    assert main(["check", "--grade", str(folder), "--out", str(tmp_path / "adir")]) == 2
    _err(capsys)


NO_PROC = not os.path.isdir("/proc/self")


@pytest.mark.skipif(NO_PROC, reason="needs Linux's /proc, a folder that takes no new file")
def test_an_unwritable_output_is_refused_before_grading_by_its_own_name(tmp_path, capsys, no_grading):
    assert main(["check", "--grade", str(_class(tmp_path)), "--out", "/proc/g.csv"]) == 2
    err = _err(capsys)
    assert "cannot write /proc/g.csv" in err and ".g.csv." not in err  # today: /proc/.g.csv.xxxx.csv


def test_grade_names_what_the_folder_is(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["check", "--grade", str(tmp_path / "afile")]) == 2
    assert "afile is a file, not a folder" in _err(capsys)
    assert main(["check", "--grade", str(tmp_path / "nodir")]) == 2
    assert "nodir: no such folder" in _err(capsys)


def _int_options():
    """Every whole-number option of every command, with what that command needs to parse."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        needed = [a for a in p._actions if not a.option_strings and a.nargs is None]
        for action in p._actions:
            if action.type is int and action.option_strings:
                yield name, action.option_strings[0], ["x.csv"] * len(needed)


@pytest.mark.parametrize("command, flag, rest", list(_int_options()))
def test_every_whole_number_option_names_itself_when_negative(command, flag, rest, capsys):
    assert main([command, *rest, flag, "-3"]) == 2  # fit --seed -3 was "expected non-negative integer"
    assert f"error: {flag} must be a whole number >= 0, got -3" in _err(capsys)


@pytest.mark.parametrize(
    "args, said",
    [
        (["--lr", "-1"], "--lr must be positive, got -1.0"),  # was "the learning rate must be ..."
        (["--optimizer", "minibatch", "--batch-size", "0"], "--batch-size must be at least 1, got 0"),
        (["--optimizer", "momentum", "--momentum", "-1"], "--momentum must be a number >= 0, got -1.0"),
        (["--optimizer", "adamw", "--weight-decay", "-1"], "--weight-decay must be a number >= 0, got -1.0"),
        (["--optimizer", "adam", "--betas", "0.9", "1"], "--betas: beta2 must be a number in [0, 1), got 1.0"),  # noqa: E501
        (["--schedule", "exponential:-1"], "--schedule: gamma must be a number >= 0, got -1.0"),
    ],
)
def test_fits_option_errors_name_the_flag(args, said, tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("1,3\n2,5\n3,7\n")
    assert main(["fit", str(data), *args]) == 2
    assert _err(capsys) == f"tinygrad-lr fit: error: {said}\n"


def test_an_error_about_an_option_is_told_by_its_flag(monkeypatch, capsys):
    import tinygrad_lr.cli.commands.check as command

    class OptionProblem(ValueError):  # what a library error about an option carries
        option = "time_limit"

        def for_flag(self, flag):
            return f"{flag} must be > 0, got -1"

    def run(args):
        raise OptionProblem("time_limit must be > 0, got -1")

    monkeypatch.setattr(command, "run", run)
    assert main(["check", "x.py"]) == 2
    assert "tinygrad-lr check: error: --time-limit must be > 0, got -1" in _err(capsys)


# --- submissions that cannot be read, parsed or placed -------------------------------------------------


def test_files_python_cannot_read_are_one_row_each_and_the_rest_are_graded(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    terms = "+".join(["1"] * 5000)  # ast.parse itself raises RecursionError on this
    (folder / "a_deep.py").write_text(
        f"# tinygrad-lr exercise 2\ndef grad_one_sample(w, b, x, y):\n    return {terms}, 0\n"
    )
    (folder / "b_binary.py").write_bytes(bytes(range(256)) * 8)
    (folder / "c_empty.py").write_text("")
    (folder / "d_huge.py").write_text("# tinygrad-lr exercise 2\n" + "#" * (2**20 + 10))
    (folder / "e_right.py").write_text(RIGHT_EX2)
    (folder / "f_dir.py").mkdir()  # not a file: not a submission
    out = tmp_path / "g.json"
    assert main(["check", "--grade", str(folder), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    rows = {Path(r["file"]).name: r for r in json.loads(out.read_text())}
    assert list(rows) == ["a_deep.py", "b_binary.py", "c_empty.py", "d_huge.py", "e_right.py"]
    deep = rows["a_deep.py"]
    assert deep["status"] == "error" and deep["exercise"] == 2
    assert deep["diagnosis"].startswith(
        "a_deep.py could not be read: Python itself cannot compile it (RecursionError"
    )
    assert "not UTF-8 text" in rows["b_binary.py"]["diagnosis"]
    assert rows["c_empty.py"]["diagnosis"].startswith("no exercise header")
    huge = rows["d_huge.py"]["diagnosis"]
    assert huge.startswith("d_huge.py could not be read: ") and "at most 1 MB" in huge
    assert rows["e_right.py"]["status"] == "pass"


def test_a_file_without_header_is_no_exercise_not_exercise_0(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "mine.py").write_text("def something():\n    return 1\n")
    csv_out, json_out = tmp_path / "g.csv", tmp_path / "g.json"
    assert main(["check", "--grade", str(folder), "--out", str(csv_out)]) == 0
    assert "mine.py  ex?  error     no exercise header" in capsys.readouterr().out
    assert main(["check", "--grade", str(folder), "--out", str(json_out)]) == 0
    capsys.readouterr()
    (row,) = csv.DictReader(csv_out.read_text().splitlines())
    (entry,) = json.loads(json_out.read_text())
    assert row["exercise"] == "" and entry["exercise"] is None  # today: 0
    assert row["diagnosis"].startswith("no exercise header: mine.py has no '# tinygrad-lr exercise N' line")
    assert row["file"] == entry["file"] == str(folder / "mine.py")  # the same path in both tables
    assert main(["check", str(folder / "mine.py")]) == 2
    assert capsys.readouterr().out.startswith(f"no exercise ({folder / 'mine.py'}): COULD NOT RUN")


def test_a_memory_blow_up_at_import_time_is_not_your_function(tmp_path, capsys):
    f = tmp_path / "hog.py"
    f.write_text(
        "# tinygrad-lr exercise 2\nchunks = bytearray(10**10)\n\n"
        "def grad_one_sample(w, b, x, y):\n    return 0, 0\n"
    )
    assert main(["check", str(f), "--memory-limit", "100", "--time-limit", "2"]) == 2
    out = capsys.readouterr().out
    assert "hog.py ran out of memory while loading, in its top-level code (the limit is 100 MB)" in out
    assert "your function" not in out


# --- nothing a submission starts outlives its check -------------------------------------------------

FORKER = """\
# tinygrad-lr exercise 2
import os, time

PIDS = {pids!r}


def grad_one_sample(w, b, x, y):
    if not os.environ.get("FORKED"):
        os.environ["FORKED"] = "1"
        for i in range(20):
            if os.fork() == 0:
                if i % 2:  # half of them leave the check's session, and double-fork
                    os.setsid()
                    if os.fork():
                        os._exit(0)
                with open(PIDS, "a") as fh:
                    fh.write(f"{{os.getpid()}}\\n")
                time.sleep(120)
                os._exit(0)
        deadline = time.monotonic() + 30  # every child has said who it is before the answer returns
        while time.monotonic() < deadline:  # (under load the check could end one before it wrote)
            if os.path.exists(PIDS) and len(open(PIDS).read().split()) >= 20:
                break
            time.sleep(0.01)
        {then}
    r = w * x + b - y
    return 2 * r * x, 2 * r
"""


def _alive(pids_file: Path, expect: int = 20) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # every child has written its pid
        pids = [int(p) for p in pids_file.read_text().split()] if pids_file.exists() else []
        if len(pids) >= expect:
            break
        time.sleep(0.05)
    assert len(pids) == expect, f"{len(pids)} children reported, {expect} expected"
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.append(pid)
    return alive


def _end(pids: list[int]) -> None:
    import signal

    for pid in pids:  # the test's own leftovers, by their ids, if the check left any
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("then", ["time.sleep(0)", "while True: pass"], ids=["returns", "times_out"])
def test_nothing_a_submission_forks_outlives_its_check(tmp_path, capsys, then):
    pids = tmp_path / "pids.txt"
    f = tmp_path / "forker.py"
    f.write_text(FORKER.format(pids=str(pids), then=then))
    code = main(["check", str(f), "--time-limit", "3"])
    assert code == (0 if then.startswith("time") else 2), capsys.readouterr()
    alive = _alive(pids)
    _end(alive)
    assert alive == []  # today: all 20 still running after check returns


def test_nothing_a_graded_submission_forks_outlives_the_grading(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    pids = tmp_path / "pids.txt"
    (folder / "a.py").write_text(FORKER.format(pids=str(pids), then="time.sleep(0)"))
    (folder / "b.py").write_text(RIGHT_EX2)
    assert main(["check", "--grade", str(folder), "--out", str(tmp_path / "g.csv"), "--jobs", "1"]) == 0
    alive = _alive(pids)
    _end(alive)
    assert alive == []


# --- a file with two slips names both ---------------------------------------------------------------


def test_two_slips_are_both_named():
    m4 = {}
    exec((SOLUTIONS / "ex4.py").read_text(), m4)
    uphill_and_stale = check(4, m4["update_uphill"], m4["gd_stale"])
    assert "uphill" in uphill_and_stale.diagnosis and "once for 1000 steps" in uphill_and_stale.diagnosis

    m6 = {}
    exec((SOLUTIONS / "ex6.py").read_text(), m6)
    both = check(6, m6["DegreesAndMinus"])
    assert "radians" in both.diagnosis and "the sign is wrong" in both.diagnosis

    def grad(w, b, x, y):  # dL/dw without the factor x, dL/db with the wrong sign
        r = w * x + b - y
        return 2 * r, -2 * r

    two = check(2, grad).diagnosis
    assert "d(w*x)/dw (how r moves when w moves), is missing" in two and "your dL/db = 4" in two

    def sgd(w, b, xs, ys, lr, epochs, rng=None):  # never zeroes, and shuffles x and y separately
        n = len(xs)
        for _ in range(epochs):
            ox = list(range(n)) if rng is None else rng.permutation(n)
            oy = list(range(n)) if rng is None else rng.permutation(n)
            for i, j in zip(ox, oy):
                loss = (w * xs[i] + b - ys[j]) ** 2
                loss.backward()
                w.data -= lr * w.grad
                b.data -= lr * b.grad

    sgd_two = check(5, sgd).diagnosis
    assert "never zeroed" in sgd_two and "shuffled separately" in sgd_two
