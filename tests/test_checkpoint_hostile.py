"""Checkpoints refuse what is not finite numbers, naming the key, at load and at save; a file that
is empty, truncated or of another kind is one clear error (issue 21)."""

import io
import json
import zipfile

import numpy as np
import pytest

from tinygrad_lr import LinearRegression, Tensor, Value, load, save
from tinygrad_lr.errors import InputError


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "body, message",
    [
        ('{"w": 1e400, "b": 0}', r"w holds NaN or infinite numbers \(inf\)"),  # old: loaded as inf
        ('{"w": [1, -1e999], "b": 0}', r"w holds NaN or infinite numbers \(-inf\)"),
        ('{"w": null, "b": 0}', r"w is null \(None\)"),  # old: loaded as NaN
        ('{"w": "1.5", "b": 0}', "w holds the string '1.5'"),  # old: loaded as 1.5
        ('{"w": true, "b": 0}', "w holds the boolean True"),  # old: loaded as 1.0
        ('{"w": [1.0, false], "b": 0}', "w holds the boolean False"),
        ('{"w": 1, "b": {"x": 1}}', "b holds dict"),
        ('{"w": [1, [2]], "b": 0}', "w is not a number or a rectangular list of numbers"),
        ('{"w": ' + "9" * 400 + ', "b": 0}', "w holds a whole number beyond float64"),
        ('{"w": [NaN], "b": 0}', "NaN"),
        ('{"": 1}', "an empty name"),
        ("[1, 2]", "must hold a JSON object"),
        ("", "not valid JSON"),
        ('{"w": [1.0', "not valid JSON"),
        ("[" * 100000 + "]" * 100000, "not valid JSON"),
    ],
)
def test_json_load_refuses_what_is_not_finite_numbers(tmp_path, body, message):
    with pytest.raises(ValueError, match=message):
        load(_write(tmp_path, "m.json", body))


def _npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: b"", r"is empty \(0 bytes\), not a .npz archive"),  # old: a bare EOFError
        (lambda: _npz_bytes(w=np.array([1.0]))[:40], "not a readable .npz of plain arrays"),
        (lambda: _npz_bytes(w=np.array([1.0]))[:-12], "not a readable .npz of plain arrays"),
        (lambda: b"PK\x03\x04" + b"\x00" * 30, "not a readable .npz of plain arrays"),
        (lambda: _npz_bytes(w=np.array([np.nan])), r"w holds NaN or infinite numbers \(nan\)"),
        (
            lambda: _npz_bytes(w=np.array([1.0]), b=np.array(np.inf)),
            r"b holds NaN or infinite numbers \(inf\)",
        ),
        (lambda: _npz_bytes(w=np.array(["a"])), "w holds <U1 values, not numbers"),
        (lambda: _npz_bytes(w=np.array([True])), "w holds booleans, not numbers"),
        (lambda: _npz_bytes(w=np.array([1j])), "w holds complex128 values"),
    ],
)
def test_npz_load_refuses_broken_files_and_bad_values(tmp_path, make, message):
    path = tmp_path / "m.npz"
    path.write_bytes(make())
    with pytest.raises(ValueError, match=message):
        load(path)


def test_npz_with_a_corrupted_member_is_a_clear_error(tmp_path):
    data = bytearray(_npz_bytes(w=np.arange(50.0)))
    start = data.index(b"\x93NUMPY") + 200  # inside the array's bytes: the CRC no longer matches
    data[start] ^= 0xFF
    path = tmp_path / "m.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a readable .npz"):
        load(path)
    assert zipfile.is_zipfile(path)


def test_a_lone_npy_array_named_npz_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    np.save(tmp_path / "a.npy", np.array([1.0]))
    path.write_bytes((tmp_path / "a.npy").read_bytes())
    with pytest.raises(ValueError, match=r"one unnamed array \(.npy\)"):
        load(path)


def test_load_names_a_directory_and_a_path_under_a_file(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(IsADirectoryError, match="d.npz is a directory, not a file"):
        load(tmp_path / "d.npz")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(NotADirectoryError, match="afile is a file, not a folder"):
        load(tmp_path / "afile" / "m.json")


def test_whole_numbers_load_as_floats(tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(_npz_bytes(w=np.array([1, 2], dtype=np.int64), b=np.array(3)))
    state = load(path)
    assert state["w"].dtype == np.float64 and state["w"].tolist() == [1.0, 2.0] and state["b"] == 3.0
    model = LinearRegression(2).load_state_dict(state)
    assert model.param_vector().tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    "state, error, message",
    [
        (
            LinearRegression(),
            InputError,
            r"a model: save\(model.state_dict\(\), path\)",
        ),  # old: AttributeError
        ([1.0, 2.0], InputError, "state must be a state dict .* got list"),
        (None, InputError, "got NoneType"),
        ("w", InputError, "got str"),
        ({"w": "x"}, ValueError, "w holds the string 'x'"),
        ({"w": None}, ValueError, r"w is null \(None\)"),
        ({"w": True}, ValueError, "w holds the boolean True"),  # old: saved as 1.0
        ({"w": [1, [2]]}, ValueError, "rectangular"),
        ({"w": [Value(1.0)]}, ValueError, r"w holds a graph node \(Value\)"),  # old: saved silently
        ({"w": Tensor([1.0])}, ValueError, r"w holds a graph node \(Tensor\)"),
        ({"w": 10**400}, ValueError, "beyond float64"),
        ({"w": np.array([np.inf])}, ValueError, "NaN or infinite"),
        ({1: 2.0}, ValueError, "names must be non-empty strings"),
    ],
)
def test_save_refuses_what_is_not_a_state_dict_of_numbers(tmp_path, state, error, message):
    path = tmp_path / "m.json"
    path.write_text('{"w": [7.0]}')
    with pytest.raises(error, match=message):
        save(state, path)
    assert json.loads(path.read_text()) == {"w": [7.0]}  # nothing of the user's is overwritten


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_round_trip_still_exact(tmp_path, suffix):
    m = LinearRegression(2, w=[0.1, -1e-300], b=1 / 3)
    back = LinearRegression(2).load_state_dict(load(save(m.state_dict(), tmp_path / f"m{suffix}")))
    assert back.param_vector().tolist() == m.param_vector().tolist()
