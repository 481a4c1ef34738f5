"""Issue 12: random bytes, random CSV-like text and random option values fed to the command line.

Whatever comes in, ``tinygrad_lr.cli.main``: shows no traceback, exits 0 or 2 (``gradcheck`` may
also exit 1: a gradient disagreed, as documented), and touches no file but its own output.
The run is kept to a few seconds: tens of examples, tiny data, at most a few epochs.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinygrad_lr.cli import main

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(
        ["nan", "inf", "-inf", "1e999", "-1e308", "0", "-0", "1e-320", "abc", "", "0x10", "1_000"]
    ),
)
SMALL_INT_TEXT = st.one_of(
    st.integers(-3, 5).map(str), st.sampled_from(["abc", "1.5", "", "99999999999999999999"])
)
COLUMN_TEXT = st.sampled_from(["0", "1", "-1", "2", "7", "x", "y", "score", "", "-5"])

CELL = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32).map(lambda v: f"{v:g}"),
    st.integers(-100, 100).map(str),
    st.sampled_from(["", "x", "y", "nan", "1e308", "1e200", '"1.5"', "  3  ", "\t", "é", "1,5"]),
)
CSV_TEXT = st.lists(
    st.lists(CELL, min_size=0, max_size=4).map(lambda cells: ",".join(cells)), min_size=0, max_size=8
).map(lambda rows: "\n".join(rows) + "\n")
DATA = st.one_of(st.binary(max_size=200), CSV_TEXT.map(lambda t: t.encode("utf-8")))


@st.composite
def fit_argv(draw):
    argv = ["fit", "DATA"]
    options = draw(
        st.lists(
            st.sampled_from(
                [
                    "--lr",
                    "--epochs",
                    "--batch-size",
                    "--optimizer",
                    "--predict",
                    "--init-w",
                    "--init-b",
                    "--delimiter",
                    "--header",
                    "--no-header",
                    "--features",
                    "--target",
                    "--json",
                    "--stream",
                    "--chunk-rows",
                    "--shuffle",
                    "--replacement",
                    "--drop-last",
                    "--no-bias",
                    "--loss",
                    "--engine",
                    "--seed",
                    "--patience",
                ]
            ),
            max_size=6,
            unique=True,
        )
    )
    for opt in options:
        if opt in ("--lr", "--init-b"):
            argv.append(f"{opt}={draw(NUMBER_TEXT)}")
        elif opt in ("--epochs", "--batch-size", "--chunk-rows", "--seed", "--patience"):
            argv.append(f"{opt}={draw(SMALL_INT_TEXT)}")
        elif opt in ("--predict", "--init-w"):
            argv += [
                opt,
                *(
                    f"{v}"
                    for v in draw(
                        st.lists(NUMBER_TEXT.filter(lambda t: not t.startswith("-")), min_size=1, max_size=3)
                    )
                ),
            ]
        elif opt == "--optimizer":
            argv.append(f"--optimizer={draw(st.sampled_from(['gd', 'sgd', 'minibatch', 'adam', 'x']))}")
        elif opt == "--loss":
            argv.append(f"--loss={draw(st.sampled_from(['mse', 'sse', 'l1']))}")
        elif opt == "--engine":
            argv.append(f"--engine={draw(st.sampled_from(['value', 'tensor']))}")
        elif opt == "--delimiter":
            argv.append(f"--delimiter={draw(st.sampled_from([',', ';', 'tab', 'whitespace', ',,', '']))}")
        elif opt in ("--features", "--target"):
            argv += (
                [opt, draw(COLUMN_TEXT)]
                if opt == "--target"
                else [opt, *draw(st.lists(COLUMN_TEXT, min_size=1, max_size=2))]
            )
        else:
            argv.append(opt)
    return argv


@st.composite
def other_argv(draw):
    command = draw(st.sampled_from(["gradcheck", "graph", "demo"]))
    if command == "gradcheck":
        argv = ["gradcheck", "--csv", "DATA"] if draw(st.booleans()) else ["gradcheck"]
        for opt in draw(
            st.lists(
                st.sampled_from(["--w", "--b", "--eps", "--loss", "--json", "--breakdown"]),
                max_size=3,
                unique=True,
            )
        ):
            argv += (
                [opt]
                if opt in ("--json", "--breakdown")
                else [f"{opt}={draw(NUMBER_TEXT)}"]
                if opt != "--loss"
                else ["--loss=mse"]
            )
        return argv
    if command == "graph":
        xs = draw(st.lists(NUMBER_TEXT.filter(lambda t: not t.startswith("-")), min_size=1, max_size=3))
        ys = draw(st.lists(NUMBER_TEXT.filter(lambda t: not t.startswith("-")), min_size=1, max_size=3))
        return ["graph", "--x", *xs, "--y", *ys, f"--w={draw(NUMBER_TEXT)}", "-o", "OUT/g.dot"]
    return ["demo", "--no-render", f"--x={draw(NUMBER_TEXT)}", f"--w={draw(NUMBER_TEXT)}"]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


def _run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors: one line, status 2
            code = exc.code if isinstance(exc.code, int) else 2
    return code, err.getvalue()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=DATA, argv=st.one_of(fit_argv(), other_argv()))
def test_cli_survives_random_input(tmp_path_factory, data, argv):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "cwd").mkdir()
    (root / "OUT").mkdir()
    data_file = root / "data.csv"
    data_file.write_bytes(data)
    (root / "keep.txt").write_text("the user's file")
    argv = [str(data_file) if a == "DATA" else str(root / a) if a.startswith("OUT/") else a for a in argv]
    before = _snapshot(root)
    old = os.getcwd()
    os.chdir(root / "cwd")
    try:
        code, err = _run(argv)
    finally:
        os.chdir(old)
    assert "Traceback" not in err, (argv, err)
    allowed = {0, 1, 2} if argv[0] == "gradcheck" else {0, 2}
    assert code in allowed, (argv, code, err)
    if code != 0 and code != 1:
        assert err.strip() and err.strip().count("\n") == 0, (argv, err)  # one readable line
    after = _snapshot(root)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert all(k.startswith("OUT") for k in changed), (argv, changed)  # only the output path


@pytest.mark.parametrize("argv", [["fit", "DATA", "--predict", "1e308", "--init-w", "10", "--epochs", "0"]])
def test_fuzz_found_cases_stay_fixed(tmp_path, argv):
    data = tmp_path / "d.csv"
    data.write_text("1,2\n2,3\n")
    code, err = _run([str(data) if a == "DATA" else a for a in argv])
    assert code == 2 and "Traceback" not in err
