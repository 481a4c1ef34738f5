"""CSV loading (with errors that say where), arrays, synthetic data, and batching."""

import numpy as np
import pytest

from tinygrad_lr import DataError, batch_indices, from_arrays, load_csv, make_linear_data
from tinygrad_lr.compare import assert_close


def write(tmp_path, text, name="data.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_plain_two_columns(tmp_path):
    d = load_csv(write(tmp_path, "1,3\n2,5\n3,7\n"))
    assert d.X.tolist() == [[1.0], [2.0], [3.0]] and d.y.tolist() == [3.0, 5.0, 7.0]
    assert d.feature_names == ("x",) and d.target_name == "y" and len(d) == 3
    assert d.source.endswith("data.csv")


def test_header_detected_and_columns_by_name(tmp_path):
    p = write(tmp_path, "hours, sleep ,score\n1,7,50\n2,8,60\n")
    d = load_csv(p)
    assert d.feature_names == ("hours", "sleep") and d.target_name == "score"
    assert d.X.tolist() == [[1, 7], [2, 8]]
    d2 = load_csv(p, features=["sleep"], target="hours")
    assert d2.X.tolist() == [[7], [8]] and d2.y.tolist() == [1, 2]
    d3 = load_csv(p, features=[0], target=-1)
    assert d3.feature_names == ("hours",) and d3.y.tolist() == [50, 60]


def test_header_forced(tmp_path):
    p = write(tmp_path, "1,2\n3,4\n5,6\n")
    d = load_csv(p, header=True)
    assert d.feature_names == ("1",) and d.n_samples == 2
    with pytest.raises(DataError, match=r"line 1, column 1: 'a' is not a number"):
        load_csv(write(tmp_path, "a,b\n1,2\n", "h.csv"), header=False)


def test_delimiters_quotes_and_blank_lines(tmp_path):
    assert load_csv(write(tmp_path, "1;2\n3;4\n"), delimiter=";").y.tolist() == [2, 4]
    assert load_csv(write(tmp_path, "1\t2\n3\t4\n"), delimiter="\t").y.tolist() == [2, 4]
    assert load_csv(write(tmp_path, "1   2\n 3 4 \n"), delimiter=None).y.tolist() == [2, 4]
    assert load_csv(write(tmp_path, '"1.5","2"\n\n3,4\n\n')).X.tolist() == [[1.5], [3.0]]
    with pytest.raises(DataError, match="one character"):
        load_csv(write(tmp_path, "1,2\n"), delimiter="::")


def test_several_features_default_names(tmp_path):
    d = load_csv(write(tmp_path, "1,2,3\n4,5,6\n"))
    assert d.feature_names == ("x1", "x2") and d.n_features == 2


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "the file is empty"),
        ("\n  \n", "the file is empty"),
        ("1,2\n3,4\n5\n", r"line 3: 1 cell, but line 1 has 2"),
        ("1,2\n\n3,4,5\n", r"line 3: 3 cells, but line 1 has 2"),
        ("1,2\n3,abc\n", r"data.csv, line 2, column 2: 'abc' is not a number"),
        ("x,y\n1,2\n3,nan\n", r"line 3, column 2 \(y\): 'nan' is not a finite number"),
        ("1,2\n-inf,4\n", r"line 2, column 1: '-inf' is not a finite number"),
        ("1,2\n,4\n", r"line 2, column 1: empty cell"),
        ("1\n2\n3\n", "only one column"),
        ("x,y\n", "has a header \\(line 1\\) but no data rows"),
    ],
)
def test_errors_name_file_line_and_column(tmp_path, text, match):
    with pytest.raises(DataError, match=match) as info:
        load_csv(write(tmp_path, text))
    assert "data.csv" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match=r"nope.csv: no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)


def test_column_selection_errors(tmp_path):
    p = write(tmp_path, "a,b,c\n1,2,3\n")
    with pytest.raises(DataError, match="no column named 'z'"):
        load_csv(p, target="z")
    with pytest.raises(DataError, match="index 5 is out of range: the file has 3 columns"):
        load_csv(p, features=[5])
    with pytest.raises(DataError, match="both a feature and the target"):
        load_csv(p, features=["c"], target="c")
    with pytest.raises(DataError, match="chosen twice"):
        load_csv(p, features=[0, "a"])
    with pytest.raises(DataError, match="no header"):
        load_csv(write(tmp_path, "1,2\n", "n.csv"), target="y")


def test_unused_columns_need_not_be_numeric(tmp_path):
    d = load_csv(write(tmp_path, "name,x,y\nann,1,2\nbob,3,4\n"), features=["x"])
    assert d.X.tolist() == [[1], [3]]


def test_from_arrays():
    d = from_arrays([1, 2, 3], [[3], [5], [7]])
    assert d.X.shape == (3, 1) and d.y.tolist() == [3, 5, 7]
    with pytest.raises(DataError, match="x has 3 samples, y has 2"):
        from_arrays([1, 2, 3], [1, 2])
    with pytest.raises(DataError, match=r"x\[1, 1\] is nan"):
        from_arrays([[1, 2], [3, np.nan]], [1, 2])
    with pytest.raises(DataError, match=r"y\[0\] is inf"):
        from_arrays([1], [np.inf])
    with pytest.raises(DataError, match="no samples"):
        from_arrays([], [])
    with pytest.raises(DataError, match="numeric"):
        from_arrays(["a"], [1])
    with pytest.raises(DataError, match="feature names"):
        from_arrays([1, 2], [1, 2], feature_names=["a", "b"])


def test_make_linear_data_is_seeded_and_follows_the_recipe():
    a, b = make_linear_data(100, rng=5), make_linear_data(100, rng=np.random.default_rng(5))
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert a.X.min() >= 0 and a.X.max() < 2
    big = make_linear_data(20000, w=[3.0, -1.0], b=4.0, rng=0)
    A = np.c_[np.ones(20000), big.X]
    theta = np.linalg.lstsq(A, big.y, rcond=None)[0]
    assert_close(theta, [4, 3, -1], rtol=1e-7, atol=0.1)


def test_batches_in_order_and_drop_last():
    assert [b.tolist() for b in batch_indices(5, 2)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in batch_indices(5, 2, drop_last=True)] == [[0, 1], [2, 3]]
    assert [b.tolist() for b in batch_indices(3)] == [[0, 1, 2]]
    assert [b.tolist() for b in batch_indices(3, 1)] == [[0], [1], [2]]


def test_shuffled_batches_cover_every_sample_once():
    rng = np.random.default_rng(1)
    epoch1 = np.concatenate(batch_indices(10, 3, shuffle=True, rng=rng))
    epoch2 = np.concatenate(batch_indices(10, 3, shuffle=True, rng=rng))
    assert sorted(epoch1.tolist()) == list(range(10)) == sorted(epoch2.tolist())
    assert epoch1.tolist() != epoch2.tolist()  # a new order each epoch
    assert epoch1.tolist() == np.random.default_rng(1).permutation(10).tolist()


def test_replacement_draws_from_the_generator():
    got = np.concatenate(batch_indices(100, 1, replacement=True, rng=np.random.default_rng(2)))
    assert got.tolist() == np.random.default_rng(2).integers(0, 100, size=100).tolist()
    assert len(set(got.tolist())) < 100  # repeats: with replacement


def test_batching_errors():
    with pytest.raises(ValueError, match="needs an rng"):
        batch_indices(4, 2, shuffle=True)
    with pytest.raises(ValueError, match="larger than the data set"):
        batch_indices(4, 5)
    with pytest.raises(ValueError, match="at least one sample"):
        batch_indices(0, 1)
