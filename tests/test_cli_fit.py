"""`tinygrad-lr fit`: the tutorials from the command line, text and JSON output, and errors."""

import json

import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.compare import allclose, assert_close

ENGINES = ["value", "tensor"]


@pytest.fixture
def step_by_step_csv(tmp_path):
    p = tmp_path / "points.csv"
    p.write_text("1,3\n2,5\n3,7\n")  # section 2's training points, no header
    return str(p)


@pytest.fixture
def course_csv(tmp_path):
    p = tmp_path / "course.csv"
    p.write_text("x,y\n1,2\n2,4\n3,6\n")  # section 5's points, with a header
    return str(p)


def run_json(capsys, argv):
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return json.loads(out)


@pytest.mark.parametrize("engine", ENGINES)
def test_section2_json(capsys, step_by_step_csv, engine):
    argv = ["fit", step_by_step_csv, *"--loss sse --lr 0.01 --epochs 1000 --init-w 1 --init-b 0".split()]
    out = run_json(capsys, [*argv, "--engine", engine, "--json", "--predict", "4"])
    assert_close(out["w"], 2.000148389025502, rtol=0.0, atol=1e-12)
    assert_close(out["b"], 0.9996626768662412, rtol=0.0, atol=1e-12)
    assert (out["w"], out["b"]) == (2.000148389025502, 0.9996626768662412)
    assert out["initial_loss"] == 29.0 and out["epochs"] == 1000 and len(out["losses"]) == 1000
    assert_close(out["losses"][0], 12.9612, rtol=0.0, atol=1e-12)
    assert out["loss"] == out["losses"][-1] < 1e-7
    assert allclose(out["predictions"][0], 9, rtol=0.0, atol=1e-3) and out["engine"] == engine


