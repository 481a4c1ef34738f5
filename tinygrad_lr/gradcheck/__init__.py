"""Gradient checks: is this gradient right?

There are three ways to get the gradient of the linear-regression loss
``L(w, b) = sum_i (w . x_i + b - y_i)^2`` (or its mean), and they must agree:

1. **autodiff** -- ``L.backward()`` through the graph the framework built from the model and loss;
2. **analytic** -- the chain rule done once by hand (docs/sources.md section 2). With the residual
   ``r_i = w . x_i + b - y_i``::

       dL/dw_j = sum_i 2 r_i x_ij        dL/db = sum_i 2 r_i        (divided by n for the mean)

3. **numerical** -- central finite differences, which need nothing but evaluations of ``L``::

       dL/dp ~ (L(p + h) - L(p - h)) / 2h

:func:`gradcheck` compares autodiff with the other two for every parameter entry and returns a
:class:`GradReport` (``.ok``, an aligned table, ``.to_dict()``). :func:`check_gradient_fn` turns
the tool around: it checks a learner's *hand-written* gradient function against autodiff, at the
given point and a few random ones, and says which parameter is wrong, by how much, where, and
-- for the classic mistakes -- why. :func:`per_sample_breakdown` shows the gradient of a shared
parameter as the sum of one contribution per sample.

Tolerances (see ``docs/gradcheck.md``): two exact computations of the same sums differ only by
float64 round-off, so they must agree to :data:`RTOL_EXACT`; finite differences carry their own
error, truncation ``~ h^2`` plus round-off ``~ u / h``, so they are held to :data:`RTOL_NUMERICAL`.
Every comparison also allows an absolute round-off term proportional to the *size of the
numbers the quantity was computed from* (not to its value, which can cancel to zero).

The package, one file per idea: :mod:`.numeric` (the three gradients and the tolerances),
:mod:`.report` (comparisons, the report and the per-sample breakdown), :mod:`.check` (checking the
framework's own gradients) and :mod:`.diagnose` (checking a learner's gradient function).
"""

from .check import check_linear_regression, check_logistic_regression, check_op, gradcheck
from .diagnose import N_RANDOM_POINTS, NEAR_MISS, check_gradient_fn
from .numeric import (
    DEFAULT_EPS,
    MACHINE_EPS,
    REDUCTIONS,
    ROUNDOFF_SAFETY,
    RTOL_EXACT,
    RTOL_NUMERICAL,
    analytic_grads,
    numerical_grads,
)
from .report import Breakdown, Comparison, GradReport, per_sample_breakdown

__all__ = [
    "analytic_grads",
    "numerical_grads",
    "gradcheck",
    "check_op",
    "check_linear_regression",
    "check_logistic_regression",
    "check_gradient_fn",
    "per_sample_breakdown",
    "Comparison",
    "GradReport",
    "Breakdown",
    "DEFAULT_EPS",
    "RTOL_EXACT",
    "RTOL_NUMERICAL",
    "MACHINE_EPS",
    "ROUNDOFF_SAFETY",
    "REDUCTIONS",
    "N_RANDOM_POINTS",
    "NEAR_MISS",
]
