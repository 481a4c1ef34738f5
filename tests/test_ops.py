"""The op definitions (tinygrad_lr.ops): every op, from the registry, checked as one definition.

* the ``Value`` engine's float fast path (``scalar``) gives the definition's numbers to the bit:
  the forward, and each local derivative as the derivative with ``dL/d(out) = 1``;
* every op's first and second derivatives match finite differences on every engine that has it
  (``gradcheck.check_op``: autodiff through the definition against central differences);
* registering, replacing and unregistering an op gives and takes the engines' methods.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tinygrad_lr import Tensor, Value, ops
from tinygrad_lr.gradcheck import check_op

PARAMETRIZED = [
    ops.Pow(2.0),
    ops.Pow(3.0),
    ops.Pow(0.5),
    ops.Pow(-1.5),
    ops.Pow(0.0),
    ops.Pow(1.0),
    ops.RPow(2.0),
]


def builtin_instances():
    out = []
    for cls in ops.registry().values():
        if cls.__module__.startswith("tinygrad_lr.ops") and cls.methods != ():
            out.append(cls())
    return out + PARAMETRIZED


FAST = [op for op in builtin_instances() if "value" in op.engines and op.fast_path() is not None]


@pytest.mark.parametrize("op", FAST, ids=lambda op: op.symbol)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_fast_path_is_the_definition_to_the_bit(op, data):
    domain = op.domain or ((-2.0, 2.0),) * op.arity
    inputs = [data.draw(st.floats(lo, hi)) for lo, hi in domain]
    out, local = op.scalar(*inputs)
    defined = op.forward(ops.FLOATS, *inputs)
    assert out == defined or (math.isnan(out) and math.isnan(defined))
    assert len(local) == len(inputs)
    for i, d in enumerate(local):
        assert d == op.vjp(ops.FLOATS, i, 1.0, inputs, out), (op.symbol, i, inputs)


@pytest.mark.parametrize("op", builtin_instances(), ids=lambda op: op.symbol)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_every_op_matches_finite_differences_to_second_order(op, seed):
    if op.arity != 1 and op.arity != 2:
        pytest.skip("concatenate and stack: tests/test_higher_order.py checks them with shapes")
    reports = check_op(op, seed=seed)
    assert len(reports) == 2 * len(op.engines)
    for r in reports:
        assert r.ok, str(r)


def test_a_value_node_keeps_its_op_and_the_local_derivatives_of_the_definition():
    a, b = Value(3.0), Value(-2.0)
    out = a * b
    assert isinstance(out.grad_fn, ops.Mul) and out.op == "*" and out.local_grads == (-2.0, 3.0)
    assert a.grad_fn is None and a.op == ""
    assert (a**2).grad_fn.n == 2.0 and (a**2).op == "**2" and (2.0**a).op == "2**"
    assert (a ** (1 / 3)).op == f"**{1 / 3!r}"  # exactly: the exponent can be read back


def test_ops_print_as_formulas_and_code():
    cases = [  # (op, math form, code form) of the inputs "a" and "b"
        (ops.Add(), "a + b", "a + b"),
        (ops.Sub(), "a - b", "a - b"),
        (ops.Mul(), "a*b", "a * b"),
        (ops.Div(), "a/b", "a / b"),
        (ops.Power(), "a^b", "a ** b"),
        (ops.MatMul(), "a@b", "a @ b"),
        (ops.Neg(), "-a", "-a"),
        (ops.Pow(2.0), "a^2", "a**2"),
        (ops.Tanh(), "tanh(a)", "tanh(a)"),
        (ops.Maximum(), "max(a, b)", "max(a, b)"),
        (ops.Sum(None, False), "sum(a)", "sum(a)"),
    ]
    for op, math_form, code_form in cases:
        args = ["a", "b"][: max(op.arity, 1)]
        assert op.formula(args, [ops.ATOM] * len(args))[0] == math_form
        assert op.formula(args, [ops.ATOM] * len(args), code=True)[0] == code_form
    # parentheses only where the order needs them: (f - y)^2, a - (b - c), w*x + b
    assert ops.Pow(2.0).formula(["f - y"], [ops.SUM])[0] == "(f - y)^2"
    assert ops.Sub().formula(["a", "b - c"], [ops.ATOM, ops.SUM])[0] == "a - (b - c)"
    assert ops.Add().formula(["w*x", "b"], [ops.PRODUCT, ops.ATOM])[0] == "w*x + b"
    assert [ops.Pow(2.0).label, ops.Power().label, ops.Neg().label, ops.Exp().label] == [
        "^2",
        "^",
        "-",
        "exp",
    ]


def test_register_gives_both_engines_the_method_and_unregister_takes_it_away():
    class Cube(ops.Unary):
        """``a**3``, as a new op."""

        name = "cube"

        def forward(self, xp, a):
            return a * a * a

        def dL_da(self, xp, g, a, out):
            return g * (3.0 * a * a)

    assert not hasattr(Value, "cube")
    with ops.registered(Cube):
        v = Value(2.0).cube()
        assert (v.data, v.local_grads, v.op) == (8.0, (12.0,), "cube")
        t = Tensor([1.0, 2.0], requires_grad=True)
        t.cube().sum().backward()
        assert t.grad.tolist() == [3.0, 12.0]
        assert Value.cube.__doc__ == Cube.__doc__
    assert not hasattr(Value, "cube") and not hasattr(Tensor, "cube") and "cube" not in ops.registry()


def test_register_a_learners_plain_class_and_replace_an_op_only_for_a_while():
    class Sin:  # imports nothing from the framework
        name = "sin"

        def forward(self, xp, a):
            return xp.sin(a)

        def dL_da(self, xp, g, a, out):
            return g * xp.cos(a)

    with ops.registered(Sin) as defined:
        assert issubclass(defined, ops.Unary)
        assert Value(0.5).sin().data == math.sin(0.5)
        assert np.array_equal(Tensor([0.5]).sin().data, np.sin([0.5]))
    tanh = Value.tanh

    class Tanh2(ops.Tanh):
        def dL_da(self, xp, g, a, out):
            return g * 2.0

    with ops.registered(Tanh2):  # a replacement of the same name
        assert Value(0.1).tanh().local_grads == (2.0,)
    assert Value.tanh is not tanh and Value(0.1).tanh().local_grads == (1.0 - math.tanh(0.1) ** 2,)
    assert ops.get("tanh") is ops.Tanh


def test_register_refuses_a_name_the_engines_use_for_something_else():
    for taken in ("backward", "data", "grad", "shape"):

        class Clash(ops.Unary):
            name = taken

            def forward(self, xp, a):
                return a

            def dL_da(self, xp, g, a, out):
                return g

        with pytest.raises(ValueError, match="already has for something else"):
            ops.register(Clash)
        assert taken not in ops.registry()
    assert not hasattr(Value, "shape")  # Value took it, Tensor refused it: Value gave it back
    v = Value(2.0)
    v.backward()
    assert v.grad == 1.0 and Tensor([1.0]).shape == (1,)  # nothing was replaced


def test_register_refuses_what_is_not_an_op():
    with pytest.raises(TypeError, match="needs forward, dL_da"):
        ops.register(type("Nothing", (), {"name": "nothing"}))
    with pytest.raises(ValueError, match="identifier"):
        ops.register(type("Bad", (ops.Unary,), {"name": "not a name"}))
    with pytest.raises(KeyError, match="no op 'nope'"):
        ops.get("nope")


@settings(max_examples=30, deadline=None)
@given(a=st.floats(-3, 3), b=st.floats(-3, 3))
def test_maximum_on_both_engines_splits_a_tie(a, b):
    assume(abs(a - b) > 1e-9 or a == b)
    va, vb = Value(a), Value(b)
    va.maximum(vb).backward()
    ta, tb = Tensor([a], requires_grad=True), Tensor([b], requires_grad=True)
    ta.maximum(tb).sum().backward()
    want = (0.5, 0.5) if a == b else ((1.0, 0.0) if a > b else (0.0, 1.0))
    assert (va.grad, vb.grad) == want == (ta.grad[0], tb.grad[0])