def test_section2_text(capsys, step_by_step_csv):
    argv = ["fit", step_by_step_csv, "--loss", "sse", "--lr", "0.01", "--epochs", "1000", "--init-w", "1"]
    argv += ["--predict", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "initial loss: 29  at w = 1.0, b = 0.0" in lines
    assert "final: w = 2.000148389025502, b = 0.9996626768662412" in lines
    assert lines[1] == "model: y = w*x + b  (engine value)"
    table_start = lines.index(next(line for line in lines if line.strip().startswith("epoch")))
    first_row = lines[table_start + 1].split()
    assert first_row == ["1", "12.9612", "1.4", "0.18"]  # the step worked by hand
    table = lines[table_start + 1 : lines.index("final: w = 2.000148389025502, b = 0.9996626768662412")]
    assert 3 <= len(table) <= 10 and table[-1].split()[0] == "1000"
    assert any(line.startswith("prediction at x=4: 9.000") for line in lines)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer, expected", [("gd", 1.9999444396553017), ("sgd", 1.9999999999999236)])
def test_section5_gd_and_sgd(capsys, course_csv, engine, optimizer, expected):
    argv = ["fit", course_csv, *"--no-bias --init-w 1 --loss mse --lr 0.01 --epochs 100".split()]
    out = run_json(capsys, [*argv, "--optimizer", optimizer, "--engine", engine, "--json"])
    assert_close(out["w"], expected, rtol=0.0, atol=1e-12)
    assert out["w"] == expected
    assert "b" not in out and out["features"] == ["x"] and out["target"] == "y"


def test_minibatch_of_everything_equals_gd(capsys, tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("".join(f"{x / 7:.6f},{4 + 3 * x / 7 + (-1) ** x * 0.3:.6f}\n" for x in range(20)))
    gd = run_json(capsys, ["fit", str(p), *"--lr 0.1 --epochs 50 --json".split()])
    mb = run_json(
        capsys, ["fit", str(p), *"--lr 0.1 --epochs 50 --json --optimizer minibatch --batch-size 20".split()]
    )
    assert abs(gd["w"] - mb["w"]) <= 1e-12 and abs(gd["b"] - mb["b"]) <= 1e-12
    shuffled = [
        "fit",
        str(p),
        *"--lr 0.1 --epochs 5 --optimizer minibatch --batch-size 3 --shuffle --seed 4 --json".split(),
    ]
    sh = run_json(capsys, shuffled)
    again = run_json(capsys, shuffled)
    assert sh == again and sh["updates"] == 5 * 7


def test_several_features_by_header_name(capsys, tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("id;hours;sleep;score\n1;1;8;3\n2;2;7;4\n3;3;9;6\n4;4;6;5\n")
    argv = ["fit", str(p), "--delimiter", ";", "--features", "hours", "sleep", "--target", "score"]
    out = run_json(capsys, [*argv, "--epochs", "3", "--init-w", "0.5", "-0.5", "--json"])
    assert isinstance(out["w"], list) and len(out["w"]) == 2 and out["features"] == ["hours", "sleep"]
    assert main([*argv, "--epochs", "3"]) == 0
    assert "model: score = w1*hours + w2*sleep + b" in capsys.readouterr().out


def test_tab_delimiter_and_column_indices(capsys, tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("3\t1\n5\t2\n7\t3\n")
    out = run_json(capsys, ["fit", str(p), *"--delimiter tab --features 1 --target 0 --json".split()])
    assert out["n_samples"] == 3 and out["epochs"] == 100


def test_divergence_is_one_line_on_stderr(capsys, step_by_step_csv):
    assert main(["fit", step_by_step_csv, "--loss", "sse", "--lr", "0.5", "--init-w", "1", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("tinygrad-lr fit: error: training diverged at epoch 5 with learning rate 0.5")
    assert "lr < 0.0600983" in err


@pytest.mark.parametrize(
    "text, extra, message",
    [
        (None, [], "no such file"),
        ("", [], "the file is empty"),
        ("1,2\n3\n", [], "line 2: 1 cell, but line 1 has 2"),
        ("1,2\n3,x\n", [], "line 2, column 2: 'x' is not a number"),
        ("1,2\n3,inf\n", [], "not a finite number"),
        ("1\n2\n", [], "only one column"),
        ("1,2\n3,4\n", ["--lr", "0"], "--lr must be positive, got 0.0"),
        ("1,2\n3,4\n", ["--lr", "nan"], "finite"),
        ("1,2\n3,4\n", ["--optimizer", "gd", "--batch-size", "2"], "needs --optimizer minibatch"),
        ("1,2\n3,4\n", ["--optimizer", "minibatch", "--batch-size", "3"], "larger than the data set"),
        ("1,2\n3,4\n", ["--optimizer", "minibatch"], "needs a batch size"),
        ("1,2\n3,4\n", ["--init-w", "1", "2"], "--init-w takes 1 number or 1"),
        ("1,2\n3,4\n", ["--no-bias", "--init-b", "1"], "--init-b needs a bias"),
        ("1,2\n3,4\n", ["--epochs", "-1"], "epochs"),
        ("1,2\n3,4\n", ["--target", "score"], "no header"),
        ("1,2,3\n3,4,5\n", ["--predict", "1", "2", "3"], "--predict takes 2 numbers per sample"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, text, extra, message):
    p = tmp_path / "bad.csv"
    if text is not None:
        p.write_text(text)
    assert main(["fit", str(p), *extra]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("tinygrad-lr fit: error: ") and message in err


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_newton_lands_on_least_squares_in_one_step(capsys, engine):
    import numpy as np

    from tinygrad_lr import load_csv

    data = load_csv("examples/data/study_hours.csv")
    A = np.column_stack([data.X, np.ones(data.n_samples)])
    (w_ls, b_ls), *_ = np.linalg.lstsq(A, data.y, rcond=None)  # the closed form, independently
    assert main(["fit", "examples/data/study_hours.csv", "--optimizer", "newton", "--epochs", "1",
                 "--engine", engine, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert_close(out["w"], w_ls, rtol=1e-10, atol=1e-12)
    assert_close(out["b"], b_ls, rtol=1e-10, atol=1e-12)
    assert out["converged"] is True
    # Newton takes no --momentum, and refuses it in one line
    assert main(["fit", "examples/data/study_hours.csv", "--optimizer", "newton", "--momentum", "0.9"]) == 2
    assert capsys.readouterr().err.strip() == (
        "tinygrad-lr fit: error: --momentum does not apply to --optimizer newton"
    )
