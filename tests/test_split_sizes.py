"""A split that leaves a part too small for the metric printed for it is refused, naming the sizes
(issue 21: 3 rows with --test-split 0.5 printed 'train: R^2 nan' and exited 0)."""

import numpy as np
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.data import train_test_split
from tinygrad_lr.metrics import R2_MIN_ROWS, r2_score, r2_undefined


def _csv(tmp_path, rows):
    p = tmp_path / "d.csv"
    p.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in rows))
    return str(p)


@pytest.mark.parametrize(
    "rows, fraction, train, test",
    [
        ([(1, 3), (2, 5), (3, 7)], "0.5", 1, 2),  # the input
        ([(1, 3), (2, 5), (3, 7)], "0.34", 2, 1),
        ([(1, 3), (2, 5)], "0.5", 1, 1),
        ([(1, 3)], "0.5", 1, 0),  # round(0.5) = 0 rows held out
        ([(1, 3), (2, 5), (3, 7)], "0.9", 0, 3),
    ],
)
def test_a_part_too_small_for_r2_is_refused_naming_the_sizes(tmp_path, capsys, rows, fraction, train, test):
    assert main(["fit", _csv(tmp_path, rows), "--test-split", fraction, "--epochs", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "nan" not in captured.err
    assert f"--test-split {fraction}: a test fraction of {fraction} of {len(rows)} row" in captured.err
    assert f"{train} to train on and {test} to test, where each part needs at least 2" in captured.err


@pytest.mark.parametrize("as_json", [False, True])
def test_a_part_whose_targets_are_equal_is_refused(tmp_path, capsys, as_json):
    # seed 0 holds out the rows whose targets are both 3: R^2 = 1 - SSE / 0
    path = _csv(tmp_path, [(1, 3), (1, 5), (2, 3), (2, 4)])
    (_, ytr), (_, yte) = train_test_split([1, 1, 2, 2], [3, 5, 3, 4], 0.5, rng=0)
    assert yte.tolist() == [3.0, 3.0]
    argv = ["fit", path, "--test-split", "0.5", "--epochs", "2"] + (["--json"] if as_json else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "the R^2 of the held-out rows is undefined: all 2 targets are 3.0" in err
    assert "use another --seed or fraction" in err


def test_constant_targets_cannot_be_split_at_all(tmp_path, capsys):
    path = _csv(tmp_path, [(x, 3) for x in range(1, 6)])
    assert main(["fit", path, "--test-split", "0.4", "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert "all 3 targets are 3.0" in err and "drop --test-split" in err


def test_a_split_with_room_prints_finite_scores(tmp_path, capsys):
    rows = [(1, 3.1), (2, 4.9), (3, 7.2), (4, 8.8), (5, 11.1), (6, 13.0)]
    assert main(["fit", _csv(tmp_path, rows), "--test-split", "0.34", "--epochs", "200"]) == 0
    out = capsys.readouterr().out
    assert "split: 4 rows to train on, 2 held out" in out and "nan" not in out


def test_train_test_split_min_rows():
    X, y = np.arange(5.0), np.arange(5.0)
    (Xtr, _), (Xte, _) = train_test_split(X, y, 0.4, rng=0, min_rows=2)
    assert (len(Xtr), len(Xte)) == (3, 2)
    with pytest.raises(ValueError, match="leaves too few rows: 4 to train on and 1 to test, where each part"):
        train_test_split(X, y, 0.2, rng=0, min_rows=2)
    with pytest.raises(ValueError, match="leaves an empty part: 5 to train on and 0 to test"):
        train_test_split(X, y, 0.01)
    with pytest.raises(ValueError, match="min_rows must be a whole number >= 1"):
        train_test_split(X, y, 0.4, min_rows=0)


def test_r2_says_why_it_is_undefined():
    assert R2_MIN_ROWS == 2
    assert r2_undefined([7.0]) == "one target (R^2 needs at least 2)"
    assert r2_undefined([1.0, 1.0, 1.0]).startswith("all 3 targets are 1.0")
    assert r2_undefined([1.0, 2.0]) == "" and r2_score([1.0, 2.0], [1.0, 2.0]) == 1.0
    assert np.isnan(r2_score([2.0, 2.0], [2.0, 2.0]))  # documented: what r2_undefined explains
