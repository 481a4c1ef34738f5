"""``tinygrad-lr theory``: the numbers it prints against numbers worked out here, its pictures, its errors.

The independent side is plain numpy: eigenvalues by ``eigvalsh`` of ``2 A^T A / n``, and the steps a
run needs by a loop of the update rule itself (``theta -= lr * 2 A^T (A theta - y) / n``), written
here without the theory's eigen-decomposition.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinygrad_lr.cli import main
from tinygrad_lr.compare import assert_close

ROOT = Path(__file__).resolve().parent.parent
STUDY = ROOT / "examples" / "data" / "study_hours.csv"
WORKED = "1,3\n2,5\n3,7\n"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def worked(tmp_path: Path) -> Path:
    path = tmp_path / "worked.csv"
    path.write_text(WORKED)
    return path


def _design(X: np.ndarray) -> np.ndarray:
    return np.hstack([X.reshape(len(X), -1), np.ones((len(X), 1))])


def numpy_steps(X, y, tol, lr, mu=0.0, nesterov=False, limit=100_000) -> int | None:
    """The first step with MSE - MSE* <= tol of the update rule written out (torch.optim.SGD's)."""
    A = _design(np.asarray(X, float))
    y = np.asarray(y, float)
    n = len(y)
    best = np.linalg.lstsq(A, y, rcond=None)[0]
    L_star = np.mean((A @ best - y) ** 2)
    theta, v = np.zeros(A.shape[1]), np.zeros(A.shape[1])
    for k in range(limit + 1):
        if np.mean((A @ theta - y) ** 2) - L_star <= tol:
            return k
        g = 2 * A.T @ (A @ theta - y) / n
        v = mu * v + g
        theta = theta - lr * (g + mu * v if nesterov else v)
    return None


def test_text_reports_the_eigenvalues_rates_and_steps_of_the_worked_example(worked):
    code, out, err = _run(["theory", str(worked)])
    assert code == 0, err
    A = _design(np.array([1.0, 2.0, 3.0]))
    lam = np.linalg.eigvalsh(2 * A.T @ A / 3)
    assert f"eigenvalue lambda_1 = {lam[0]:.6g}" in out and f"eigenvalue lambda_2 = {lam[1]:.6g}" in out
    assert f"condition number lambda_max / lambda_min: {lam[1] / lam[0]:.6g}" in out
    assert f"stable for 0 < lr < 2 / lambda_max = {2 / lam[1]:.6g}" in out
    best = 2 / (lam[0] + lam[1])
    kappa = lam[1] / lam[0]
    rate = (kappa - 1) / (kappa + 1)
    assert f"best fixed lr 2 / (lambda_min + lambda_max) = {best:.6g}, rate {rate:.6g}" in out
    p_lr = 4 / (math.sqrt(lam[0]) + math.sqrt(lam[1])) ** 2
    p_mu = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    assert f"Polyak's best lr {p_lr:.6g}, momentum {p_mu:.6g}" in out
    assert "least squares: w = 2, b = 1" in out
    # predicted and actual steps, each next to the count of the update rule written out in numpy
    runs = re.findall(r"predicted (\d+), actual (\d+)", out)
    assert len(runs) == 3
    X, y = [1.0, 2.0, 3.0], [3.0, 5.0, 7.0]
    s = math.sqrt(3 * kappa + 1)
    n_lr, n_mu = 4 / (3 * lam[1] + lam[0]), (s - 2) / (s + 2)
    expected = [
        numpy_steps(X, y, 1e-6, best),
        numpy_steps(X, y, 1e-6, p_lr, p_mu),
        numpy_steps(X, y, 1e-6, n_lr, n_mu, nesterov=True),
    ]
    for (predicted, actual), counted in zip(runs, expected):
        assert abs(int(predicted) - counted) <= 1 and abs(int(actual) - counted) <= 1
    assert f"1 - lr*lambda_i = {1 - best * lam[0]:.6g}, {1 - best * lam[1]:.6g}" in out


def test_json_is_strict_and_its_numbers_are_the_independent_ones(worked):
    code, out, err = _run(["theory", str(worked), "--json", "--loss", "sse"])
    assert code == 0, err
    result = json.loads(out)  # strict JSON: no NaN/Infinity tokens
    A = _design(np.array([1.0, 2.0, 3.0]))
    H = 2 * A.T @ A
    lam = np.linalg.eigvalsh(H)
    assert_close(result["eigenvalues"], lam, rtol=1e-12, atol=0.0)
    assert_close(result["hessian"], H, rtol=1e-14, atol=0.0)
    assert result["loss_fn"] == "sse" and result["unique"] is True
    assert_close(result["condition_number"], lam[1] / lam[0], rtol=1e-12, atol=1e-12)
    assert_close(result["max_stable_lr"], 2 / lam[1], rtol=1e-12, atol=1e-12)
    assert_close(result["best_lr"], 2 / (lam[0] + lam[1]), rtol=1e-12, atol=1e-12)
    assert [r["method"] for r in result["runs"]] == ["gd", "momentum", "nesterov"]
    for run in result["runs"]:
        assert run["converges"] is True and abs(run["predicted_steps"] - run["actual_steps"]) <= 1
    gd = result["runs"][0]
    assert_close(gd["factors"], 1 - gd["lr"] * lam, rtol=1e-12, atol=0.0)


def test_standardized_study_hours_needs_one_step_and_no_momentum(tmp_path):
    code, out, err = _run(["theory", str(STUDY), "--standardize", "--json"])
    assert code == 0, err
    result = json.loads(out)
    assert_close(result["condition_number"], 1.0, rtol=0.0, atol=1e-12)
    (gd,) = result["runs"]  # the best momentum is 0: only GD, and a note saying why
    assert gd["predicted_steps"] == gd["actual_steps"] == 1
    assert "best momentum is 0" in result["note"]
    code, out, _ = _run(["theory", str(STUDY), "--standardize"])
    assert "predicted 1, actual 1" in out and "condition number lambda_max / lambda_min: 1\n" in out


def test_raw_study_hours_gd_is_predicted_far_beyond_the_run_and_the_gaps_agree():
    code, out, err = _run(["theory", str(STUDY), "--json", "--max-steps", "300"])
    assert code == 0, err
    result = json.loads(out)
    assert 3.4e4 < result["condition_number"] < 3.5e4
    gd, heavy, nesterov = result["runs"]
    assert gd["predicted_steps"] > 150_000 and gd["actual_steps"] is None and gd["steps_run"] == 300
    assert_close(gd["actual_gap"], gd["predicted_gap"], rtol=1e-9, atol=1e-12)
    assert heavy["predicted_steps"] < nesterov["predicted_steps"] < gd["predicted_steps"] / 50


def test_a_diverging_lr_is_predicted_to_blow_up_where_the_run_does(worked):
    code, out, err = _run(["theory", str(worked), "--lr", "0.3", "--json"])
    assert code == 0, err
    for run in json.loads(out)["runs"]:
        assert run["converges"] is False and run["predicted_steps"] is None
        assert abs(run["predicted_overflow_step"] - run["actual_divergence_step"]) <= 1
    code, out, err = _run(["theory", str(STUDY), "--lr", "0.0005", "--max-steps", "2000", "--json"])
    gd, heavy, nesterov = json.loads(out)["runs"]  # the sum of 100 squares overflows before their mean would
    assert heavy["converges"] and not gd["converges"] and not nesterov["converges"]
    for run in (gd, nesterov):
        assert abs(run["predicted_overflow_step"] - run["actual_divergence_step"]) <= 1
    code, out, _ = _run(["theory", str(worked), "--lr", "0.3"])
    assert re.search(
        r"diverges \(rate 2\.32788 > 1\): predicted the loss overflows float64 at step \d+; "
        r"actual: diverged at step \d+",
        out,
    )


def test_a_learning_rate_too_small_to_move_says_it_does_not_converge(worked):
    code, out, err = _run(["theory", str(worked), "--lr", "1e-300", "--max-steps", "5"])
    assert code == 0, err
    assert out.count("does not converge (rate 1: a direction never shrinks)") == 3


@pytest.mark.parametrize(
    "text, why",
    [("2,3\n", "one row"), ("4,1\n4,2\n4,3\n", "a constant feature"), ("1,1,2\n2,2,3\n3,3,5\n", "repeated")],
)
def test_a_singular_hessian_is_said_not_unique_and_json_has_null(tmp_path, text, why):
    path = tmp_path / "s.csv"
    path.write_text(text)
    code, out, err = _run(["theory", str(path), "--max-steps", "200"])
    assert code == 0, (why, err)
    assert "inf (H is singular)" in out and "not unique" in out
    code, out, err = _run(["theory", str(path), "--max-steps", "200", "--json"])
    result = json.loads(out)
    assert result["condition_number"] is None and result["unique"] is False
    assert result["runs"][0]["converges"] is True


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "0"], "--lr must be a number > 0"),
        (["--lr", "-1"], "--lr must be a number > 0"),
        (["--lr", "nan"], "--lr: nan is not a finite number"),
        (["--lr", "inf"], "--lr: inf is not a finite number"),
        (["--momentum", "1"], "--momentum must be a number in [0, 1)"),
        (["--momentum", "-0.1"], "--momentum must be a number in [0, 1)"),
        (["--momentum", "nan"], "--momentum: nan is not a finite number"),
        (["--tol", "0"], "--tol must be a number > 0"),
        (["--tol=-inf"], "--tol: -inf is not a finite number"),
        (["--max-steps", "0"], "--max-steps must be a whole number >= 1"),
        (["--init-w", "1", "2"], "--init-w takes 1 number or 1"),
        (["--no-bias", "--init-b", "1"], "--init-b needs a bias"),
    ],
)
def test_bad_options_are_one_line_errors(worked, argv, message):
    code, out, err = _run(["theory", str(worked), *argv])
    assert code == 2 and out == "" and message in err and err.count("\n") == 1, err


