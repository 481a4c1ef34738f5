"""Adding an op touches one file: ``softplus``, defined in tests/ops_softplus.py (outside the
package) and registered with ``@ops.register``, is then known to everything, with no other change.

Each test checks one thing the issue asks of such an op, against numbers worked out
independently: the closed forms ``softplus(a) = log(1 + e^a)``, ``softplus' = sigmoid``,
``softplus'' = sigmoid (1 - sigmoid)``, and central finite differences.
"""

from __future__ import annotations

import ast
import importlib.util
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_lr
from tinygrad_lr import (
    GD,
    Tensor,
    Value,
    detect_anomaly,
    draw_graph,
    grad,
    ops,
    walkthrough_text,
    write_walkthrough,
)
from tinygrad_lr.anomaly import AnomalyError
from tinygrad_lr.compare import allclose, assert_close
from tinygrad_lr.compile import CompileWarning, compile_step
from tinygrad_lr.gradcheck import check_op, gradcheck

HERE = Path(__file__).parent
FD_STEP = 1e-6  # central differences: truncation ~h^2 |f'''|, rounding ~1e-16 |f| / h
FD_RTOL = 1e-7  # what those two errors allow for softplus on [-4, 4]


def _sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


def _softplus(a: float) -> float:
    return math.log1p(math.exp(a))


