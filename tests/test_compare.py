"""The one comparison: NaN and infinities are never close, on either side; finite numbers by
``|a - b| <= atol + rtol * max(|a|, |b|)``, the same rule whichever side is which."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_lr import compare
from tinygrad_lr.compare import allclose, assert_close, isclose, nonfinite_name

INF, NAN = math.inf, math.nan
NONFINITE = [INF, -INF, NAN]
# what the learner or the code under test may give, on either side of a comparison
SIDES = [*NONFINITE, 0.0, 1.0, -4.0, 1e308, -1e308, 5e-324]


@pytest.mark.parametrize("bad", NONFINITE, ids=["inf", "-inf", "nan"])
@pytest.mark.parametrize("other", SIDES)
@pytest.mark.parametrize("tol", [(0.0, 0.0), (1e-9, 1e-12), (1.0, 1e300)])
def test_a_nonfinite_number_is_never_close_on_either_side(bad, other, tol):
    rtol, atol = tol
    # the usual test alone calls inf close to anything: its right-hand side becomes inf
    assert isclose(bad, other, rtol=rtol, atol=atol) is False
    assert isclose(other, bad, rtol=rtol, atol=atol) is False
    assert not allclose([1.0, bad], [1.0, other], rtol=rtol, atol=atol)
    assert not allclose([1.0, other], [1.0, bad], rtol=rtol, atol=atol)
    with pytest.raises(AssertionError, match="never close"):
        assert_close(bad, other, rtol=rtol, atol=atol)
    with pytest.raises(AssertionError, match="never close"):
        assert_close([other, 2.0], [bad, 2.0], rtol=rtol, atol=atol)


def test_the_formula_it_replaces_passes_an_infinite_answer():
    # why the project has its own comparison: |a - b| <= atol + rtol * max(|a|, |b|) holds for inf
    a, b, rtol, atol = INF, 1.4, 1e-9, 1e-12
    assert abs(a - b) <= atol + rtol * max(abs(a), abs(b))
    assert not isclose(a, b, rtol=rtol, atol=atol)


finite = st.floats(allow_nan=False, allow_infinity=False)
tolerance = st.floats(min_value=0.0, max_value=1.0)


@given(finite, finite, tolerance, tolerance)
def test_finite_numbers_follow_the_documented_rule_and_either_order(a, b, rtol, atol):
    with np.errstate(over="ignore"):
        rule = abs(a - b) <= atol + rtol * max(abs(a), abs(b))
    assert isclose(a, b, rtol=rtol, atol=atol) == rule == isclose(b, a, rtol=rtol, atol=atol)
    assert bool(isclose(np.array([a]), np.array([b]), rtol=rtol, atol=atol)[0]) == rule  # arrays agree
    assert isclose(a, a, rtol=0.0, atol=0.0)  # equal finite numbers are close for any tolerances


def test_the_default_tolerance_is_round_off_not_a_mistake():
    assert isclose(0.1 + 0.2, 0.3) and isclose(-40.0, -40.0 * (1 + 1e-12))
    assert not isclose(-40.0, -20.0) and not isclose(1.4, 1.4 * (1 + 1e-8))
    assert not isclose(1e-300, 0.0)  # no absolute allowance unless asked for
    assert isclose(1e-13, 0.0, atol=1e-12)


def test_arrays_are_compared_entry_by_entry_and_shapes_must_agree():
    got = isclose([1.0, INF, NAN, 2.0], [1.0, INF, NAN, 2.5])
    assert got.tolist() == [True, False, False, False]
    assert allclose([[1.0, 2.0]], [[1.0, 2.0]]) and allclose([2.0, 2.0], 2.0)
    assert not allclose([1.0, 2.0], [1.0, 2.0, 3.0]) and not allclose([[1.0, 2.0]], [1.0, 2.0])
    assert allclose(np.zeros((0, 3)), np.zeros((0, 3)))
    assert not isclose(1e308, -1e308) and not allclose([1e308], [-1e308])  # their difference overflows


def test_numbers_too_large_for_float64_are_not_finite():
    assert not isclose(10**400, 10**400) and not isclose(-(10**400), 1.0)
    assert not allclose([10**400, 1], [10**400, 1])
    assert nonfinite_name(10**400) == "inf" and nonfinite_name(-(10**400)) == "-inf"


@pytest.mark.parametrize("value, name", [(INF, "inf"), (-INF, "-inf"), (NAN, "nan"), (1.0, ""), (0, "")])
def test_nonfinite_name(value, name):
    assert nonfinite_name(value) == name == nonfinite_name(np.float64(value))


@pytest.mark.parametrize("bad", ["1.0", None, b"1", object(), [1.0, "x"]])
def test_what_is_not_a_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match="must be a number"):
        isclose(bad, 1.0)
    with pytest.raises(TypeError, match="must be a number"):
        allclose(1.0, bad)


@pytest.mark.parametrize("rtol, atol", [(-1e-9, 0.0), (0.0, -1.0), (NAN, 0.0), (0.0, INF)])
def test_tolerances_are_finite_and_not_negative(rtol, atol):
    with pytest.raises(ValueError, match="must be a finite number >= 0"):
        isclose(1.0, 1.0, rtol=rtol, atol=atol)


def test_assert_close_names_the_entry_the_numbers_and_the_allowance():
    with pytest.raises(AssertionError) as info:
        assert_close([1.0, 2.0, 3.0], [1.0, 2.0, 3.1], rtol=1e-9)
    text = str(info.value)
    assert "1 of 3 entries differ" in text and "[2]" in text and "actual 3.0, expected 3.1" in text
    assert "off by 0.1" in text and "allowed 3.1e-09" in text
    with pytest.raises(AssertionError, match=r"expected at \[1\] is inf"):
        assert_close([1.0, 2.0], [1.0, INF])
    with pytest.raises(AssertionError, match=r"'b': actual 1.0, expected 2.0"):
        assert_close({"w": 1.0, "b": 1.0}, {"w": 1.0, "b": 2.0})
    with pytest.raises(AssertionError, match="keys differ"):
        assert_close({"w": 1.0}, {"b": 1.0})
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_close([1.0], [1.0, 1.0])
    assert_close((1.4, 0.18), [1.4, 0.18])  # a tuple and a list of the same numbers


def test_the_examples_in_the_docstrings_run():
    result = doctest.testmod(compare, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5 and result.failed == 0
