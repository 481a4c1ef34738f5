"""The theory's pictures: what GD, momentum and Nesterov do on the quadratic loss, predicted and run.

* :func:`theory_landscape` -- the landscape with its eigen-directions as the ellipses' axes, the
  predicted path and the engine's run over it;
* :func:`error_directions` -- each eigen-direction's ``|error|`` against the step on a log axis:
  the predicted straight lines, the run's points, ``|1 - lr*lambda_i|`` on each line;
* :func:`phase_diagram` -- the ``(lr, momentum)`` plane coloured by the rate, the divergence
  boundary, Polyak's optimum and the learner's runs;
* :class:`RaceFigure` -- GD, momentum, Nesterov and Adam from one start on one landscape, moved
  step by step (the replay's animation writer turns it into a GIF).
"""

from .directions import error_directions
from .landscape import theory_landscape
from .phase import phase_diagram
from .race import RaceFigure

__all__ = ["theory_landscape", "error_directions", "phase_diagram", "RaceFigure"]
