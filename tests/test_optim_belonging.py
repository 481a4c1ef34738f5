"""Optimizers and the parameters they hold: each parameter once, the model's own, and a step after
``backward(create_graph=True)`` that uses the gradients' numbers (issue 21)."""

import numpy as np
import pytest

from tinygrad_lr import GD, LinearRegression, Tensor, Value, fit, mse, sse
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.errors import InputError
from tinygrad_lr.graph import topological_order
from tinygrad_lr.optim import OPTIMIZERS, Momentum, make_optimizer

ENGINES = ["value", "tensor"]
X3 = np.array([[1.0], [2.0], [3.0]])
Y3 = np.array([3.0, 5.0, 7.0])
# the gradient graph adds the same terms in another order than the first-order pass: last-bit
# differences (seen: 1 ulp), which an optimizer's step carries along
GRAPH_ROUNDING = 1e-13


def _opt(name, params):
    extra = {"batch_size": 2} if name == "minibatch" else {}
    return make_optimizer(name, params, 0.01 if OPTIMIZERS[name].default_lr() is None else None, **extra)


# --- the same parameter twice ------------------------------------------------------------------


def test_a_parameter_given_twice_is_refused_not_stepped_twice():
    # old: GD([w, w], lr=0.01) moved w by 2 * 0.01 * 40 = 0.8 per step (1 -> 1.8), silently
    w = Value(1.0, label="w")
    with pytest.raises(
        ValueError, match=r"GD: parameter 0 \(w\) is given twice \(again at 1\); it would be updated twice"
    ):
        GD([w, w], lr=0.01)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("engine", ENGINES)
def test_every_optimizer_refuses_a_repeated_parameter(name, engine):
    m = LinearRegression(engine=engine)
    w, b = m.parameters()
    with pytest.raises(ValueError, match="given twice"):
        _opt(name, [w, b, w])
    with pytest.raises(ValueError, match="more than one param group"):
        OPTIMIZERS[name]([{"params": [w]}, {"params": [b, w]}], lr=0.01)


def test_a_parameter_once_still_steps_once():
    w = Value(1.0)
    opt = GD([w], lr=0.01)
    sse([w * x for x in (1, 2, 3)], [3, 5, 7]).backward()  # dL/dw = 2 * (-2 - 6 - 12) = -40
    opt.step()
    assert w.data == 1.4


# --- an optimizer of another model's parameters ------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_fit_refuses_an_optimizer_of_another_models_parameters(engine):
    # old: trained nothing and returned a History as if it had: initial and final loss 27.67
    model, other = LinearRegression(engine=engine), LinearRegression(engine=engine)
    with pytest.raises(InputError, match=r"none of its 2 parameters is one of model.parameters\(\)"):
        fit(model, (X3, Y3), GD(other.parameters(), lr=0.05), epochs=10)
    assert model.param_vector().tolist() == [0.0, 0.0] and other.param_vector().tolist() == [0.0, 0.0]


def test_fit_refuses_a_foreign_parameter_among_the_models_own():
    model = LinearRegression()
    stray = Value(2.0, label="z")
    with pytest.raises(InputError, match=r"1 of its 3 parameters is not the model's \(parameter 2: z = 2\)"):
        fit(model, (X3, Y3), GD([*model.parameters(), stray], lr=0.05), epochs=10)


def test_record_refuses_another_models_optimizer_too():
    from tinygrad_lr.replay import record

    with pytest.raises(InputError, match="record: the optimizer was built on other parameters"):
        record(LinearRegression(), (X3, Y3), GD(LinearRegression().parameters(), lr=0.05), epochs=2)


def test_an_optimizer_on_some_of_the_models_parameters_trains_those_only():
    # as in PyTorch: b alone is trained, w stays 0; MSE over b alone is minimal at mean(y) = 5
    model = LinearRegression()
    fit(model, (X3, Y3), GD([model.b], lr=0.25), epochs=200)
    assert model.weights.tolist() == [0.0]
    assert_close(model.intercept, 5.0, rtol=1e-12)


# --- step() after backward(create_graph=True) --------------------------------------------------


def _three_steps(name, engine, create_graph):
    m = LinearRegression(engine=engine, w=0.5, b=-0.2)
    opt = _opt(name, m.parameters())
    for _ in range(3):
        opt.zero_grad()
        mse(m(X3), Y3).backward(create_graph=create_graph)
        opt.step()
    return m


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "newton"])
@pytest.mark.parametrize("engine", ENGINES)
def test_step_after_create_graph_uses_the_gradients_numbers(name, engine):
    # old: the Tensor engine's GD, momentum, Adam, RMSprop... crashed (AttributeError), and on the
    # Value engine p.data became a graph node (so every later loss was a graph of graphs)
    plain = _three_steps(name, engine, create_graph=False)
    graph = _three_steps(name, engine, create_graph=True)
    assert allclose(graph.param_vector(), plain.param_vector(), rtol=GRAPH_ROUNDING)
    for p in graph.parameters():
        assert isinstance(p.data, float if engine == "value" else (np.ndarray, np.floating)), type(p.data)
    # the next loss is a graph of this step's numbers only: as many nodes as on a fresh model
    fresh = LinearRegression(engine=engine, w=graph.weights.tolist(), b=graph.intercept)
    assert len(topological_order(mse(graph(X3), Y3))) == len(topological_order(mse(fresh(X3), Y3)))


@pytest.mark.parametrize("engine", ENGINES)
def test_newton_steps_from_the_gradient_graph_on_both_engines(engine):
    m = LinearRegression(engine=engine)
    opt = OPTIMIZERS["newton"](m.parameters())
    sse(m(X3), Y3).backward(create_graph=True)
    opt.step()
    assert allclose(m.param_vector(), [2.0, 1.0], rtol=1e-12)  # least squares: y = 2x + 1


def test_momentum_state_stays_numbers_after_create_graph():
    w = Value(1.0)
    opt = Momentum([w], lr=0.01, momentum=0.9)
    sse([w * x for x in (1, 2, 3)], [3, 5, 7]).backward(create_graph=True)
    opt.step()
    assert type(opt.state[w]["momentum_buffer"]) is float and opt.state[w]["momentum_buffer"] == -40.0
    assert_close(w.data, 1.4, rtol=1e-15)


def test_tensor_gradient_graph_step_keeps_the_shape():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = GD([w], lr=0.1)
    ((w * w).sum()).backward(create_graph=True)  # dL/dw = 2w
    opt.step()
    assert type(w.data) is np.ndarray
    assert_close(w.data, [0.8, 1.6], rtol=1e-15)


def test_a_parameter_that_can_get_no_gradient_of_its_own_is_refused():
    # a computed node: PyTorch's "can't optimize a non-leaf Tensor"; a Tensor without
    # requires_grad: its grad stays None, so the step would skip it for ever, silently
    w = Value(1.0, label="w")
    with pytest.raises(
        ValueError, match=r"GD: parameter 0 \(Value\) is computed from other nodes, not a leaf"
    ):
        GD([w * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="is computed from other nodes"):
        GD([Tensor([1.0], requires_grad=True) * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="a Tensor that does not require grad, so it never gets a gradient"):
        GD([Tensor([1.0])], lr=0.1)
