"""PyTorch habits that carry over: conversions, names, state dicts, inputs of any array kind."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_lr import (
    LinearRegression,
    Tensor,
    Value,
    check_linear_regression,
    gradcheck,
    load,
    mse,
    save,
    sse,
)
from tinygrad_lr.compare import assert_close


def test_float_and_int_of_one_element_tensors() -> None:
    assert float(Tensor(2.5)) == 2.5
    assert float(Tensor([[2.5]])) == 2.5
    assert int(Tensor([3.9])) == 3
    assert int(Tensor(-3.9)) == -3  # towards zero, as int(-3.9) and int(torch.tensor(-3.9))
    with pytest.raises(ValueError, match="one entry"):
        float(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="one entry"):
        int(Tensor([1.0, 2.0]))


def test_unsqueeze_view_pow_and_dim() -> None:
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert t.unsqueeze(0).shape == (1, 2, 3)
    assert t.unsqueeze(-1).shape == (2, 3, 1)
    assert t.unsqueeze(1).shape == (2, 1, 3)
    with pytest.raises(ValueError, match="out of range"):
        t.unsqueeze(4)
    assert t.view(3, 2).shape == (3, 2) and t.view(-1).shape == (6,)
    np.testing.assert_array_equal(t.sum(dim=1).data, [6.0, 15.0])
    np.testing.assert_array_equal(t.sum(dim=0, keepdim=True).data, [[5.0, 7.0, 9.0]])
    np.testing.assert_array_equal(t.mean(dim=1).data, [2.0, 5.0])
    with pytest.raises(TypeError, match="not both"):
        t.sum(axis=0, dim=0)
    L = t.pow(2).sum(dim=(0, 1))
    L.backward()
    np.testing.assert_array_equal(t.grad, 2 * t.data)
    assert np.asarray(t) is t.data  # numpy sees the numbers, shared (as torch .numpy())


@pytest.mark.parametrize("engine", ["value", "tensor"])
@pytest.mark.parametrize("kind", ["tensor", "array", "list"])
def test_models_and_losses_take_tensors_arrays_and_lists(engine: str, kind: str) -> None:
    X0 = [[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]]
    y0 = [1.0, 2.0, 3.0]
    wrap = {"tensor": Tensor, "array": np.array, "list": list}[kind]
    m = LinearRegression(2, w=[0.5, -0.25], b=0.1, engine=engine)
    pred = m(wrap(X0))
    L = mse(pred, wrap(y0))
    expected = np.mean((np.array(X0) @ [0.5, -0.25] + 0.1 - np.array(y0)) ** 2)
    assert_close(float(L.data), expected, rtol=1e-14, atol=1e-12)
    assert_close(float(sse(pred, wrap(y0)).data), 3 * expected, rtol=1e-14, atol=1e-12)
    assert_close(m.predict(wrap(X0)), np.array(X0) @ [0.5, -0.25] + 0.1, rtol=1e-7, atol=0.0)
    assert m.max_stable_lr(wrap(X0)) > 0


def test_gradient_checks_take_tensors() -> None:
    X, y = Tensor([[1.0], [2.0], [3.0]]), Tensor([3.0, 5.0, 7.0])
    assert check_linear_regression(1.0, 0.0, X, y).ok
    assert check_linear_regression(Tensor([1.0]), Tensor(0.0), X, y, engine="tensor").ok
    m = LinearRegression(1, engine="tensor")
    assert gradcheck(lambda: mse(m(X), y), m.parameters(), data=(X, y), reduction="mean").ok


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_named_parameters_and_zero_grad(engine: str) -> None:
    m = LinearRegression(2, engine=engine)
    names = [n for n, _ in m.named_parameters()]
    assert names == (["w1", "w2", "b"] if engine == "value" else ["w", "b"])
    assert [p for _, p in m.named_parameters()] == m.parameters()
    mse(m([[1.0, 2.0]]), [3.0]).backward()
    m.zero_grad()
    for p in m.parameters():
        assert p.grad in (0.0, None)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize(("src", "dst"), [("value", "tensor"), ("tensor", "value"), ("tensor", "tensor")])
def test_state_dict_round_trip_across_engines(tmp_path, suffix: str, src: str, dst: str) -> None:
    a = LinearRegression(3, w=[0.1, -2.5, 1e-17], b=1 / 3, engine=src)
    path = save(a.state_dict(), tmp_path / f"model{suffix}")
    b = LinearRegression(3, engine=dst).load_state_dict(load(path))
    np.testing.assert_array_equal(b.param_vector(), a.param_vector())  # bit for bit
    assert set(a.state_dict()) == {"w", "b"} and a.state_dict()["b"].shape == ()
    state = a.state_dict()
    state["w"][0] = 99.0
    assert a.weights[0] == 0.1, "state_dict holds copies"


def test_json_file_is_plain_numbers(tmp_path) -> None:
    path = save(LinearRegression(w=2.0, b=1.0).state_dict(), tmp_path / "m.json")
    assert json.loads(path.read_text()) == {"w": [2.0], "b": 1.0}


def test_load_never_unpickles(tmp_path) -> None:
    evil = tmp_path / "evil.npz"
    np.savez(evil, w=np.array([object()], dtype=object))  # an object array needs pickle to load
    with pytest.raises(ValueError, match="not a readable .npz"):
        load(evil)
    with pytest.raises(ValueError, match="use a .json or .npz"):
        load(tmp_path / "m.pt")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"w": [NaN]}')
    with pytest.raises(ValueError, match="NaN"):
        load(bad)


def test_save_refuses_non_finite_and_keeps_the_old_file(tmp_path) -> None:
    path = save({"w": [1.0], "b": 0.0}, tmp_path / "m.json")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="NaN or infinite"):
        save({"w": [float("nan")], "b": 0.0}, path)
    assert path.read_bytes() == before


def test_load_state_dict_checks_names_shapes_and_numbers() -> None:
    m = LinearRegression(2)
    with pytest.raises(ValueError, match="expected the keys"):
        m.load_state_dict({"w": [1.0, 2.0]})
    with pytest.raises(ValueError, match="2 features"):
        m.load_state_dict({"w": [1.0], "b": 0.0})
    with pytest.raises(ValueError, match="finite"):
        m.load_state_dict({"w": [1.0, np.inf], "b": 0.0})
    nob = LinearRegression(2, bias=False).load_state_dict({"w": [1.0, 2.0]})
    assert nob.weights.tolist() == [1.0, 2.0]


def test_value_sqrt() -> None:
    x = Value(4.0)
    y = x.sqrt()
    y.backward()
    assert (y.data, x.grad) == (2.0, 0.25)
    with pytest.raises(ValueError, match="not a real number"):
        Value(-1.0).sqrt()