@pytest.fixture(scope="module")
def softplus():
    """Import tests/ops_softplus.py (its @ops.register is the only change), and unregister after."""
    assert "softplus" not in ops.registry() and not hasattr(Value, "softplus")
    spec = importlib.util.spec_from_file_location("ops_softplus", HERE / "ops_softplus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module.Softplus
    ops.unregister("softplus")
    assert not hasattr(Value, "softplus") and not hasattr(Tensor, "softplus")


def test_it_is_defined_outside_the_package_and_nothing_inside_mentions_it(softplus):
    assert softplus.__module__ == "ops_softplus"
    package = Path(tinygrad_lr.__file__).parent
    mentions = [p for p in package.rglob("*.py") if "softplus" in p.read_text()]
    assert mentions == []


def test_both_engines_have_it(softplus):
    for a in (-3.0, 0.0, 0.5, 4.0):
        v = Value(a).softplus()
        assert type(v.data) is float and allclose(v.data, _softplus(a), rtol=1e-15, atol=1e-12)
        assert v.op == "softplus" and allclose(v.local_grads, (_sigmoid(a),), rtol=1e-15, atol=1e-12)
    t = Tensor([-3.0, 0.0, 0.5, 4.0], requires_grad=True).softplus()
    assert_close(t.data, [_softplus(a) for a in (-3.0, 0.0, 0.5, 4.0)], rtol=1e-15, atol=0.0)
    assert t.op == "softplus"
    big = Tensor([800.0]).softplus()  # log(1 + e^800) = 800 + log(1 + e^-800): no overflow
    assert big.data[0] == 800.0


@settings(max_examples=25, deadline=None)
@given(a=st.floats(-4.0, 4.0), engine=st.sampled_from(["value", "tensor"]))
def test_first_and_second_derivatives_match_finite_differences(softplus, a, engine):
    def first(x: float) -> float:  # autodiff, first order
        leaf = Value(x) if engine == "value" else Tensor([x], requires_grad=True)
        out = leaf.softplus()
        (out if engine == "value" else out.sum()).backward()
        return float(np.asarray(leaf.grad).reshape(-1)[0])

    h = FD_STEP
    fd1 = (_softplus(a + h) - _softplus(a - h)) / (2 * h)
    assert_close(first(a), fd1, rtol=FD_RTOL, atol=FD_RTOL)
    assert_close(first(a), _sigmoid(a), rtol=1e-14, atol=1e-12)  # the closed form, to round-off

    leaf = Value(a) if engine == "value" else Tensor([a], requires_grad=True)
    out = leaf.softplus() if engine == "value" else leaf.softplus().sum()
    (d1,) = grad(out, leaf, create_graph=True)  # sigmoid(a), as a graph
    (d2,) = grad(d1 if engine == "value" else d1.sum(), leaf)
    fd2 = (first(a + h) - first(a - h)) / (2 * h)  # differences of the first derivative
    second = float(np.asarray(d2.data).reshape(-1)[0])
    assert_close(second, fd2, rtol=1e-5, atol=1e-7)
    assert_close(second, _sigmoid(a) * (1 - _sigmoid(a)), rtol=1e-12, atol=1e-12)


def test_the_picture_and_the_walkthrough_name_it(softplus, tmp_path):
    w = Value(0.5, label="w")
    L = w.softplus() * 3.0
    L.label = "L"
    L.backward()
    source = draw_graph(L).source
    assert "softplus(w)" in source  # the node's name, from the op's definition
    assert "label=softplus" in source  # the op's ellipse
    step = walkthrough_text(L).splitlines()[-1]  # the last step: the parameter w
    # dL/dw = dL/d(softplus(w)) * d(softplus(w))/dw = 3 * sigmoid(0.5)
    chain_rule = (
        f"dL/dw = dL/d(softplus(w)) * d(softplus(w))/dw = 3 * {_sigmoid(0.5):.6g} = {3 * _sigmoid(0.5):.6g}"
    )
    assert step.split(". ", 1)[1] == chain_rule
    page = write_walkthrough(L, tmp_path / "walkthrough")  # the page: a picture per step
    assert f'data-caption="{chain_rule}"' in page.read_text()
    last = sorted((tmp_path / "walkthrough").glob("step_*.svg"))[-1].read_text()
    assert ">softplus(w)</text>" in last and ">softplus</text>" in last  # the node and its op


def test_the_tensor_picture_and_walkthrough_name_it(softplus):
    w = Tensor([0.5, 1.0], requires_grad=True, name="w")
    L = (w.softplus() * 3.0).sum()
    L.name = "L"
    L.backward()
    source = draw_graph(L).source
    assert 'label="softplus(w), shape (2,)' in source and "label=softplus " in source
    slopes = ", ".join(f"{3 * _sigmoid(a):.6g}" for a in (0.5, 1.0))
    assert walkthrough_text(L).splitlines()[-1].split(". ", 1)[1] == (
        f"dL/dw = dL/d(softplus(w)) * d(softplus(w))/dw = [{slopes}]"
    )


def test_the_docs_walk_through_this_very_file_and_exercise_6_asks_for_the_same_kind():
    root = HERE.parent
    definition = (HERE / "ops_softplus.py").read_text()
    definition = definition[definition.index("@ops.register") :]
    assert definition in (root / "docs" / "engine.md").read_text()  # "Adding an op", word for word

    def methods(source: str) -> dict[str, list[str]]:
        (cls,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
        return {f.name: [a.arg for a in f.args.args] for f in cls.body if isinstance(f, ast.FunctionDef)}

    asked = methods((root / "exercises" / "ex6_new_op.py").read_text())
    unary = {"forward": ["self", "xp", "a"], "dL_da": ["self", "xp", "g", "a", "out"]}
    assert asked == methods(definition) == unary


@pytest.mark.parametrize("engine", ["value", "tensor"])
def test_compile_step_compiles_it_to_the_bit(softplus, engine):
    xs, ys = np.array([0.5, -1.0, 2.0, 3.0]), np.array([1.0, 0.2, 2.5, 3.1])

    def make():
        if engine == "value":
            w, b = Value(0.3, label="w"), Value(-0.2, label="b")
            return [w, b], lambda: sum(
                ((w * x + b).softplus() - y) ** 2 for x, y in zip(xs.tolist(), ys.tolist())
            )
        w, b = Tensor(0.3, requires_grad=True, name="w"), Tensor(-0.2, requires_grad=True, name="b")
        return [w, b], lambda: (((w * Tensor(xs) + b).softplus() - Tensor(ys)) ** 2).sum()

    (eager_params, eager_loss), (params, loss) = make(), make()
    opt_e, opt_c = GD(eager_params, lr=0.05), GD(params, lr=0.05)
    step = compile_step(loss, opt_c)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # a fallback fails the test
        for _ in range(20):
            opt_e.zero_grad()
            L = eager_loss()
            L.backward()
            opt_e.step()
            step()
    assert step.compiled and "softplus" not in (step.fallback_reason or "")
    for p, q in zip(eager_params, params):
        assert np.array_equal(np.asarray(p.data), np.asarray(q.data)), (p, q)  # to the bit
        assert np.array_equal(np.asarray(p.grad), np.asarray(q.grad))


def test_anomaly_mode_names_it(softplus):
    w = Value(math.nan, label="w")
    with detect_anomaly(), pytest.raises(AnomalyError) as err:
        (w.softplus() * 2.0).backward()
    assert err.value.node.op == "softplus"
    assert "'softplus' (softplus(w)) is nan" in str(err.value)


def test_the_gradient_checks_cover_it(softplus):
    reports = check_op("softplus")  # first and second derivatives, on both engines
    assert len(reports) == 4 and all(r.ok for r in reports), "\n".join(map(str, reports))
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")
    report = gradcheck(
        lambda: sum(((w * x + b).softplus() - y) ** 2 for x, y in [(1.0, 1.0), (2.0, 2.5)]), [w, b]
    )
    assert report.ok


def test_the_gradient_checks_catch_a_wrong_derivative():
    class WrongSoftplus(ops.Unary):
        name = "softplus_wrong"

        def forward(self, xp, a):
            return xp.logaddexp(0.0, a)

        def dL_da(self, xp, g, a, out):
            return g * out  # the output, not its slope

    with ops.registered(WrongSoftplus):
        assert not any(r.ok for r in check_op("softplus_wrong", second=False))
    assert "softplus_wrong" not in ops.registry()
