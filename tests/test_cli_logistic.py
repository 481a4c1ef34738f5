"""``tinygrad-lr fit --model logistic``: targets checked line by line, the answer compared with
Newton's method on the formulas, the metrics, and every hostile input as one readable line."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close
from tinygrad_lr.data import load_csv
from tinygrad_lr.logistic import irls

EXAM = "examples/data/exam_results.csv"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _csv(tmp_path, text: str) -> str:
    path = tmp_path / "data.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("bad", ["2", "-1", "0.5"])
def test_a_target_that_is_not_0_or_1_is_named_by_its_line(tmp_path, capsys, bad):
    path = _csv(tmp_path, f"x,passed\n1,0\n2,1\n\n3,{bad}\n")
    status, out, err = _run(capsys, "fit", path, "--model", "logistic")
    assert status == 2 and out == ""
    assert err == (
        f"tinygrad-lr fit: error: {path}, line 5, column 2 (passed): '{bad}' is not a class label; "
        "the target must be 0 or 1\n"
    )


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_nan_and_inf_targets_are_named_by_their_line(tmp_path, capsys, bad):
    path = _csv(tmp_path, f"1,0\n2,{bad}\n")
    status, out, err = _run(capsys, "fit", path, "--model", "logistic")
    assert status == 2 and f"line 2, column 2: '{bad}' is not a finite number" in err and err.count("\n") == 1


def test_an_empty_file_is_one_line(tmp_path, capsys):
    status, _, err = _run(capsys, "fit", _csv(tmp_path, ""), "--model", "logistic")
    assert status == 2 and err.endswith("the file is empty (no data rows)\n")


def test_huge_features_say_what_to_do(tmp_path, capsys):
    status, _, err = _run(capsys, "fit", _csv(tmp_path, "1e200,1\n2,0\n3,1\n"), "--model", "logistic")
    assert status != 0 and "overflow when squared" in err and "--standardize" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "text, said, l2_helps",
    [
        ("1,1\n2,1\n3,1\n", "note: every target is 1 (one class only)", False),
        ("5,0\n", "note: every target is 0 (one class only)", False),  # one row
        ("1,0\n2,0\n3,1\n4,1\n", "note: the classes are perfectly separable", True),
    ],
)
def test_data_without_a_minimum_is_said_and_the_fix_named(tmp_path, capsys, text, said, l2_helps):
    status, out, err = _run(capsys, "fit", _csv(tmp_path, text), "--model", "logistic", "--epochs", "20")
    assert status == 0 and err == ""
    assert said in out and "without bound" in out
    assert ("--l2 0.01" in out) == l2_helps and ("train on samples of both classes" in out) != l2_helps
    assert "Newton's method on the formulas" not in out  # there is no minimum to compare with
    status, out, _ = _run(
        capsys, "fit", _csv(tmp_path, text), "--model", "logistic", "--l2", "0.01", "--epochs", "20"
    )
    assert status == 0
    if l2_helps:  # with the penalty a minimum exists
        assert "note:" not in out and "Newton's method on the formulas (IRLS), l2 = 0.01" in out
    else:  # b is not penalised: one class still has no minimum
        assert said in out and "an L2 penalty does not stop it (b is not penalised)" in out


def test_losses_and_options_that_do_not_suit_the_model_are_refused(tmp_path, capsys):
    path = _csv(tmp_path, "1,0\n2,1\n3,0\n")
    for argv, said in [
        (["--model", "logistic", "--loss", "mse"], "--model logistic is trained with --loss bce"),
        (["--loss", "bce"], "--loss bce (binary cross-entropy) is the loss of --model logistic"),
        (["--model", "logistic", "--stream", "--lr", "0.1"], "--model logistic needs the data in memory"),
    ]:
        status, out, err = _run(capsys, "fit", path, *argv)
        assert status == 2 and out == "" and said in err and err.count("\n") == 1


def test_the_report_and_the_json_agree_with_newtons_method_on_the_formulas(capsys):
    status, out, _ = _run(
        capsys, "fit", EXAM, "--model", "logistic", "--optimizer", "newton", "--epochs", "10",
        "--predict", "6", "7", "--json",
    )  # fmt: skip
    assert status == 0
    r = json.loads(out)
    d = load_csv(EXAM)
    answer = irls(d.X, d.y)
    assert r["loss_fn"] == "bce" and r["converged"]
    assert_close([*r["w"], r["b"]], answer.param_vector(), atol=1e-10)
    assert_close([*r["closed_form"]["w"], r["closed_form"]["b"]], answer.param_vector(), rtol=1e-15)
    z = 6 * r["w"][0] + 7 * r["w"][1] + r["b"]
    assert_close(r["predictions"], [z], rtol=1e-12)
    assert_close(r["probabilities"], [1 / (1 + math.exp(-z))], rtol=1e-12)
    assert r["classes"] == [1]
    m = r["metrics"]["train"]
    z_all = d.X @ answer.weights + answer.intercept
    assert_close(m["accuracy"], float(np.mean((z_all > 0) == (d.y == 1))), rtol=1e-6)
    assert_close(m["log_loss"], answer.loss, rtol=1e-12)
    tn, fp, fn, tp = (
        int(np.sum((d.y == a) & ((z_all > 0) == b))) for a, b in ((0, 0), (0, 1), (1, 0), (1, 1))
    )
    assert m["confusion_matrix"] == [[tn, fp], [fn, tp]] and tn + fp + fn + tp == 100


def test_a_held_out_part_gets_its_own_metrics(capsys):
    status, out, _ = _run(capsys, "fit", EXAM, "--model", "logistic", "--standardize", "--test-split", "0.25")
    assert status == 0
    train, test = [line for line in out.splitlines() if line.startswith(("train:", " test:"))]
    assert "accuracy" in train and "confusion matrix [[TN, FP], [FN, TP]]" in test
    counts = [int(v) for v in test.split("= [[")[1].replace("]", "").replace("[", "").split(",")]
    assert sum(counts) == 25


def test_the_linear_report_is_unchanged_by_the_model_option(tmp_path, capsys):
    path = _csv(tmp_path, "1,3\n2,5\n3,7\n")
    status, out, _ = _run(capsys, "fit", path, "--loss", "sse", "--lr", "0.01", "--epochs", "5")
    assert status == 0 and "closed form (least squares): w = " in out and "accuracy" not in out
    assert "model: y = w*x + b" in out


def _newton_gap(out: str) -> float:
    import re

    return float(re.search(r"loss - Newton's loss = (\S+)", out).group(1))


@pytest.mark.parametrize(
    "flags, said",
    [
        (["--lr", "0.001", "--epochs", "100"], "--standardize --lr 4"),  # GD crawling: standardize, lr there
        (["--optimizer", "adam", "--lr", "0.05", "--epochs", "200"], "--lr 0.2"),  # Adam's pace: larger lr
    ],
)
def test_following_the_hint_of_a_logistic_run_helps(capsys, flags, said):
    """The hint of a run that ended far from Newton's answer, taken at its word, brings the next
    run closer: ten times for GD told to standardize (with BCE's own lr there, 8 times the MSE's
    bound: gap 0.377 -> 2.5e-08), three for Adam, which then crawls along the valley (0.0331 -> 0.00784)."""
    _, before, _ = _run(capsys, "fit", EXAM, "--model", "logistic", *flags)
    hint = [line for line in before.splitlines() if line.startswith("hint: ")]
    assert len(hint) == 1 and hint[0].endswith(f"; try {said}"), before
    if said == "--lr 0.2":
        assert "b moved -6.16 of the -12.4 to Newton's answer" in hint[0]
    _, after, _ = _run(capsys, "fit", EXAM, "--model", "logistic", *flags, *said.split())
    assert _newton_gap(after) < _newton_gap(before) / (10 if "--standardize" in said else 3)