def test_bad_data_is_one_line_naming_where(tmp_path):
    for text, message in (
        ("1,3\nnan,5\n", "line 2, column 1: 'nan' is not a finite number"),
        ("1,3\n2,inf\n", "line 2, column 2: 'inf' is not a finite number"),
        ("1e200,3\n2,5\n", "overflow"),
        ("0,3\n0,5\n", "every feature is 0"),
        ("1e-200,1\n", "squares underflow float64 (largest |x| 1e-200)"),
    ):
        path = tmp_path / "bad.csv"
        path.write_text(text)
        extra = ["--no-bias"] if text.startswith(("0", "1e-200")) else []
        code, out, err = _run(["theory", str(path), *extra])
        assert code == 2 and message in err and err.count("\n") == 1, (text, err)
    code, _, err = _run(["theory", str(tmp_path)])
    assert code == 2 and "directory" in err.lower() or "folder" in err.lower()


def test_plot_writes_the_four_pictures_whole(worked, tmp_path):
    from PIL import Image

    out_dir = tmp_path / "pictures"
    out_dir.mkdir()
    (out_dir / "landscape.png").write_text("an earlier run's picture: replaced")
    code, out, err = _run(["theory", str(worked), "--plot", str(out_dir), "--max-steps", "400"])
    assert code == 0, err
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["directions.png", "landscape.png", "phase.png", "race.gif"]
    for name in names:
        assert f"picture: {out_dir / name}" in out
        with Image.open(out_dir / name) as im:
            assert im.size[0] > 300 and im.size[1] > 200
            if name.endswith(".gif"):
                assert im.n_frames > 10


