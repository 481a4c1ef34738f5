"""Predict, then run: the exact theory of gradient descent on linear regression's loss.

The squared-error loss of a linear model is a quadratic bowl with one Hessian ``H`` everywhere
(``2 A^T A / n`` for the MSE, ``A = [X, 1]``). So what gradient descent will do is not a mystery
to be watched but a prediction: along each eigen-direction ``q_i`` of ``H`` the error shrinks (or
grows) by exactly ``1 - lr*lambda_i`` per step; momentum and Nesterov follow a 2x2 recurrence per
direction. That explains the largest stable learning rate ``2 / lambda_max``, the zig-zag across a
narrow valley and the crawl along it, why standardizing makes GD converge in one step, the best
fixed learning rate ``2 / (lambda_min + lambda_max)``, and why momentum gains ``sqrt(kappa)``.

* :func:`quadratic` takes a data set apart: :class:`Quadratic` (eigenvalues, condition number,
  minimum, learning rates, rates, the (lr, momentum) phase diagram, steps to a tolerance);
* :meth:`Quadratic.predict` gives a :class:`Prediction`: every step's parameters, loss and
  per-direction error, to put beside the engine's own run (docs/theory.md does, to 1e-9).
* :mod:`.recurrence` is the per-direction math on its own (pure numpy).

Example (the standardized study-hours data: condition number 1, so GD at the best lr lands in
one step):
    >>> from tinygrad_lr import load_csv
    >>> q = quadratic(load_csv("examples/data/study_hours.csv"), standardize=True)  # doctest: +SKIP
    >>> round(q.condition_number, 12), q.steps_to(1e-6)                           # doctest: +SKIP
    (1.0, 1)
"""

from .prediction import METHOD_TITLES, Prediction, number
from .quadratic import DEFAULT_MOMENTUM, MAX_STEPS, Quadratic, quadratic
from .recurrence import METHODS, polyak, spectral_radius, step_matrices

__all__ = [
    "quadratic",
    "Quadratic",
    "Prediction",
    "METHODS",
    "METHOD_TITLES",
    "number",
    "DEFAULT_MOMENTUM",
    "MAX_STEPS",
    "polyak",
    "spectral_radius",
    "step_matrices",
]