def test_plot_refuses_a_folder_it_may_not_write_before_any_work(worked, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("the user's")
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    for target, message in (
        (mine, "it holds other files (notes.txt)"),
        (a_file, "it is a file, not a folder"),
        (tmp_path / "missing" / "pics", "does not exist"),
        (a_file / "pics", "is a file, not a folder"),
    ):
        code, out, err = _run(["theory", str(worked), "--plot", str(target)])
        assert code == 2 and out == "" and message in err and err.count("\n") == 1, (target, err)
    assert (mine / "notes.txt").read_text() == "the user's" and sorted(os.listdir(mine)) == ["notes.txt"]
    assert not (tmp_path / "missing").exists()


ARG = st.sampled_from(
    [
        "--lr",
        "--momentum",
        "--tol",
        "--max-steps",
        "--init-w",
        "--init-b",
        "--no-bias",
        "--standardize",
        "--loss",
        "--json",
        "--engine",
    ]
)
NUMBER = st.sampled_from(["0", "-1", "1e-300", "1e300", "0.05", "0.5", "0.99", "nan", "inf", "abc", "2"])
CSV = st.lists(
    st.lists(
        st.sampled_from(["0", "1", "-2", "3.5", "1e150", "1e-200", "nan", "x", ""]), min_size=1, max_size=3
    ).map(",".join),
    min_size=0,
    max_size=5,
).map(lambda rows: "\n".join(rows) + "\n")


FUZZ = int(os.environ.get("THEORY_FUZZ_EXAMPLES", "30"))  # more, to search harder by hand


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=CSV, options=st.lists(st.tuples(ARG, NUMBER), max_size=4, unique_by=lambda t: t[0]))
def test_theory_survives_random_input(tmp_path_factory, text, options):
    root = tmp_path_factory.mktemp("theory")
    data = root / "d.csv"
    data.write_text(text)
    argv = ["theory", str(data), "--max-steps", "30"]
    for opt, value in options:
        if opt in ("--no-bias", "--standardize", "--json"):
            argv.append(opt)
        elif opt == "--loss":
            argv.append("--loss=sse")
        elif opt == "--engine":
            argv.append("--engine=value")
        elif opt == "--max-steps":
            argv.append(f"--max-steps={value if value in ('0', '-1', '2', 'abc') else '20'}")
        else:
            argv.append(f"{opt}={value}")
    code, out, err = _run(argv)
    assert "Traceback" not in err and code in (0, 2), (argv, err)
    if code == 2:
        assert err.strip() and err.strip().count("\n") == 0, (argv, err)
    elif "--json" in argv:
        json.loads(out)  # strict: a NaN would not parse as the JSON we print
    assert "nan" not in out.lower().replace("nan is not", ""), (argv, out)
